"""RestApis' seam to the data plane: deployed() and key_plan() shapes, their warm caches, and the
operations that call other components (FlushStageCache's hook, GetUsage / UpdateUsage's counters)."""

from __future__ import annotations

import datetime
from dataclasses import replace
from typing import Any

import pytest

from overcast.api.services import OperationTable
from overcast.api.services.apigateway import operations
from overcast.apis.deployed import ApiKind, Authorizer, CacheSettings, KeyPlan, Quota, Throttle
from overcast.apis.restapi import RestApis
from overcast.apis.restapi.records import Definition
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.gateway.usage import Usage
from overcast.store import Store
from tests.store.conftest import store, store_target  # noqa: F401 - fixtures on both engines

CTX = RequestContext(account_id="111111111111", region="eu-west-1")
FN = "arn:aws:lambda:eu-west-1:111111111111:function:pets"
INVOCATIONS = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{FN}/invocations"
LOG_GROUP = "arn:aws:logs:eu-west-1:111111111111:log-group:g"
AUTH_FN = "arn:aws:lambda:eu-west-1:111111111111:function:auth:live"


@pytest.fixture
async def apis(store: Store) -> RestApis:  # noqa: F811
    apis = RestApis(store, FakeClock())
    await apis.start()
    return apis


async def call(table: OperationTable, operation: str, /, **params: Any) -> dict[str, Any]:
    return await table[operation](CTX, params)


