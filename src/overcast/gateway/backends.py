"""Backends: what an execute-api route's integration calls, and the answer it gives the gateway.

A Lambda function (proxy: the event in payload format 1.0 or 2.0, its answer mapped back; or
non-proxy `AWS`: the request and answer mapped by Velocity templates), another AWS service (non-proxy
`AWS`, `services`), an HTTP endpoint (proxy, or mapped), or a MOCK, with an HTTP API's parameter
mappings applied on the way in and out. What fails becomes a `Refused`: the gateway response
front_door.py customises and sends instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from overcast.apis.deployed import ApiKind, DeployedApi, KeyPlan
from overcast.arn import parse_arn
from overcast.clock import Clock
from overcast.gateway.access_logs import request_variables
from overcast.gateway.authorizers import AuthResult
from overcast.gateway.authorizers.identity import source_arn
from overcast.gateway.encodings import ConversionFailure
from overcast.gateway.event_text import event_json_v1, event_json_v2
from overcast.gateway.gateway_responses import Failure, failure
from overcast.gateway.integrations import IntegrationFailure, Integrations, IntegrationTimeout
from overcast.gateway.mapping import Exchange, NoIntegrationResponse, UnsupportedMediaType, error_message
from overcast.gateway.parameter_mapping import map_request, map_response
from overcast.gateway.prepared import PreparedApis
from overcast.gateway.request import GatewayRequest, RouteMatch
from overcast.gateway.responses import (
    GatewayResult,
    function_error_result,
    map_response_http_v1,
    map_response_v1,
    map_response_v2,
)
from overcast.gateway.services import service_call
from overcast.gateway.templates import TemplateFailure
from overcast.gateway.trace import Trace

_MAPPED = frozenset({"AWS", "HTTP", "MOCK"})  # REST integrations whose requests and answers templates map


@dataclass(frozen=True, slots=True)
class Refused:
    """An integration that gave no answer to send: the gateway response instead, and the access log's
    error text when it says more than the response's message (and its integrationErrorMessage)."""

    answer: Failure
    error: str | None = None
    integration_error: str | None = None


