"""apigateway authorizers, gateway responses, tags, API keys, usage plans and their keys through boto3."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

FN = "arn:aws:lambda:us-east-1:000000000000:function:auth"
INVOCATIONS = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations"


@pytest.fixture(scope="module")
def apigw(aws: Callable[..., Any]) -> Any:
    return aws("apigateway")


def error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    e = raised.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def deployed(apigw: Any) -> tuple[str, str]:
    """An API with GET /pets deployed to stage prod: (api id, /pets resource id)."""
    api = apigw.create_rest_api(name="keys")
    pets = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=pets, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=pets, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    return api["id"], pets


def test_authorizers(apigw: Any, deployed: tuple[str, str]) -> None:
    api_id, pets = deployed
    token = apigw.create_authorizer(
        restApiId=api_id, name="tok", type="TOKEN", authorizerUri=INVOCATIONS,
        identitySource="method.request.header.Authorization", identityValidationExpression="^Bearer .+$",
    )  # fmt: skip
    assert re.fullmatch(r"[a-z0-9]{6}", token["id"]) and token["authorizerResultTtlInSeconds"] == 300
    request = apigw.create_authorizer(
        restApiId=api_id, name="req", type="REQUEST", authorizerUri=INVOCATIONS,
        identitySource="method.request.header.X-User,method.request.querystring.id", authorizerResultTtlInSeconds=0,
    )  # fmt: skip
    assert request["authorizerResultTtlInSeconds"] == 0
    assert error(apigw.create_authorizer, restApiId=api_id, name="bad", type="TOKEN", authorizerUri="nope")[0] == (
        "BadRequestException"
    )
    assert error(
        apigw.create_authorizer, restApiId=api_id, name="ttl", type="TOKEN", authorizerUri=INVOCATIONS,
        authorizerResultTtlInSeconds=4000,
    )[0] == "BadRequestException"  # fmt: skip
    assert {a["name"] for a in apigw.get_authorizers(restApiId=api_id)["items"]} == {"tok", "req"}

    apigw.update_method(
        restApiId=api_id, resourceId=pets, httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "CUSTOM"},
            {"op": "replace", "path": "/authorizerId", "value": token["id"]},
        ],
    )  # fmt: skip
    assert error(apigw.delete_authorizer, restApiId=api_id, authorizerId=token["id"])[0] == "ConflictException"
    updated = apigw.update_authorizer(
        restApiId=api_id, authorizerId=request["id"],
        patchOperations=[{"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "60"}],
    )  # fmt: skip
    assert updated["authorizerResultTtlInSeconds"] == 60
    apigw.delete_authorizer(restApiId=api_id, authorizerId=request["id"])
    assert error(apigw.get_authorizer, restApiId=api_id, authorizerId=request["id"])[0] == "NotFoundException"


def test_gateway_responses(apigw: Any, deployed: tuple[str, str]) -> None:
    api_id, _ = deployed
    defaults = {r["responseType"]: r for r in apigw.get_gateway_responses(restApiId=api_id)["items"]}
    assert defaults["THROTTLED"]["statusCode"] == "429" and defaults["THROTTLED"]["defaultResponse"] is True
    assert "statusCode" not in defaults["DEFAULT_4XX"]
    put = apigw.put_gateway_response(
        restApiId=api_id, responseType="UNAUTHORIZED", statusCode="401",
        responseParameters={"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
        responseTemplates={"application/json": '{"message":"no"}'},
    )  # fmt: skip
    assert put["defaultResponse"] is False
    got = apigw.get_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")
    assert got["responseTemplates"] == {"application/json": '{"message":"no"}'}
    assert error(apigw.put_gateway_response, restApiId=api_id, responseType="NOPE")[2] == 400
    apigw.delete_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")
    assert apigw.get_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED")["defaultResponse"] is True


def test_tags(apigw: Any, deployed: tuple[str, str]) -> None:
    api_id, _ = deployed
    for arn in (
        f"arn:aws:apigateway:us-east-1::/restapis/{api_id}",
        f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/prod",
    ):
        apigw.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
        apigw.untag_resource(resourceArn=arn, tagKeys=["b"])
        assert apigw.get_tags(resourceArn=arn)["tags"] == {"a": "1"}
    assert apigw.get_rest_api(restApiId=api_id)["tags"] == {"a": "1"}


def test_api_keys(apigw: Any) -> None:
    generated = apigw.create_api_key(name="gen-key", enabled=True)
    assert len(generated["value"]) == 40 and generated["enabled"] is True
    given = apigw.create_api_key(name="given-key", value="x" * 30, tags={"t": "1"})
    assert (given["value"], given["enabled"]) == ("x" * 30, False)
    assert "value" not in apigw.get_api_key(apiKey=given["id"])
    assert apigw.get_api_key(apiKey=given["id"], includeValue=True)["value"] == "x" * 30
    assert error(apigw.create_api_key, name="dup", value="x" * 30)[0] == "ConflictException"
    assert error(apigw.create_api_key, name="short", value="abc")[0] == "BadRequestException"

    listed = apigw.get_api_keys(nameQuery="given", includeValues=True)["items"]
    assert [(k["id"], k["value"]) for k in listed] == [(given["id"], "x" * 30)]
    assert all("value" not in k for k in apigw.get_api_keys()["items"])
    updated = apigw.update_api_key(
        apiKey=given["id"],
        patchOperations=[
            {"op": "replace", "path": "/enabled", "value": "true"},
            {"op": "replace", "path": "/name", "value": "renamed"},
        ],
    )
    assert (updated["enabled"], updated["name"]) == (True, "renamed")
    apigw.delete_api_key(apiKey=given["id"])
    code, message, _ = error(apigw.get_api_key, apiKey=given["id"])
    assert (code, message) == ("NotFoundException", "Invalid API Key identifier specified")


def test_usage_plans_and_keys(apigw: Any, deployed: tuple[str, str]) -> None:
    api_id, _ = deployed
    plan = apigw.create_usage_plan(
        name="basic",
        apiStages=[{"apiId": api_id, "stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 5.0, "burstLimit": 2}}}],
        throttle={"rateLimit": 10.0, "burstLimit": 20},
        quota={"limit": 1000, "period": "MONTH", "offset": 1},
    )
    assert re.fullmatch(r"[a-z0-9]{6}", plan["id"])
    assert plan["apiStages"][0]["throttle"] == {"/pets/GET": {"rateLimit": 5.0, "burstLimit": 2}}
    assert error(apigw.create_usage_plan, name="q", quota={"limit": 1, "period": "WEEK", "offset": 9})[0] == (
        "BadRequestException"
    )
    assert error(apigw.create_usage_plan, name="s", apiStages=[{"apiId": api_id, "stage": "nope"}])[0] == (
        "NotFoundException"
    )

    updated = apigw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[
            {"op": "replace", "path": "/throttle/rateLimit", "value": "50"},
            {"op": "replace", "path": "/quota/period", "value": "WEEK"},
            {"op": "replace", "path": "/quota/offset", "value": "0"},
            {"op": "replace", "path": f"/apiStages/{api_id}:prod/throttle/~1pets/GET/rateLimit", "value": "7"},
        ],
    )
    assert updated["throttle"]["rateLimit"] == 50.0
    assert updated["quota"] == {"limit": 1000, "period": "WEEK", "offset": 0}
    assert updated["apiStages"][0]["throttle"]["/pets/GET"]["rateLimit"] == 7.0
    # quota offset 10 is out of range for a week: nothing changes
    assert (
        error(
            apigw.update_usage_plan,
            usagePlanId=plan["id"],
            patchOperations=[
                {"op": "replace", "path": "/name", "value": "x"},
                {"op": "replace", "path": "/quota/offset", "value": "10"},
            ],
        )[0]
        == "BadRequestException"
    )
    assert apigw.get_usage_plan(usagePlanId=plan["id"])["name"] == "basic"

    key = apigw.create_api_key(name="plan-key", enabled=True)
    made = apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert (made["id"], made["type"], made["value"], made["name"]) == (key["id"], "API_KEY", key["value"], "plan-key")
    assert error(apigw.create_usage_plan_key, usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")[0] == (
        "ConflictException"
    )
    assert apigw.get_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])["id"] == key["id"]
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    assert [p["id"] for p in apigw.get_usage_plans(keyId=key["id"])["items"]] == [plan["id"]]
    usage = apigw.get_usage(usagePlanId=plan["id"], startDate="2026-01-01", endDate="2026-01-02")
    assert usage["items"] == {key["id"]: [[0, 1000], [0, 1000]]}
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"] == []

    removed = apigw.update_usage_plan(
        usagePlanId=plan["id"], patchOperations=[{"op": "remove", "path": "/apiStages", "value": f"{api_id}:prod"}]
    )
    assert removed["apiStages"] == []
    apigw.delete_usage_plan(usagePlanId=plan["id"])
    assert error(apigw.get_usage_plan, usagePlanId=plan["id"])[1] == "Invalid Usage Plan ID specified"