async def build(table: OperationTable) -> tuple[str, str]:
    """An API with GET /pets/{id} (Lambda, custom authorizer, key required) and ANY /{proxy+} (HTTP)."""
    api = await call(table, "CreateRestApi", name="pets", binaryMediaTypes=["image/png"], apiKeySource="HEADER")
    api_id, root = api["id"], api["rootResourceId"]
    pets = await call(table, "CreateResource", restApiId=api_id, parentId=root, pathPart="pets")
    pet = await call(table, "CreateResource", restApiId=api_id, parentId=pets["id"], pathPart="{id}")
    proxy = await call(table, "CreateResource", restApiId=api_id, parentId=root, pathPart="{proxy+}")
    auth = await call(
        table, "CreateAuthorizer", restApiId=api_id, name="tok", type="TOKEN",
        authorizerUri=f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{AUTH_FN}/invocations",
        identitySource="method.request.header.Authorization", authorizerResultTtlInSeconds=60,
    )  # fmt: skip
    await call(
        table, "PutMethod", restApiId=api_id, resourceId=pet["id"], httpMethod="GET", authorizationType="CUSTOM",
        authorizerId=auth["id"], apiKeyRequired=True,
    )  # fmt: skip
    await call(
        table, "PutIntegration", restApiId=api_id, resourceId=pet["id"], httpMethod="GET", type="AWS_PROXY",
        integrationHttpMethod="POST", uri=INVOCATIONS, timeoutInMillis=3000,
        cacheKeyParameters=["method.request.path.id"],
    )  # fmt: skip
    await call(table, "PutMethod", restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", authorizationType="NONE")
    await call(
        table, "PutIntegration", restApiId=api_id, resourceId=proxy["id"], httpMethod="ANY", type="HTTP_PROXY",
        integrationHttpMethod="ANY", uri="http://backend.local/{proxy}",
    )  # fmt: skip
    await call(
        table, "PutGatewayResponse", restApiId=api_id, responseType="UNAUTHORIZED", statusCode="401",
        responseParameters={"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
        responseTemplates={"application/json": '{"message":"$context.error.messageString"}'},
    )  # fmt: skip
    await call(table, "CreateDeployment", restApiId=api_id, stageName="prod", variables={"color": "red"})
    return api_id, pet["id"]


async def test_deployed_snapshot(apis: RestApis) -> None:
    table = operations(apis)
    api_id, pet = await build(table)
    await call(
        table, "UpdateStage", restApiId=api_id, stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "50"},
            {"op": "replace", "path": "/~1pets~1{id}/GET/throttling/rateLimit", "value": "5"},
            {"op": "replace", "path": "/~1pets~1{id}/GET/caching/enabled", "value": "true"},
            {"op": "replace", "path": "/~1pets~1{id}/GET/caching/ttlInSeconds", "value": "60"},
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
            {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": LOG_GROUP},
        ],
    )  # fmt: skip

    api = await apis.deployed(api_id, "prod")
    assert api is not None
    assert (api.kind, api.account_id, api.region, api.stage) == (ApiKind.REST, "111111111111", "eu-west-1", "prod")
    assert api.stage_variables == (("color", "red"),)
    assert api.throttle == Throttle(100.0, 50)
    assert api.cache_cluster_enabled and api.binary_media_types == ("image/png",)
    assert (api.access_log_format, api.api_key_source) == ("$context.requestId", "HEADER")
    assert [(r.type, r.status_code, r.headers) for r in api.gateway_responses] == [
        ("UNAUTHORIZED", 401, (("WWW-Authenticate", "'Bearer'"),))  # a static value, as mapped
    ]
    routes = {(r.method, r.path): r for r in api.routes}
    get = routes[("GET", "/pets/{id}")]
    assert get.id == f"{pet} GET" and get.resource_id == pet
    assert (get.integration.type, get.integration.uri, get.integration.timeout_ms) == ("AWS_PROXY", FN, 3000)
    assert get.authorization_type == "CUSTOM" and get.api_key_required
    assert get.authorizer == Authorizer(
        id=get.authorizer.id if get.authorizer else "", name="tok", type="TOKEN", function_arn=AUTH_FN,
        identity_sources=("method.request.header.Authorization",), result_ttl_seconds=60,
    )  # fmt: skip
    assert get.throttle == Throttle(5.0, 50)  # the method's rate over the stage's burst
    assert get.cache == CacheSettings(True, 60, ("method.request.path.id",), True)
    proxy = routes[("ANY", "/{proxy+}")]
    assert (proxy.integration.type, proxy.integration.uri, proxy.integration.http_method) == (
        "HTTP_PROXY", "http://backend.local/{proxy}", "ANY",
    )  # fmt: skip
    assert proxy.throttle == Throttle(100.0, 50) and proxy.cache is not None and not proxy.cache.enabled

    assert await apis.deployed(api_id, "prod") is api  # warm: the same snapshot, from memory
    assert await apis.deployed(api_id, "nope") is None
    assert await apis.deployed("unknown123", "prod") is None

    # Changes to the working definition wait for a deployment; stage settings apply at once.
    await call(table, "DeleteMethod", restApiId=api_id, resourceId=pet, httpMethod="GET")
    after = await apis.deployed(api_id, "prod")
    assert after is not None and len(after.routes) == 2
    await call(
        table, "UpdateStage", restApiId=api_id, stageName="prod",
        patchOperations=[{"op": "replace", "path": "/variables/color", "value": "blue"}],
    )  # fmt: skip
    changed = await apis.deployed(api_id, "prod")
    assert changed is not None and changed.stage_variables == (("color", "blue"),)
    await call(table, "CreateDeployment", restApiId=api_id, stageName="prod")
    redeployed = await apis.deployed(api_id, "prod")
    assert redeployed is not None and [r.method for r in redeployed.routes] == ["ANY"]


METHOD_THROTTLES = {"/pets/{id}/GET": {"rateLimit": 2.0, "burstLimit": 1}}


async def test_key_plan(apis: RestApis) -> None:
    table = operations(apis)
    api_id, _ = await build(table)
    plan = await call(
        table, "CreateUsagePlan", name="gold",
        apiStages=[{"apiId": api_id, "stage": "prod", "throttle": METHOD_THROTTLES}],
        throttle={"rateLimit": 10.0, "burstLimit": 20}, quota={"limit": 100, "period": "DAY"},
    )  # fmt: skip
    key = await call(table, "CreateApiKey", name="k", enabled=True, value="k" * 24)
    disabled = await call(table, "CreateApiKey", name="off", value="o" * 24)
    loose = await call(table, "CreateApiKey", name="loose", enabled=True, value="l" * 24)
    for k in (key, disabled):
        await call(table, "CreateUsagePlanKey", usagePlanId=plan["id"], keyId=k["id"], keyType="API_KEY")

    found = await apis.key_plan(api_id, "prod", "k" * 24)
    assert found == KeyPlan(
        key_id=key["id"], key_value="k" * 24, plan_id=plan["id"], throttle=Throttle(10.0, 20),
        quota=Quota(100, "DAY", 0), method_throttles=(("/pets/{id}/GET", Throttle(2.0, 1)),),
    )  # fmt: skip
    assert await apis.key_plan(api_id, "prod", "k" * 24) is found  # warm
    assert await apis.key_plan(api_id, "prod", "o" * 24) is None  # disabled
    assert await apis.key_plan(api_id, "prod", loose["value"]) is None  # in no plan
    assert await apis.key_plan(api_id, "prod", "nope" * 6) is None
    assert await apis.key_plan(api_id, "other", "k" * 24) is None

    await call(
        table,
        "UpdateApiKey",
        apiKey=key["id"],
        patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}],
    )
    assert await apis.key_plan(api_id, "prod", "k" * 24) is None  # the change dropped the warm answer

    # A key attached to the stage itself (stageKeys) is let through, with no plan, throttle or quota.
    await call(
        table, "UpdateApiKey", apiKey=loose["id"],
        patchOperations=[{"op": "add", "path": "/stages", "value": f"{api_id}/prod"}],
    )  # fmt: skip
    assert await apis.key_plan(api_id, "prod", loose["value"]) == KeyPlan(loose["id"], loose["value"], plan_id="")
    assert await apis.key_plan(api_id, "other", loose["value"]) is None