class Backends:
    """Calls routes' integrations (the gateway's own: its Integrations and prepared APIs)."""

    def __init__(self, integrations: Integrations, prepared: PreparedApis, clock: Clock) -> None:
        self.integrations = integrations
        self.prepared = prepared
        self.clock = clock

    async def call(
        self, match: RouteMatch, request: GatewayRequest, trace: Trace, auth: AuthResult, plan: KeyPlan | None
    ) -> GatewayResult | Refused:
        """The integration's answer, or the gateway response that replaces it; the integration's latency
        and status go to `trace`."""
        api, integration = match.api, match.route.integration
        kind = api.kind
        began = self.clock.monotonic()
        try:
            if integration.type == "AWS_PROXY":
                mapped = request
                if integration.request_parameters and kind is ApiKind.HTTP:
                    mapped = map_request(match, request, self._context(api, request, trace))[0]
                result = await self._lambda_proxy(match, mapped, auth, plan)
            elif integration.type == "HTTP_PROXY":
                sent, path = request, None
                if integration.request_parameters and kind is ApiKind.HTTP:
                    sent, path = map_request(match, request, self._context(api, request, trace))
                reply = await self.integrations.forward(match, sent, path)
                result = GatewayResult(reply.status, list(reply.headers), reply.body)
            elif integration.type in _MAPPED:
                result = await self._mapped(match, request, auth, plan)
            else:  # (an integration type Overcast has not built: refused when made, so not reached)
                return Refused(failure(kind, "API_CONFIGURATION_ERROR"))
        except UnsupportedMediaType:
            return Refused(failure(kind, "UNSUPPORTED_MEDIA_TYPE"))
        except (NoIntegrationResponse, TemplateFailure, ConversionFailure) as exc:
            # "Execution failed due to configuration error" on AWS: the client sees a 500.
            return Refused(
                failure(kind, "API_CONFIGURATION_ERROR"), f"Execution failed due to configuration error: {exc}"
            )
        except IntegrationTimeout:
            return Refused(failure(kind, "INTEGRATION_TIMEOUT"))
        except IntegrationFailure as exc:
            answer = failure(kind, "INTEGRATION_FAILURE" if kind is ApiKind.HTTP else "DEFAULT_5XX")
            return Refused(answer, str(exc), str(exc))
        finally:
            trace.integration_latency_ms = int((self.clock.monotonic() - began) * 1000)
        trace.integration_status = result.status
        if integration.response_mappings and kind is ApiKind.HTTP:
            result = map_response(integration, match, request, result, self._context(api, request, trace, result))
        return result

    @staticmethod
    def _context(
        api: DeployedApi, request: GatewayRequest, trace: Trace, result: GatewayResult | None = None
    ) -> Callable[[], Mapping[str, Any]]:
        """The request's $context variables for parameter mapping, worked out only if a mapping reads one."""
        return lambda: request_variables(api, request, result or GatewayResult(0, [], b""), trace)

    async def _mapped(
        self, match: RouteMatch, request: GatewayRequest, auth: AuthResult, plan: KeyPlan | None
    ) -> GatewayResult:
        """A non-proxy integration (MOCK, HTTP, or AWS for a Lambda function or another service): the request mapped
        by its template, the answer by the integration response its selection pattern picks (`mapping`): a
        function's errorMessage, or the HTTP status of an endpoint's or a service's answer."""
        api, integration = match.api, match.route.integration
        exchange = Exchange(
            match,
            request,
            authorizer=auth.request_context_authorizer,
            api_key_id=plan.key_id if plan is not None else None,
            api_key=plan.key_value if plan is not None else None,
        )
        if integration.type == "MOCK":
            return exchange.response(str(exchange.mock_status()), b"")
        body, content_type = exchange.request_body()
        if integration.type == "HTTP":
            url, headers = exchange.http_request(content_type)
            method = request.method if integration.http_method in ("ANY", "") else integration.http_method
            reply = await self.integrations.send(integration, method, url, headers, body)
            return exchange.response(str(reply.status), reply.body, reply.headers)
        if _names_a_service(integration.uri):
            url, headers = exchange.http_request(content_type)
            uri, _, query = url.partition("?")
            call = service_call(uri)
            if call is None:
                raise IntegrationFailure(f"{uri} names no AWS service action or path")
            method = request.method if integration.http_method in ("ANY", "") else integration.http_method
            sent = (method, parse_qsl(query, keep_blank_values=True), headers, body)
            answer = await self.integrations.call_service(api, integration, call, request.time_epoch_ms, sent)
            return exchange.response(str(answer.status), answer.body, answer.headers)
        # A Lambda function gets the mapped body as its event ({} for none); its errorMessage selects.
        lambda_reply = await self.integrations.invoke_lambda(
            api, integration, body or b"{}", lambda: source_arn(match, request)
        )
        if lambda_reply.function_error is None:
            return exchange.response(None, lambda_reply.payload)
        return exchange.response(error_message(lambda_reply.payload), lambda_reply.payload)

    async def _lambda_proxy(
        self, match: RouteMatch, request: GatewayRequest, auth: AuthResult, plan: KeyPlan | None
    ) -> GatewayResult:
        api, integration = match.api, match.route.integration
        text = self.prepared.of(api).route(match.route).text
        if integration.payload_format_version == "2.0" and api.kind is ApiKind.HTTP:
            event = event_json_v2(match, request, authorizer=auth.request_context_authorizer, text=text)
        else:
            event = event_json_v1(
                match,
                request,
                authorizer=auth.request_context_authorizer,
                api_key_id=plan.key_id if plan is not None else None,
                api_key=plan.key_value if plan is not None else None,
                text=text,
            )
        reply = await self.integrations.invoke_lambda(
            api, integration, event.encode(), lambda: source_arn(match, request)
        )
        if reply.function_error is not None:
            return function_error_result(api.kind)
        if api.kind is ApiKind.REST:
            return map_response_v1(
                reply.payload, binary_media_types=api.binary_media_types, accept=request.header("accept")
            )
        if integration.payload_format_version == "2.0":
            return map_response_v2(reply.payload)
        return map_response_http_v1(reply.payload)


def _names_a_service(uri: str) -> bool:
    """Whether an AWS integration's URI is an action or a path of an AWS service (`services`), not the function a
    Lambda invocation URI names (which the snapshot keeps as the function's ARN)."""
    arn = parse_arn(uri)
    return arn is not None and arn.service == "apigateway"
