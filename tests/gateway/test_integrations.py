"""Integrations: backend URLs for HTTP_PROXY, MOCK responses, Lambda targets, forwarding over real HTTP."""

from __future__ import annotations

import json

import httpx

from overcast.apis.deployed import ApiKind, DeployedApi, Integration, IntegrationResponse, Route
from overcast.arn import function_in_uri
from overcast.gateway.integrations import (
    Integrations,
    http_proxy_url,
    substitute_stage_variables,
)
from overcast.gateway.mapping import Exchange
from overcast.gateway.request import GatewayRequest, RouteMatch
from overcast.gateway.responses import GatewayResult


def request(
    path: str = "/", query: str = "", body: bytes = b"", headers: tuple[tuple[str, str], ...] = ()
) -> GatewayRequest:
    return GatewayRequest("GET", path, query, headers, body, "127.0.0.1", "h", "rid", 0)


def matched(integration: Integration, path: str, params: dict[str, str], kind: ApiKind = ApiKind.HTTP) -> RouteMatch:
    route = Route("r", "ANY", path, integration)
    api = DeployedApi("000000000000", "us-east-1", "a", kind, "$default", "d", (route,), (("host", "example.com"),))
    return RouteMatch(api, route, params)


def test_lambda_targets() -> None:
    fn = "arn:aws:lambda:us-east-1:000000000000:function:f:live"
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn}/invocations"
    assert function_in_uri(uri) == fn
    assert function_in_uri(fn) == fn
    assert substitute_stage_variables("f:${stageVariables.alias}", {"alias": "prod"}) == "f:prod"


def test_http_proxy_urls() -> None:
    greedy = matched(
        Integration("HTTP_PROXY", "https://${stageVariables.host}/api/{proxy}"), "/{proxy+}", {"proxy": "a b/c"}
    )
    assert http_proxy_url(greedy, request("/a%20b/c", "x=1&x=2")) == "https://example.com/api/a%20b/c?x=1&x=2"
    default = matched(Integration("HTTP_PROXY", "https://example.com/"), "$default", {})
    assert http_proxy_url(default, request("/store/checkout")) == "https://example.com/store/checkout"
    rest = matched(
        Integration(
            "HTTP_PROXY",
            "http://example.com/pets/{id}",
            request_parameters=(("integration.request.path.id", "method.request.path.petId"),),
        ),
        "/pets/{petId}",
        {"petId": "7"},
        ApiKind.REST,
    )
    assert http_proxy_url(rest, request("/pets/7")) == "http://example.com/pets/7"


def mock_reply(integration: Integration) -> GatewayResult:
    exchange = Exchange(matched(integration, "/", {}, ApiKind.REST), request())
    return exchange.response(str(exchange.mock_status()), b"")


def answering(pattern: str, status: int, body: str, headers: tuple[tuple[str, str], ...] = ()) -> IntegrationResponse:
    return IntegrationResponse(pattern, status, headers, (("application/json", body),))


def test_mock_selects_the_integration_response_by_status() -> None:
    integration = Integration(
        "MOCK",
        request_templates=(("application/json", '{"statusCode": 404}'),),
        responses=(
            answering("", 200, '{"ok": true}', (("X-Mock", "'yes'"),)),
            answering("4\\d\\d", 404, '{"missing": true}'),
        ),
    )
    reply = mock_reply(integration)
    assert (reply.status, json.loads(reply.body)) == (404, {"missing": True})
    ok = Integration(
        "MOCK", request_templates=(("application/json", '{"statusCode": 200}'),), responses=integration.responses
    )
    reply = mock_reply(ok)
    assert reply.status == 200 and ("X-Mock", "yes") in reply.headers


def test_a_stored_pattern_that_cannot_compile_matches_nothing_and_never_raises() -> None:
    # Patterns are checked when put; one stored before that check existed must not fail every request.
    integration = Integration(
        "MOCK",
        request_templates=(("application/json", '{"statusCode": 500}'),),
        responses=(
            answering("", 200, "default"),
            answering("(5", 500, "broken"),
            answering("5\\p{Digit}+", 502, "java"),
        ),
    )
    reply = mock_reply(integration)
    assert (reply.status, reply.body) == (502, b"java")


async def test_forward_passes_status_headers_and_body_through() -> None:
    seen: list[httpx.Request] = []

    def backend(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(201, headers={"x-backend": "1"}, content=b"made")

    integrations = Integrations(invoker=None, http=httpx.AsyncClient(transport=httpx.MockTransport(backend)))  # type: ignore[arg-type]
    match = matched(
        Integration("HTTP_PROXY", "http://backend.test/{proxy}", http_method="POST"), "/{proxy+}", {"proxy": "x"}
    )
    reply = await integrations.forward(match, request("/x", "q=1", b"hello", (("host", "h"), ("x-in", "v"))))
    await integrations.close()
    assert reply.status == 201 and reply.body == b"made" and ("x-backend", "1") in reply.headers
    assert str(seen[0].url) == "http://backend.test/x?q=1" and seen[0].method == "POST"
    assert seen[0].headers["x-in"] == "v" and seen[0].content == b"hello"
