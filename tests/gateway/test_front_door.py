"""The gateway pipeline in-process: stage selection, routing failures, API keys, throttling, CORS, gateway responses.

Stages come from a tiny lookup (the control planes' seam); integrations are MOCKs, so no function runs
here — tests/gateway/test_front_door_server.py drives Lambda proxy integrations through a real server.
"""

from __future__ import annotations

import json
from dataclasses import replace

from overcast.apis.deployed import (
    ApiKind,
    Cors,
    DeployedApi,
    GatewayResponse,
    Integration,
    IntegrationResponse,
    KeyPlan,
    Route,
    Throttle,
)
from overcast.clock import FakeClock
from overcast.gateway.front_door import Gateway
from overcast.gateway.integrations import Integrations
from overcast.gateway.responses import GatewayResult
from overcast.gateway.throttles import Throttles

MOCK = Integration(
    "MOCK",
    request_templates=(("application/json", '{"statusCode": 200}'),),
    responses=(IntegrationResponse("", 200, (("X-Mock", "'yes'"),), (("application/json", '{"mocked": true}'),)),),
)


def route(key: str, **kwargs: object) -> Route:
    method, _, path = key.partition(" ")
    return Route(id=key, method=method, path=path, integration=MOCK, **kwargs)  # type: ignore[arg-type]


def api(kind: ApiKind, stage: str, *routes: Route, **kwargs: object) -> DeployedApi:
    return DeployedApi("000000000000", "us-east-1", "api1234567", kind, stage, "dep1", routes, **kwargs)  # type: ignore[arg-type]


class Stages:
    """The control planes' seam: (api id, stage) -> snapshot."""

    def __init__(self, *apis: DeployedApi) -> None:
        self.apis = {(a.api_id, a.stage): a for a in apis}

    def deployed(self, api_id: str, stage: str) -> DeployedApi | None:
        return self.apis.get((api_id, stage))


class Keys:
    def __init__(self, *plans: KeyPlan) -> None:
        self.plans = {p.key_value: p for p in plans}

    async def key_plan(self, api_id: str, stage: str, key_value: str) -> KeyPlan | None:
        return self.plans.get(key_value)


def gateway(*apis: DeployedApi, clock: FakeClock | None = None, keys: Keys | None = None) -> Gateway:
    clock = clock or FakeClock()
    return Gateway(
        [Stages(*apis)],
        Integrations(invoker=None),
        clock,
        throttles=Throttles(clock),
        key_plans=keys,  # type: ignore[arg-type]
    )


async def call(
    gw: Gateway,
    method: str,
    path: str,
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    too_large: bool = False,
) -> GatewayResult:
    return await gw.handle(
        "api1234567", method, path, "", (("host", "h"), *headers), body, "10.0.0.1", "h", too_large=too_large
    )


def message(result: GatewayResult) -> object:
    return json.loads(result.body)


async def test_http_api_stages_by_first_segment_else_default() -> None:
    prod = api(ApiKind.HTTP, "prod", route("GET /pets"))
    default = api(ApiKind.HTTP, "$default", route("GET /prod/other"), route("GET /pets"))
    gw = gateway(prod, default)
    assert (await call(gw, "GET", "/prod/pets")).status == 200
    assert (await call(gw, "GET", "/pets")).status == 200
    assert (await call(gw, "GET", "/prod/other")).status == 404  # "prod" is a stage: no fall back to $default
    result = await call(gw, "GET", "/nope")
    assert (result.status, message(result)) == (404, {"message": "Not Found"})
    assert result.header("apigw-requestid")


async def test_mock_answers_with_its_integration_response() -> None:
    gw = gateway(api(ApiKind.REST, "prod", route("GET /pets")))
    result = await call(gw, "GET", "/prod/pets")
    assert (result.status, message(result), result.header("X-Mock")) == (200, {"mocked": True}, "yes")
    assert result.header("x-amzn-RequestId") and result.header("x-amz-apigw-id")


