"""Function URLs' data plane: an HTTP request to a function's URL becomes a payload 2.0 event, its answer a response.

A function URL is served on Overcast's port as `http://<url-id>.lambda-url.<region>.localhost:<port>/`
(the Host names it) or under the path `/_aws/lambda-url/<url-id>/...` for clients that cannot resolve
`*.localhost` (api/edge.py `function_url_target` tells them apart). The event is API Gateway's payload
format 2.0 with the sentinel values function URLs use (routeKey and stage "$default", accountId
"anonymous" under AuthType NONE), and the function's answer is
read as HTTP APIs read a 2.0 answer: a dict with statusCode is a response, anything else a JSON body
(https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html). A function error, or an answer
that is not a valid response, is 502 "Internal Server Error". CORS is answered as configured: preflight
requests by the URL itself, and the configured headers on every response
(https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors).
AuthType NONE only (functions/urls.py refuses AWS_IAM); the lambda:InvokeFunctionUrl permission a URL
with AuthType NONE needs in the function's policy is not checked until IAM exists.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from overcast.api.request_body import read_body
from overcast.api.response_head import response_start
from overcast.clock import Clock, SystemClock
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.functions.streams import QueueSink
from overcast.functions.urls import Cors, UrlConfig
from overcast.gateway.binary import encode_body, is_http_api_text
from overcast.gateway.cors import preflight_headers, response_headers
from overcast.gateway.events import domain_name, headers_v2, query_v2, request_time
from overcast.gateway.request import GatewayRequest
from overcast.gateway.responses import GatewayResult, MalformedResponse, map_response_v2

log = logging.getLogger(__name__)

HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
_DELIMITER = b"\x00" * 8
MAX_PRELUDE_BYTES = 64 * 1024
_BAD_GATEWAY = GatewayResult(502, [("content-type", "text/plain; charset=utf-8")], b"Internal Server Error")


class UrlLookup(Protocol):
    async def by_id(self, url_id: str) -> UrlConfig | None: ...


class Invoker(Protocol):
    async def invoke(
        self,
        ctx: RequestContext,
        function_name: str,
        payload: bytes,
        *,
        qualifier: str | None = ...,
        json_payload: bool = ...,
        stream: Any = ...,
    ) -> Any: ...


class FunctionUrlDoor:
    """Serves function URLs: finds the config, answers CORS preflights, invokes the function, maps its answer."""

    def __init__(
        self,
        urls: UrlLookup,
        invoker: Invoker,
        max_payload_bytes: int,
        clock: Clock | None = None,
    ) -> None:
        self.urls = urls
        self.invoker = invoker
        self.max_payload_bytes = max_payload_bytes
        self.clock = clock or SystemClock()  # the event's time, and a stream's pace

    async def __call__(
        self, url_id: str, path: str, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any
    ) -> None:
        request_id = str(uuid.uuid4())
        try:
            result = await self._answer(url_id, path, scope, receive, request_id, send)
        except Exception:
            log.exception("function URL request %s failed", request_id)
            result = _BAD_GATEWAY
        if result is None:  # streamed, and answered as it went
            return
        headers = [*result.headers, ("x-amzn-requestid", request_id)]
        await send(response_start(result.status, headers, result.body))
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else result.body})

    async def _answer(
        self,
        url_id: str,
        path: str,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[Any]],
        request_id: str,
        send: Any,
    ) -> GatewayResult | None:
        config = await self.urls.by_id(url_id)
        body = await read_body(receive, self.max_payload_bytes)
        if config is None:
            return _message(403, "Forbidden")
        if body is None:
            return _message(413, "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        origin = _header(headers, "origin")
        preflight = scope["method"] == "OPTIONS" and _header(headers, "access-control-request-method") is not None
        if config.cors is not None and origin is not None and preflight:
            return _preflight(config.cors, origin)
        event = url_event(config, scope, path, headers, body, request_id, int(self.clock.now() * 1000))
        ctx = RequestContext(account_id=config.account, region=config.region, request_id=request_id)
        payload = json.dumps(event).encode()
        if config.invoke_mode == "RESPONSE_STREAM":
            return await self._streamed(config, ctx, payload, origin, request_id, send, scope["method"] == "HEAD")
        try:
            output = await self.invoker.invoke(
                ctx, config.function_name, payload, qualifier=config.qualifier, json_payload=True
            )
        except AwsError as error:
            return _invoke_error(error)
        return _with_cors(config.cors, origin, _buffered(output))

    async def _streamed(
        self,
        config: UrlConfig,
        ctx: RequestContext,
        payload: bytes,
        origin: str | None,
        request_id: str,
        send: Any,
        head_only: bool,
    ) -> GatewayResult | None:
        """RESPONSE_STREAM: the function's chunks reach the client as it writes them. A stream of AWS's
        HTTP integration type starts with a JSON prelude (statusCode, headers, cookies) and eight zero
        bytes, which become the response's head (https://docs.aws.amazon.com/lambda/latest/dg/
        configuration-response-streaming.html); a function that does not stream is answered whole."""
        sink = QueueSink(self.clock)
        run = asyncio.ensure_future(
            self.invoker.invoke(
                ctx, config.function_name, payload, qualifier=config.qualifier, json_payload=True, stream=sink
            )
        )
        run.add_done_callback(lambda _: sink.end())
        await sink.started.wait()
        if sink.content_type is None:  # over without streaming
            try:
                output = run.result()
            except AwsError as error:
                return _invoke_error(error)
            return _with_cors(config.cors, origin, _buffered(output))
        status, headers, pending = 200, [("content-type", sink.content_type)], b""
        if sink.content_type == HTTP_INTEGRATION:
            prelude, pending, complete = await _prelude(sink)
            if not complete:
                return _BAD_GATEWAY
            try:
                status, headers = _prelude_head(prelude)
            except (ValueError, TypeError, MalformedResponse):
                return _BAD_GATEWAY
        head = _with_cors(config.cors, origin, GatewayResult(status, headers, b""))
        start_headers = [*head.headers, ("x-amzn-requestid", request_id)]
        await send(response_start(head.status, start_headers, b"", streamed=True))
        if pending and not head_only:
            await send({"type": "http.response.body", "body": pending, "more_body": True})
        while (chunk := await sink.get()) is not None:
            if chunk and not head_only:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return None


def _buffered(output: Any) -> GatewayResult:
    """A whole answer read as HTTP APIs read payload 2.0's; a function error is 502."""
    if output.function_error is not None:
        return _BAD_GATEWAY
    try:
        return map_response_v2(output.payload)
    except MalformedResponse:
        return _BAD_GATEWAY


