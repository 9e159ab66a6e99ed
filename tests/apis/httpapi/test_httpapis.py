"""HttpApis over a real store: the DeployedApi a stage publishes, auto-deploy, the cache, one transaction per change."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.apis import deployed as d
from overcast.apis.errors import Conflict, NotFound
from overcast.apis.httpapi import HttpApis, endpoint_for
from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi.tables import AUTHORIZER, DEPLOYMENT, INTEGRATION, ROUTE, STAGE
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.store import Store

ACCOUNT_REGION = ("111111111111", "eu-west-1")
CTX = RequestContext(account_id=ACCOUNT_REGION[0], region=ACCOUNT_REGION[1])
FN = "arn:aws:lambda:eu-west-1:111111111111:function:pets"
INVOCATIONS = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{FN}/invocations"


@pytest.fixture(params=["sqlite_store", "pg_store"])
def store(request: pytest.FixtureRequest) -> Store:
    """The same tests on both engines (one SQL schema, two engines)."""
    return request.getfixturevalue(request.param)


@pytest.fixture
async def apis(store: Store) -> HttpApis:
    made = HttpApis(store, FakeClock(), endpoint_for("http://127.0.0.1:4566"))
    await made.start()
    return made


def draft(name: str = "pets", cors: rec.CorsConfig | None = None) -> rec.Api:
    return rec.Api("", "", "", name, 0.0, cors=cors)


async def created(apis: HttpApis, api: rec.Api, **quick: str) -> rec.Api:
    return (await apis.create_api(CTX, api, **quick)).record


async def listed(apis: HttpApis, api_id: str, kind: str) -> list[Any]:
    return (await apis.parts.page(CTX, api_id, kind, None, None))[0]


async def test_quick_create_publishes_the_default_stage(apis: HttpApis) -> None:
    api = await created(apis, draft(), target=FN, route_key="GET /pets/{id}")
    assert len(api.api_id) == 10 and api.api_id.isalnum() and api.api_id.islower()
    assert apis.endpoint(api.api_id) == f"http://{api.api_id}.execute-api.localhost:4566"
    assert await apis.stage_names(api.api_id) == ["$default"]
    snap = await apis.deployed(api.api_id, "$default")
    assert snap is not None
    assert (snap.kind, snap.stage, snap.account_id, snap.region) == (d.ApiKind.HTTP, "$default", *ACCOUNT_REGION)
    (route,) = snap.routes
    assert (route.method, route.path) == ("GET", "/pets/{id}")
    assert route.integration == d.Integration(
        type="AWS_PROXY", uri=FN, http_method="POST", payload_format_version="2.0", timeout_ms=30_000
    )
    stage = await apis.parts.get(CTX, api.api_id, STAGE, "$default")
    assert stage.deployment_id == snap.deployment_id
    message = f"Successfully deployed stage with deployment ID '{snap.deployment_id}'"
    assert stage.last_deployment_status_message == message


async def test_deployed_shape_with_stage_settings_authorizers_and_cors(apis: HttpApis) -> None:
    cors = rec.CorsConfig(allow_origins=("https://a.example",), allow_methods=("GET",), max_age=60)
    api = await created(apis, draft(cors=cors))
    lam = await apis.parts.create(
        CTX,
        api.api_id,
        INTEGRATION,
        {"integration_type": "AWS_PROXY", "integration_uri": INVOCATIONS, "payload_format_version": "1.0"},
    )
    web = await apis.parts.create(
        CTX,
        api.api_id,
        INTEGRATION,
        {
            "integration_type": "HTTP_PROXY",
            "integration_uri": "https://backend.example/{proxy}",
            "integration_method": "GET",
            "timeout_in_millis": 5000,
            "request_parameters": {"append:header.x-stage": "$context.stage"},
        },
    )
    jwt = await apis.parts.create(
        CTX,
        api.api_id,
        AUTHORIZER,
        {
            "name": "jwt",
            "authorizer_type": "JWT",
            "identity_source": ("$request.header.Authorization",),
            "jwt_issuer": "https://issuer.example",
            "jwt_audience": ("aud1",),
        },
    )
    lam_auth = await apis.parts.create(
        CTX,
        api.api_id,
        AUTHORIZER,
        {
            "name": "fn",
            "authorizer_type": "REQUEST",
            "authorizer_uri": INVOCATIONS,
            "payload_format_version": "2.0",
            "enable_simple_responses": True,
            "identity_source": ("$request.header.X-Token",),
        },
    )
    pets = await apis.parts.create(
        CTX,
        api.api_id,
        ROUTE,
        {
            "route_key": "ANY /pets/{proxy+}",
            "target": f"integrations/{lam.integration_id}",
            "authorization_type": "JWT",
            "authorizer_id": jwt.authorizer_id,
            "authorization_scopes": ("read",),
        },
    )
    await apis.parts.create(
        CTX,
        api.api_id,
        ROUTE,
        {
            "route_key": "$default",
            "target": f"integrations/{web.integration_id}",
            "authorization_type": "CUSTOM",
            "authorizer_id": lam_auth.authorizer_id,
        },
    )
    await apis.stages.create(
        CTX,
        api.api_id,
        {
            "stage_name": "prod",
            "auto_deploy": True,
            "stage_variables": {"color": "blue"},
            "default_route_settings": rec.RouteSettings(throttling_rate_limit=100.0, throttling_burst_limit=50),
            "route_settings": {"ANY /pets/{proxy+}": rec.RouteSettings(throttling_rate_limit=5.0)},
            "access_log": rec.AccessLog("arn:aws:logs:eu-west-1:111111111111:log-group:access", "$context.requestId"),
        },
    )
    snap = await apis.deployed(api.api_id, "prod")
    assert snap is not None
    by_path = {r.path: r for r in snap.routes}
    proxy, default = by_path["/pets/{proxy+}"], by_path["$default"]
    assert (proxy.method, default.method) == ("ANY", "ANY")
    assert proxy.id == pets.route_id
    assert proxy.integration.uri == FN and proxy.integration.payload_format_version == "1.0"
    assert proxy.authorization_type == "JWT" and proxy.authorization_scopes == ("read",)
    assert proxy.authorizer == d.Authorizer(
        id=jwt.authorizer_id,
        name="jwt",
        type="JWT",
        identity_sources=("$request.header.Authorization",),
        result_ttl_seconds=0,
        jwt_issuer="https://issuer.example",
        jwt_audiences=("aud1",),
    )
    assert proxy.throttle == d.Throttle(rate=5.0, burst=50)  # the route's rate, the stage's burst
    assert default.throttle == d.Throttle(rate=100.0, burst=50)
    assert default.integration == d.Integration(
        type="HTTP_PROXY",
        uri="https://backend.example/{proxy}",
        http_method="GET",
        timeout_ms=5000,
        request_parameters=(("append:header.x-stage", "$context.stage"),),
    )
    assert default.authorizer is not None and default.authorizer.function_arn == FN
    assert default.authorizer.simple_responses and default.authorizer.payload_format_version == "2.0"
    assert default.authorizer.result_ttl_seconds == 300
    assert snap.stage_variables == (("color", "blue"),)
    assert snap.throttle == d.Throttle(rate=100.0, burst=50)
    assert snap.cors == d.Cors(allow_origins=("https://a.example",), allow_methods=("GET",), max_age=60)
    assert snap.access_log_format == "$context.requestId"
    assert snap.access_log_destination.endswith(":log-group:access")


async def test_a_manual_stage_serves_its_deployment_until_the_next_one(apis: HttpApis) -> None:
    api = await created(apis, draft())
    with pytest.raises(BadRequest, match="no routes exist"):
        await apis.stages.deploy(CTX, api.api_id)
    i = await apis.parts.create(CTX, api.api_id, INTEGRATION, {"integration_type": "AWS_PROXY", "integration_uri": FN})
    await apis.parts.create(
        CTX, api.api_id, ROUTE, {"route_key": "GET /a", "target": f"integrations/{i.integration_id}"}
    )
    await apis.stages.create(CTX, api.api_id, {"stage_name": "v1"})
    assert await apis.deployed(api.api_id, "v1") is None  # never deployed
    first = await apis.stages.deploy(CTX, api.api_id, "first", "v1")
    snap = await apis.deployed(api.api_id, "v1")
    assert snap is not None and snap.deployment_id == first.deployment_id
    await apis.parts.create(
        CTX, api.api_id, ROUTE, {"route_key": "GET /b", "target": f"integrations/{i.integration_id}"}
    )
    snap = await apis.deployed(api.api_id, "v1")
    assert snap is not None and [r.path for r in snap.routes] == ["/a"]  # not auto-deployed
    await apis.stages.update(CTX, api.api_id, "v1", {"stage_variables": {"v": "2"}})
    snap = await apis.deployed(api.api_id, "v1")
    assert snap is not None and snap.stage_variables == (("v", "2"),)  # stage settings apply at once
    await apis.stages.deploy(CTX, api.api_id, None, "v1")
    snap = await apis.deployed(api.api_id, "v1")
    assert snap is not None and sorted(r.path for r in snap.routes) == ["/a", "/b"]
    with pytest.raises(BadRequest, match="Active stages"):
        await apis.stages.delete_deployment(CTX, api.api_id, snap.deployment_id)
    await apis.stages.delete_deployment(CTX, api.api_id, first.deployment_id)
    assert await apis.deployed(api.api_id, "nope") is None
    assert await apis.deployed("zzzzzzzzzz", "v1") is None


async def test_every_change_auto_deploys_and_the_warm_cache_follows(apis: HttpApis) -> None:
    api = await created(apis, draft(), target=FN)
    before = await apis.deployed(api.api_id, "$default")
    assert before is not None and await apis.deployed(api.api_id, "$default") is before  # warm: the same object
    i = await apis.parts.create(CTX, api.api_id, INTEGRATION, {"integration_type": "AWS_PROXY", "integration_uri": FN})
    await apis.parts.create(
        CTX, api.api_id, ROUTE, {"route_key": "POST /x", "target": f"integrations/{i.integration_id}"}
    )
    after = await apis.deployed(api.api_id, "$default")
    assert after is not None and after.deployment_id != before.deployment_id
    assert {r.path for r in after.routes} == {"$default", "/x"}
    deployments = await listed(apis, api.api_id, DEPLOYMENT)
    assert len(deployments) == 3 and all(x.auto_deployed for x in deployments)
    await apis.update_api(CTX, api.api_id, {"cors": rec.CorsConfig(allow_origins=("*",))})
    with_cors = await apis.deployed(api.api_id, "$default")
    assert with_cors is not None and with_cors.cors is not None and with_cors.cors.allow_origins == ("*",)
    await apis.delete_cors(CTX, api.api_id)
    again = await apis.deployed(api.api_id, "$default")
    assert again is not None and again.cors is None
    await apis.delete_api(CTX, api.api_id)
    assert await apis.deployed(api.api_id, "$default") is None and await apis.stage_names(api.api_id) == []


async def test_bad_input_changes_nothing(apis: HttpApis, store: Store) -> None:
    api = await created(apis, draft(), target=FN, route_key="GET /pets")
    rows = await store.fetch_all("SELECT kind, part_id, body FROM httpapi_parts ORDER BY kind, part_id")
    routes = await listed(apis, api.api_id, ROUTE)
    with pytest.raises(Conflict):
        await apis.parts.create(CTX, api.api_id, ROUTE, {"route_key": "GET /pets", "target": routes[0].target})
    with pytest.raises(BadRequest):
        await apis.parts.create(CTX, api.api_id, ROUTE, {"route_key": "GET /pets/{proxy+}/x"})
    with pytest.raises(BadRequest):
        await apis.parts.update(CTX, api.api_id, ROUTE, routes[0].route_id, {"route_key": "FETCH /pets"})
    with pytest.raises(BadRequest):
        await apis.parts.create(
            CTX,
            api.api_id,
            INTEGRATION,
            {"integration_type": "AWS_PROXY", "integration_uri": FN, "timeout_in_millis": 49},
        )
    with pytest.raises(NotFound, match="Unable to find Route by key GET /nope within the provided RouteSettings"):
        await apis.stages.update(CTX, api.api_id, "$default", {"route_settings": {"GET /nope": rec.RouteSettings()}})
    with pytest.raises(Conflict):
        await apis.parts.delete(CTX, api.api_id, INTEGRATION, routes[0].integration_id or "")
    with pytest.raises(NotFound, match=f"Invalid API identifier specified 222222222222:{api.api_id}"):
        await apis.api(RequestContext(account_id="222222222222", region="eu-west-1"), api.api_id)
    assert await store.fetch_all("SELECT kind, part_id, body FROM httpapi_parts ORDER BY kind, part_id") == rows


async def test_switching_a_route_to_none_detaches_its_authorizer(apis: HttpApis) -> None:
    api = await created(apis, draft(), target=FN)
    (route,) = await listed(apis, api.api_id, ROUTE)
    jwt = await apis.parts.create(
        CTX,
        api.api_id,
        AUTHORIZER,
        {
            "name": "j",
            "authorizer_type": "JWT",
            "identity_source": ("$request.header.Authorization",),
            "jwt_issuer": "https://i",
        },
    )
    secured = await apis.parts.update(
        CTX, api.api_id, ROUTE, route.route_id, {"authorization_type": "JWT", "authorizer_id": jwt.authorizer_id}
    )
    assert secured.authorizer_id == jwt.authorizer_id
    opened = await apis.parts.update(CTX, api.api_id, ROUTE, route.route_id, {"authorization_type": "NONE"})
    assert (opened.authorizer_id, opened.authorization_scopes) == (None, None)
    snap = await apis.deployed(api.api_id, "$default")
    assert snap is not None and snap.routes[0].authorizer is None
