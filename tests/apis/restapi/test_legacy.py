"""A store written before the REST control plane kept records (AWS-shaped documents holding their tags)
loads after the upgrade, its tags in the kit's table; and a deleted resource's tags leave that table.

`old_layout.json` holds the rows the previous layout wrote for one API (a Lambda proxy method with an
authorizer and responses, a customised gateway response, stage prod with variables, a method setting
and tags, its deployment), an API key attached to the stage and a usage plan granting it, each tagged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from overcast.api.services.apigateway import operations
from overcast.apis.deployed import KeyPlan, Quota, Throttle
from overcast.apis.restapi import RestApis
from overcast.apis.restapi.schema import STEPS
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.kit import tags
from overcast.store import Store
from tests.store.conftest import store, store_target  # noqa: F401 - fixtures on both engines

CTX = RequestContext(account_id="111111111111", region="eu-west-1")
ROWS: dict[str, list[dict[str, Any]]] = json.loads((Path(__file__).parent / "old_layout.json").read_text())
API, ROOT, PETS, AUTHORIZER, DEPLOYMENT = "6lvswcku77", "r93dcxvai3", "978et0py9k", "5kcojq", "eef1u1"
KEY, PLAN = "cupd0vp6jm", "uam60r"
FN = "arn:aws:lambda:eu-west-1:111111111111:function:pets"
URI = f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/{FN}/invocations"


async def _old_store(store: Store) -> None:  # noqa: F811
    await store.migrate("apigateway", STEPS[:5])  # the steps released with the old layout
    for table, rows in ROWS.items():
        for row in rows:
            columns = ", ".join(row)
            await store.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(row))})", *row.values())


async def test_documents_become_records_and_their_tags_move(store: Store) -> None:  # noqa: F811
    await _old_store(store)
    apis = RestApis(store, FakeClock())
    await apis.start()
    table = operations(apis)

    async def call(operation: str, **params: Any) -> dict[str, Any]:
        return await table[operation](CTX, params)

    api = await call("GetRestApi", restApiId=API)
    assert (api["name"], api["binaryMediaTypes"], api["tags"]) == ("legacy", ["image/png"], {"team": "a"})
    method = await call("GetMethod", restApiId=API, resourceId=PETS, httpMethod="GET")
    assert (method["authorizationType"], method["authorizerId"]) == ("CUSTOM", AUTHORIZER)
    assert method["requestParameters"] == {"method.request.querystring.q": False}
    assert method["methodResponses"] == {
        "200": {"statusCode": "200", "responseParameters": {"method.response.header.X": True}}
    }
    integration = method["methodIntegration"]
    assert (integration["uri"], integration["httpMethod"], integration["tlsConfig"]) == (
        URI, "POST", {"insecureSkipVerification": True},
    )  # fmt: skip
    assert integration["integrationResponses"] == {"200": {"statusCode": "200", "selectionPattern": ""}}
    assert (await call("GetAuthorizer", restApiId=API, authorizerId=AUTHORIZER))["identitySource"] == (
        "method.request.header.Authorization"
    )
    assert (await call("GetGatewayResponse", restApiId=API, responseType="UNAUTHORIZED"))["statusCode"] == "401"
    stage = await call("GetStage", restApiId=API, stageName="prod")
    assert (stage["deploymentId"], stage["variables"], stage["tags"]) == (DEPLOYMENT, {"v": "1"}, {"stage": "yes"})
    assert stage["methodSettings"]["*/*"]["throttlingRateLimit"] == 7.0
    deployment = await call("GetDeployment", restApiId=API, deploymentId=DEPLOYMENT, embed=["apisummary"])
    assert deployment["apiSummary"] == {"/pets": {"GET": {"authorizationType": "CUSTOM", "apiKeyRequired": False}}}

    key = await call("GetApiKey", apiKey=KEY, includeValue=True)
    assert (key["value"], key["stageKeys"], key["tags"]) == ("k" * 24, [f"{API}/prod"], {"owner": "me"})
    assert [k["id"] for k in (await call("GetApiKeys", nameQuery="k"))["items"]] == [KEY]  # the new name column
    plan = await call("GetUsagePlan", usagePlanId=PLAN)
    assert (plan["quota"], plan["tags"]) == ({"limit": 100, "period": "DAY", "offset": 0}, {"tier": "gold"})

    served = await apis.deployed(API, "prod")
    assert served is not None and [(r.method, r.path) for r in served.routes] == [("GET", "/pets")]
    route = served.routes[0]
    assert route.integration.uri == FN and route.authorizer is not None and route.authorizer.function_arn == FN
    assert served.throttle == Throttle(7.0, 5000) and served.binary_media_types == ("image/png",)
    assert await apis.key_plan(API, "prod", "k" * 24) == KeyPlan(
        KEY, "k" * 24, PLAN, Throttle(10.0, 20), Quota(100, "DAY", 0), (("/pets/GET", Throttle(2.0, 1)),)
    )

    # The documents hold no tags any more: they are the kit's, and a change of tags is seen at once.
    for table_name in ("apigw_apis", "apigw_keys", "apigw_plans"):
        for row in await store.fetch_all(f"SELECT doc FROM {table_name}"):
            assert '"tags"' not in row["doc"]
    await call("UntagResource", resourceArn=f"arn:aws:apigateway:eu-west-1::/restapis/{API}", tagKeys=["team"])
    assert "tags" not in await call("GetRestApi", restApiId=API)


async def test_a_deleted_resources_tags_leave_the_table(store: Store) -> None:  # noqa: F811
    apis = RestApis(store, FakeClock())
    await apis.start()
    table = operations(apis)

    async def call(operation: str, **params: Any) -> dict[str, Any]:
        return await table[operation](CTX, params)

    api = await call("CreateRestApi", name="t", tags={"a": "1"})
    pets = await call("CreateResource", restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")
    await call("PutMethod", restApiId=api["id"], resourceId=pets["id"], httpMethod="GET", authorizationType="NONE")
    await call("PutIntegration", restApiId=api["id"], resourceId=pets["id"], httpMethod="GET", type="MOCK")
    deployment = await call("CreateDeployment", restApiId=api["id"])
    for stage in ("one", "two"):
        await call(
            "CreateStage", restApiId=api["id"], stageName=stage, deploymentId=deployment["id"], tags={"s": stage}
        )
    key = await call("CreateApiKey", name="k", tags={"k": "1"})
    plan = await call("CreateUsagePlan", name="p", tags={"p": "1"})

    async def tagged() -> set[str]:
        return {row["arn"] for row in await store.fetch_all("SELECT DISTINCT arn FROM resource_tags")}

    assert len(await tagged()) == 5
    await call("DeleteStage", restApiId=api["id"], stageName="one")
    assert f"arn:aws:apigateway:eu-west-1::/restapis/{api['id']}/stages/one" not in await tagged()
    await call("DeleteRestApi", restApiId=api["id"])
    await call("DeleteApiKey", apiKey=key["id"])
    await call("DeleteUsagePlan", usagePlanId=plan["id"])
    assert await tagged() == set()
    assert await tags.read(store, f"arn:aws:apigateway:eu-west-1::/restapis/{api['id']}") == {}