async def _prelude(sink: QueueSink) -> tuple[bytes, bytes, bool]:
    """The prelude before the eight zero bytes, what followed them, and whether the delimiter came
    within MAX_PRELUDE_BYTES."""
    buffer = b""
    while (chunk := await sink.get()) is not None:
        buffer += chunk
        if _DELIMITER in buffer:
            prelude, _, rest = buffer.partition(_DELIMITER)
            return prelude, rest, True
        if len(buffer) > MAX_PRELUDE_BYTES:
            break
    return buffer, b"", False


def _prelude_head(prelude: bytes) -> tuple[int, list[tuple[str, str]]]:
    """The status and headers a prelude names: {"statusCode", "headers", "cookies"}."""
    document = json.loads(prelude or b"{}")
    if not isinstance(document, dict):
        raise ValueError("the prelude is no JSON object")
    status = int(document.get("statusCode", 200))
    headers = [(str(k).lower(), str(v)) for k, v in (document.get("headers") or {}).items()]
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", "application/octet-stream"))
    headers.extend(("set-cookie", str(cookie)) for cookie in document.get("cookies") or [])
    return status, headers


def url_event(
    config: UrlConfig,
    scope: dict[str, Any],
    path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    request_id: str,
    now_ms: int,
) -> dict[str, Any]:
    """The payload format 2.0 event of a function URL request
    (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-request-payload): headers,
    cookies and query string as HTTP APIs' 2.0 events carry them (gateway/events.py)."""
    client = scope.get("client")
    request = GatewayRequest(
        method=scope["method"],
        path=path,
        raw_query=scope.get("query_string", b"").decode("latin-1"),
        headers=tuple(headers),
        body=body,
        source_ip=client[0] if client else "127.0.0.1",
        host=_header(headers, "host") or "",
        request_id=request_id,
        time_epoch_ms=now_ms,
    )
    joined, cookies, content_type = headers_v2(request)
    text, is_base64 = encode_body(body, binary=not is_http_api_text(content_type)) if body else (None, False)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = joined
    query = query_v2(request)
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": "anonymous",
        "apiId": config.url_id,
        "domainName": domain_name(request.host),
        "domainPrefix": config.url_id,
        "http": {
            "method": request.method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": joined.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": request_time(now_ms),
        "timeEpoch": now_ms,
    }
    if text is not None:
        event["body"] = text
    event["isBase64Encoded"] = is_base64
    return event


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in headers if key == name]
    return ",".join(values) if values else None


def _message(status: int, text: str) -> GatewayResult:
    return GatewayResult(status, [("content-type", "application/json")], json.dumps({"Message": text}).encode())


def _invoke_error(error: AwsError) -> GatewayResult:
    """What the URL answers when the function could not be invoked: throttled is 429, the rest 502."""
    if error.status == 429:
        return _message(429, "Rate Exceeded.")
    if error.status == 413:
        return _message(413, str(error.message))
    return _BAD_GATEWAY


def _preflight(cors: Cors, origin: str) -> GatewayResult:
    return GatewayResult(200, preflight_headers(cors, origin), b"")


def _with_cors(cors: Cors | None, origin: str | None, result: GatewayResult) -> GatewayResult:
    """The configured CORS headers replace any the function sent."""
    if cors is None:
        return result
    return GatewayResult(result.status, response_headers(cors, origin, result.headers), result.body)