async def test_flush_hook_and_usage(apis: RestApis, store: Store) -> None:  # noqa: F811
    flushed: list[tuple[str, str]] = []

    async def flush(api_id: str, stage: str) -> None:
        flushed.append((api_id, stage))

    usage = Usage(store, apis.clock)
    await usage.start()
    try:
        table = operations(apis, flush=flush, usage=usage)
        api_id, _ = await build(table)
        assert await call(table, "FlushStageCache", restApiId=api_id, stageName="prod") == {}
        assert flushed == [(api_id, "prod")]
        with pytest.raises(AwsError) as raised:
            await call(table, "FlushStageCache", restApiId=api_id, stageName="nope")
        assert raised.value.code == "NotFoundException" and flushed == [(api_id, "prod")]

        plan = await call(
            table, "CreateUsagePlan", name="p", apiStages=[{"apiId": api_id, "stage": "prod"}],
            quota={"limit": 10, "period": "DAY"},
        )  # fmt: skip
        key = await call(table, "CreateApiKey", name="k", enabled=True)
        await call(table, "CreateUsagePlanKey", usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        today = datetime.datetime.fromtimestamp(apis.clock.now(), datetime.UTC).date().isoformat()
        got = await call(table, "GetUsage", usagePlanId=plan["id"], startDate=today, endDate=today)
        assert got == {"usagePlanId": plan["id"], "startDate": today, "endDate": today, "items": {key["id"]: [[0, 10]]}}
        updated = await call(
            table, "UpdateUsage", usagePlanId=plan["id"], keyId=key["id"],
            patchOperations=[{"op": "replace", "path": "/remaining", "value": "3"}],
        )  # fmt: skip
        assert updated["items"] == {key["id"]: [[0, 3]]}
    finally:
        await usage.close()

    without = operations(apis)
    with pytest.raises(AwsError) as raised:
        await call(without, "GetUsage", usagePlanId=plan["id"], startDate=today, endDate=today)
    assert raised.value.status == 501


async def test_flush_authorizers_hook(apis: RestApis) -> None:
    flushed: list[tuple[str, str]] = []

    async def flush_authorizers(api_id: str, stage: str) -> None:
        flushed.append((api_id, stage))

    table = operations(apis, flush_authorizers=flush_authorizers)
    api_id, _ = await build(table)
    assert await call(table, "FlushStageAuthorizersCache", restApiId=api_id, stageName="prod") == {}
    assert flushed == [(api_id, "prod")]
    with pytest.raises(AwsError) as raised:
        await call(operations(apis), "FlushStageAuthorizersCache", restApiId=api_id, stageName="prod")
    assert raised.value.status == 501  # never a success that flushes nothing


async def test_clone_from_refuses_an_integration_overcast_no_longer_accepts(apis: RestApis) -> None:
    table = operations(apis)
    api_id, pet = await build(table)

    def legacy(d: Definition) -> tuple[Definition, None]:  # an SQS proxy integration, stored as no operation would
        res = d.resources[pet]
        m = res.resource_methods["GET"]
        assert m.method_integration is not None
        sqs = "arn:aws:apigateway:us-east-1:sqs:action/SendMessage"
        aws = replace(m, method_integration=replace(m.method_integration, type="AWS_PROXY", uri=sqs))
        return replace(d, resources={**d.resources, pet: replace(res, resource_methods={"GET": aws})}), None

    await apis.change(CTX, api_id, legacy)
    before = len((await apis.page(CTX, 500, None))[0])
    with pytest.raises(AwsError) as raised:
        await call(table, "CreateRestApi", name="copy", cloneFrom=api_id)
    assert raised.value.code == "BadRequestException"
    assert "currently only supports Lambda function invocations" in raised.value.message
    assert len((await apis.page(CTX, 500, None))[0]) == before