async def test_rest_api_without_a_matching_method_is_missing_authentication_token() -> None:
    gw = gateway(api(ApiKind.REST, "prod", route("GET /pets")))
    for method, path in (("POST", "/prod/pets"), ("GET", "/prod/cats")):
        result = await call(gw, method, path)
        assert (result.status, message(result)) == (403, {"message": "Missing Authentication Token"})
        assert result.header("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    # An unknown stage of a REST API: no stage answers the request at all.
    assert (await call(gw, "GET", "/dev/pets")).status == 404


async def test_customised_gateway_response_overrides_the_default() -> None:
    custom = GatewayResponse(
        "MISSING_AUTHENTICATION_TOKEN",
        404,
        (("gatewayresponse.header.x-custom", "'1'"),),
        (("application/json", '{"error": $context.error.messageString, "id": "$context.requestId"}'),),
    )
    gw = gateway(api(ApiKind.REST, "prod", route("GET /pets"), gateway_responses=(custom,)))
    result = await call(gw, "GET", "/prod/cats")
    assert result.status == 404 and result.header("x-custom") == "1"
    assert message(result) == {"error": "Missing Authentication Token", "id": result.header("x-amzn-RequestId")}


async def test_default_4xx_customises_every_4xx_without_its_own() -> None:
    default_4xx = GatewayResponse("DEFAULT_4XX", None, (("gatewayresponse.header.Access-Control-Allow-Origin", "'*'"),))
    gw = gateway(api(ApiKind.REST, "prod", route("GET /pets"), gateway_responses=(default_4xx,)))
    result = await call(gw, "GET", "/prod/cats")
    assert result.status == 403 and result.header("Access-Control-Allow-Origin") == "*"


async def test_stage_throttling_answers_429_until_tokens_come_back() -> None:
    clock = FakeClock()
    gw = gateway(api(ApiKind.HTTP, "$default", route("GET /pets"), throttle=Throttle(rate=1, burst=2)), clock=clock)
    assert [(await call(gw, "GET", "/pets")).status for _ in range(3)] == [200, 200, 429]
    limited = await call(gw, "GET", "/pets")
    assert message(limited) == {"message": "Too Many Requests"}
    await clock.advance(1.0)
    assert (await call(gw, "GET", "/pets")).status == 200


async def test_route_throttle_overrides_the_stage_default() -> None:
    clock = FakeClock()
    slow = route("GET /slow", throttle=Throttle(rate=1, burst=1))
    gw = gateway(api(ApiKind.HTTP, "$default", slow, route("GET /fast"), throttle=Throttle(100, 100)), clock=clock)
    assert [(await call(gw, "GET", "/slow")).status for _ in range(2)] == [200, 429]
    assert (await call(gw, "GET", "/fast")).status == 200


async def test_api_key_required() -> None:
    plan = KeyPlan("key1", "secret-value-0123456789", "plan1", throttle=Throttle(rate=1, burst=1))
    gw = gateway(api(ApiKind.REST, "prod", route("GET /pets", api_key_required=True)), keys=Keys(plan))
    for headers in ((), (("x-api-key", "wrong"),)):
        result = await call(gw, "GET", "/prod/pets", headers)
        assert (result.status, message(result)) == (403, {"message": "Forbidden"})
        assert result.header("x-amzn-ErrorType") == "ForbiddenException"
    good = (("x-api-key", plan.key_value),)
    assert (await call(gw, "GET", "/prod/pets", good)).status == 200
    assert (await call(gw, "GET", "/prod/pets", good)).status == 429  # the plan's throttle, per key


async def test_a_route_with_an_authorizer_never_passes_without_authorizers() -> None:
    gw = gateway(api(ApiKind.HTTP, "$default", route("GET /pets", authorization_type="JWT")))
    assert (await call(gw, "GET", "/pets")).status == 500


async def test_payload_limit() -> None:
    gw = gateway(api(ApiKind.REST, "prod", route("POST /pets")))
    result = await call(gw, "POST", "/prod/pets", too_large=True)
    assert result.status == 413


async def test_http_api_cors_preflight_and_response_headers() -> None:
    cors = Cors(
        allow_origins=("https://example.com",), allow_methods=("GET", "POST"), allow_headers=("x-a",), max_age=60
    )
    gw = gateway(api(ApiKind.HTTP, "$default", route("GET /pets"), cors=cors))
    preflight = await call(
        gw, "OPTIONS", "/pets", (("origin", "https://example.com"), ("access-control-request-method", "POST"))
    )
    assert preflight.status == 204
    assert preflight.header("access-control-allow-origin") == "https://example.com"
    assert preflight.header("access-control-allow-methods") == "GET,POST"
    assert preflight.header("access-control-max-age") == "60"
    result = await call(gw, "GET", "/pets", (("origin", "https://example.com"),))
    assert result.status == 200 and result.header("access-control-allow-origin") == "https://example.com"
    other = await call(gw, "GET", "/pets", (("origin", "https://evil.example"),))
    assert other.header("access-control-allow-origin") is None


async def test_snapshots_are_served_as_published() -> None:
    first = api(ApiKind.HTTP, "$default", route("GET /pets"))
    stages = Stages(first)
    clock = FakeClock()
    gw = Gateway([stages], Integrations(invoker=None), clock)  # type: ignore[arg-type]
    assert (await gw.handle("api1234567", "GET", "/pets", "", (), b"", "1.2.3.4", "h")).status == 200
    stages.apis[("api1234567", "$default")] = replace(first, routes=(route("GET /cats"),))
    assert (await gw.handle("api1234567", "GET", "/pets", "", (), b"", "1.2.3.4", "h")).status == 404
