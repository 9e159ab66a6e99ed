"""What a WebSocket route's integration calls, and the answer the connection gets from it.

A Lambda function with the WebSocket event (AWS_PROXY: its answer's `body` goes back; `$connect`'s
`statusCode` accepts or refuses the connection), or, with the message mapped by templates (`socket_mapping`),
a Lambda function (AWS), an HTTP endpoint (HTTP), or no backend at all (MOCK); an HTTP endpoint may also take
the message as it is (HTTP_PROXY). A two-way route sends back what the integration answered (mapped by its
integration response); a one-way route sends nothing. `$connect` is accepted when its integration answers
with success: a proxy function's 2xx `statusCode`, a non-proxy function that did not fail, a 2xx HTTP status
(a MOCK's from its template).
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from overcast.apis.httpapi.websockets import SocketRoute, SocketStage
from overcast.arn import format_arn, function_in_uri, new_request_id, parse_arn
from overcast.context import RequestContext, service
from overcast.errors import AwsError
from overcast.gateway.integrations import (
    APIGATEWAY,
    IntegrationFailure,
    Integrations,
    IntegrationTimeout,
    Invoker,
    LambdaReply,
    substitute_stage_variables,
)
from overcast.gateway.mapping import NoIntegrationResponse, UnsupportedMediaType, error_message, mock_status
from overcast.gateway.socket_events import Socket
from overcast.gateway.socket_mapping import Exchange
from overcast.gateway.templates import TemplateFailure

INTERNAL_ERROR = "Internal server error"

log = logging.getLogger("overcast.gateway")


@dataclass(frozen=True, slots=True)
class Answer:
    """What an integration answered, for the connection: its status (2xx accepts `$connect`), what a two-way
    route sends back (None: nothing), or the error API Gateway tells the client instead."""

    status: int = 200
    body: str | bytes | None = None
    error: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


class SocketBackends:
    """Calls WebSocket routes' integrations, and `$connect`'s authorizer function."""

    def __init__(self, invoker: Invoker, integrations: Integrations) -> None:
        self.invoker = invoker
        self.integrations = integrations  # its HTTP client, for HTTP and HTTP_PROXY integrations

    async def answer(
        self, stage: SocketStage, route: SocketRoute, event: dict[str, Any], message: str | bytes, socket: Socket
    ) -> Answer:
        """The route's integration called for one event (`message`: what the client sent, "" for `$connect`
        and `$disconnect`)."""
        integration = route.integration
        if integration.type == "AWS_PROXY":
            reply = await self.call(stage, integration.uri, integration.timeout_ms, _route_arn(stage, route), event)
            if reply is None:
                return Answer(500, error=INTERNAL_ERROR)
            return _proxy_answer(reply)
        handshake = socket.handshake if route.route_key == "$connect" else None
        try:
            exchange = Exchange(route, event["requestContext"], message, dict(stage.stage_variables), handshake)
            return await self._mapped(stage, route, exchange)
        except UnsupportedMediaType:
            # (AWS documents no text for a WebSocket message its passthrough behavior refuses: REST's 415 text)
            return Answer(415, error="Unsupported Media Type")
        except (NoIntegrationResponse, TemplateFailure) as exc:
            log.warning("WebSocket route %s of %s: Execution failed due to configuration error: %s",
                        route.route_key, stage.api_id, exc)  # fmt: skip
            return Answer(500, error=INTERNAL_ERROR)
        except (IntegrationFailure, IntegrationTimeout) as exc:
            log.info("WebSocket route %s of %s: its integration failed: %r", route.route_key, stage.api_id, exc)
            return Answer(500, error=INTERNAL_ERROR)

    async def _mapped(self, stage: SocketStage, route: SocketRoute, exchange: Exchange) -> Answer:
        integration = route.integration
        if integration.type == "HTTP_PROXY":
            url, headers = exchange.http_request(proxy=True)
            reply = await self.integrations.send(integration, integration.http_method, url, headers, exchange.raw)
            return Answer(reply.status, reply.body.decode("utf-8", "replace"), headers=reply.headers)
        body = exchange.request_body()
        if integration.type == "MOCK":
            status = mock_status(body)
            return Answer(status, exchange.response(str(status), status, b"") if route.two_way else None)
        if integration.type == "HTTP":
            url, headers = exchange.http_request(proxy=False)
            reply = await self.integrations.send(integration, integration.http_method, url, headers, body)
            status = reply.status
            mapped = exchange.response(str(status), status, reply.body, reply.headers) if route.two_way else None
            return Answer(status, mapped, headers=reply.headers)
        source = _route_arn(stage, route)
        lambda_reply = await self._lambda(stage, integration.uri, integration.timeout_ms, source, body)
        if lambda_reply is None:
            raise IntegrationFailure(integration.uri)
        failed = lambda_reply.function_error is not None
        selected = error_message(lambda_reply.payload) if failed else None
        mapped = exchange.response(selected, 200, lambda_reply.payload) if route.two_way else None
        # (a failed function refuses $connect with 500: Overcast's choice, AWS documents no status for it)
        return Answer(500 if failed else 200, mapped)

    async def call(self, stage: SocketStage, uri: str, timeout_ms: int, source: str, event: dict[str, Any]) -> Any:
        """Invoke the function `uri` names with an event API Gateway wrote, for `source` (a route or an
        authorizer): its decoded answer, or None if it failed, timed out or answered what is not JSON."""
        reply = await self._lambda(stage, uri, timeout_ms, source, json.dumps(event).encode(), json_payload=True)
        if reply is None or reply.function_error:
            return None
        try:
            return json.loads(reply.payload) if reply.payload else {}
        except ValueError:
            return None

    async def _lambda(
        self, stage: SocketStage, uri: str, timeout_ms: int, source: str, payload: bytes, *, json_payload: bool = False
    ) -> LambdaReply | None:
        """Invoke the function `uri` names as API Gateway does for `source`: its answer (a function error
        included), or None if the call failed or timed out."""
        target = function_in_uri(substitute_stage_variables(uri, dict(stage.stage_variables)))
        if not target.startswith("arn:"):
            target = format_arn("lambda", stage.region, stage.account_id, f"function:{target}")
        arn = parse_arn(target)
        account = (arn.account if arn else None) or stage.account_id
        region = (arn.region if arn else None) or stage.region
        ctx = RequestContext(
            account_id=stage.account_id, region=region, request_id=new_request_id(), service="apigateway",
            operation="Invoke",
        )  # fmt: skip
        caller = None if account == stage.account_id else service(APIGATEWAY, stage.account_id, source)
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                output = await self.invoker.invoke(ctx, target, payload, json_payload=json_payload, caller=caller)
        except (AwsError, TimeoutError) as exc:
            log.info("WebSocket API %s: invoking %s failed: %r", stage.api_id, target, exc)
            return None
        return LambdaReply(output.payload, output.function_error)


def _route_arn(stage: SocketStage, route: SocketRoute) -> str:
    return format_arn("execute-api", stage.region, stage.account_id, f"{stage.api_id}/{stage.stage}/{route.route_key}")


def _proxy_answer(reply: Any) -> Answer:
    """A Lambda proxy's answer: its statusCode (none accepts `$connect`), its `body` (or, without a statusCode,
    the answer itself) to send back, and its headers."""
    if not isinstance(reply, dict) or "statusCode" not in reply:
        return Answer(200, json.dumps(reply))
    try:
        status = HTTPStatus(int(reply["statusCode"])).value
    except (TypeError, ValueError):  # not a status HTTP knows: the integration's answer is malformed
        return Answer(502, error=INTERNAL_ERROR)
    body = reply.get("body")
    text = body if isinstance(body, str) else None if body is None else json.dumps(body)
    headers = tuple((str(k).lower(), str(v)) for k, v in (reply.get("headers") or {}).items())
    return Answer(status, text, headers=headers)


def refusal(answer: Answer) -> tuple[int, bytes]:
    """The HTTP answer that refuses a `$connect` whose integration did not succeed."""
    if answer.error is not None:
        return answer.status, json.dumps({"message": answer.error}, separators=(",", ":")).encode()
    body = answer.body or b""
    return answer.status, body.encode() if isinstance(body, str) else body
