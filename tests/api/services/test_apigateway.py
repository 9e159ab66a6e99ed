"""apigateway (REST APIs, v1) through boto3 against a real server: each operation group, patch
operations, AWS's error codes, and that bad input changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

FN = "arn:aws:lambda:us-east-1:000000000000:function:pets"
INVOCATIONS = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations"


@pytest.fixture(scope="module")
def apigw(aws: Callable[..., Any]) -> Any:
    return aws("apigateway")


def error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    e = raised.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def new_api(apigw: Any, **kwargs: Any) -> tuple[str, str]:
    api = apigw.create_rest_api(name=kwargs.pop("name", "pets"), **kwargs)
    return api["id"], api["rootResourceId"]


def lambda_method(apigw: Any, api_id: str, resource_id: str, method: str = "GET", **kwargs: Any) -> None:
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=method, authorizationType="NONE", **kwargs)
    apigw.put_integration(
        restApiId=api_id, resourceId=resource_id, httpMethod=method, type="AWS_PROXY",
        integrationHttpMethod="POST", uri=INVOCATIONS,
    )  # fmt: skip


def test_rest_api_lifecycle(apigw: Any) -> None:
    created = apigw.create_rest_api(
        name="pets",
        description="d",
        binaryMediaTypes=["image/png"],
        apiKeySource="AUTHORIZER",
        endpointConfiguration={"types": ["REGIONAL"]},
        tags={"team": "a"},
    )
    api_id = created["id"]
    assert re.fullmatch(r"[a-z0-9]{10}", api_id)
    assert created["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert (created["apiKeySource"], created["binaryMediaTypes"]) == ("AUTHORIZER", ["image/png"])
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    root = apigw.get_resources(restApiId=api_id)["items"]
    assert root == [{"id": created["rootResourceId"], "path": "/"}]

    updated = apigw.update_rest_api(
        restApiId=api_id,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "pets2"},
            {"op": "add", "path": "/binaryMediaTypes/image~1jpeg"},
            {"op": "remove", "path": "/binaryMediaTypes/image~1png"},
            {"op": "replace", "path": "/apiKeySource", "value": "HEADER"},
            {"op": "replace", "path": "/minimumCompressionSize", "value": "1024"},
        ],
    )
    assert (updated["name"], updated["binaryMediaTypes"], updated["apiKeySource"]) == (
        "pets2",
        ["image/jpeg"],
        "HEADER",
    )
    assert updated["minimumCompressionSize"] == 1024
    # one page of up to 500: the session's server holds the APIs of every test before this one
    assert api_id in [a["id"] for a in apigw.get_rest_apis(limit=500)["items"]]

    # A bad operation anywhere in the list changes nothing.
    code, _, status = error(
        apigw.update_rest_api,
        restApiId=api_id,
        patchOperations=[
            {"op": "replace", "path": "/name", "value": "changed"},
            {"op": "replace", "path": "/apiKeySource", "value": "NOWHERE"},
        ],
    )
    assert (code, status) == ("BadRequestException", 400)
    assert error(apigw.update_rest_api, restApiId=api_id, patchOperations=[{"op": "replace", "path": "/nope"}])[0] == (
        "BadRequestException"
    )
    assert apigw.get_rest_api(restApiId=api_id)["name"] == "pets2"

    apigw.delete_rest_api(restApiId=api_id)
    code, message, status = error(apigw.get_rest_api, restApiId=api_id)
    assert (code, status) == ("NotFoundException", 404)
    assert message == f"Invalid API identifier specified 000000000000:{api_id}"


def test_resources(apigw: Any) -> None:
    api_id, root = new_api(apigw)
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    pet = apigw.create_resource(restApiId=api_id, parentId=pets["id"], pathPart="{id}")
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")
    assert (pets["path"], pet["path"], proxy["path"]) == ("/pets", "/pets/{id}", "/{proxy+}")

    code, message, status = error(apigw.create_resource, restApiId=api_id, parentId=root, pathPart="pets")
    assert (code, message, status) == (
        "ConflictException", "Another resource with the same parent already has this name: pets", 409,
    )  # fmt: skip
    assert error(apigw.create_resource, restApiId=api_id, parentId=pets["id"], pathPart="{other}")[0] == (
        "BadRequestException"
    )
    assert (
        error(apigw.create_resource, restApiId=api_id, parentId=proxy["id"], pathPart="x")[0] == "BadRequestException"
    )
    assert error(apigw.create_resource, restApiId=api_id, parentId=root, pathPart="a/b")[0] == "BadRequestException"
    code, message, _ = error(apigw.get_resource, restApiId=api_id, resourceId="nope")
    assert (code, message) == ("NotFoundException", "Invalid Resource identifier specified")

    lambda_method(apigw, api_id, pet["id"])
    plain = apigw.get_resource(restApiId=api_id, resourceId=pet["id"])
    assert plain["resourceMethods"] == {"GET": {}}
    embedded = apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]
    by_path = {r["path"]: r for r in embedded}
    assert by_path["/pets/{id}"]["resourceMethods"]["GET"]["methodIntegration"]["uri"] == INVOCATIONS

    renamed = apigw.update_resource(
        restApiId=api_id,
        resourceId=pets["id"],
        patchOperations=[{"op": "replace", "path": "/pathPart", "value": "cats"}],
    )
    assert renamed["path"] == "/cats"
    assert apigw.get_resource(restApiId=api_id, resourceId=pet["id"])["path"] == "/cats/{id}"

    apigw.delete_resource(restApiId=api_id, resourceId=pets["id"])
    assert {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]} == {"/", "/{proxy+}"}


def test_methods_and_integrations(apigw: Any) -> None:
    api_id, root = new_api(apigw)
    res = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    method = apigw.put_method(
        restApiId=api_id, resourceId=res, httpMethod="get", authorizationType="AWS_IAM", apiKeyRequired=True,
        requestParameters={"method.request.querystring.type": False},
    )  # fmt: skip
    assert (method["httpMethod"], method["authorizationType"], method["apiKeyRequired"]) == ("GET", "AWS_IAM", True)
    assert error(apigw.put_method, restApiId=api_id, resourceId=res, httpMethod="GET", authorizationType="NONE")[0] == (
        "ConflictException"
    )
    code, message, _ = error(
        apigw.put_method, restApiId=api_id, resourceId=res, httpMethod="POST", authorizationType="CUSTOM"
    )
    assert code == "BadRequestException" and "authorizer" in message
    assert error(apigw.get_method, restApiId=api_id, resourceId=res, httpMethod="POST")[1] == (
        "Invalid Method identifier specified"
    )

    updated = apigw.update_method(
        restApiId=api_id, resourceId=res, httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/apiKeyRequired", "value": "false"},
            {"op": "add", "path": "/requestParameters/method.request.header.X-Id", "value": "true"},
        ],
    )  # fmt: skip
    assert updated["apiKeyRequired"] is False
    assert updated["requestParameters"] == {
        "method.request.querystring.type": False,
        "method.request.header.X-Id": True,
    }

    integration = apigw.put_integration(
        restApiId=api_id, resourceId=res, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=INVOCATIONS,
    )  # fmt: skip
    assert (integration["timeoutInMillis"], integration["httpMethod"]) == (29000, "POST")
    for bad in (
        {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": INVOCATIONS, "timeoutInMillis": 30000},
        {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": "arn:aws:s3:::bucket"},
        {"type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": "not a url"},
        {"type": "HTTP_PROXY", "uri": "https://example.com/{proxy}"},
    ):
        assert error(apigw.put_integration, restApiId=api_id, resourceId=res, httpMethod="GET", **bad)[0] == (
            "BadRequestException"
        )
    assert apigw.get_integration(restApiId=api_id, resourceId=res, httpMethod="GET")["type"] == "AWS_PROXY"

    http = apigw.put_integration(
        restApiId=api_id, resourceId=res, httpMethod="GET", type="HTTP_PROXY", integrationHttpMethod="ANY",
        uri="https://example.com/{proxy}", timeoutInMillis=5000,
    )  # fmt: skip
    assert (http["type"], http["timeoutInMillis"]) == ("HTTP_PROXY", 5000)
    changed = apigw.update_integration(
        restApiId=api_id, resourceId=res, httpMethod="GET",
        patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "1000"}],
    )  # fmt: skip
    assert changed["timeoutInMillis"] == 1000

    mock = apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="OPTIONS", authorizationType="NONE")
    assert mock["httpMethod"] == "OPTIONS"
    apigw.put_integration(
        restApiId=api_id, resourceId=res, httpMethod="OPTIONS", type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )  # fmt: skip
    apigw.put_method_response(
        restApiId=api_id, resourceId=res, httpMethod="OPTIONS", statusCode="200",
        responseParameters={"method.response.header.Access-Control-Allow-Origin": True},
    )  # fmt: skip
    apigw.put_integration_response(
        restApiId=api_id, resourceId=res, httpMethod="OPTIONS", statusCode="200", selectionPattern="",
        responseParameters={"method.response.header.Access-Control-Allow-Origin": "'*'"},
        responseTemplates={"application/json": '{"ok": true}'},
    )  # fmt: skip
    got = apigw.get_method(restApiId=api_id, resourceId=res, httpMethod="OPTIONS")
    assert got["methodResponses"]["200"]["responseParameters"] == {
        "method.response.header.Access-Control-Allow-Origin": True
    }
    assert got["methodIntegration"]["integrationResponses"]["200"]["responseTemplates"] == {
        "application/json": '{"ok": true}'
    }

    apigw.delete_integration(restApiId=api_id, resourceId=res, httpMethod="OPTIONS")
    assert (
        error(apigw.get_integration, restApiId=api_id, resourceId=res, httpMethod="OPTIONS")[0] == "NotFoundException"
    )
    apigw.delete_method(restApiId=api_id, resourceId=res, httpMethod="OPTIONS")
    assert error(apigw.get_method, restApiId=api_id, resourceId=res, httpMethod="OPTIONS")[0] == "NotFoundException"


def test_deployments_and_stages(apigw: Any) -> None:
    api_id, root = new_api(apigw)
    assert error(apigw.create_deployment, restApiId=api_id, stageName="prod")[1] == (
        "The REST API doesn't contain any methods"
    )
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    lambda_method(apigw, api_id, pets)
    first = apigw.create_deployment(restApiId=api_id, stageName="prod", description="one", variables={"v": "1"})
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert (stage["deploymentId"], stage["variables"], stage["cacheClusterEnabled"]) == (first["id"], {"v": "1"}, False)
    summary = apigw.get_deployment(restApiId=api_id, deploymentId=first["id"], embed=["apisummary"])["apiSummary"]
    assert summary == {"/pets": {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}}

    second = apigw.create_deployment(restApiId=api_id, stageName="prod")
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["deploymentId"] == second["id"]
    assert [d["id"] for d in apigw.get_deployments(restApiId=api_id)["items"]] == [first["id"], second["id"]]
    code, message, _ = error(apigw.delete_deployment, restApiId=api_id, deploymentId=second["id"])
    assert (code, message) == (
        "BadRequestException",
        "Active stages pointing to this deployment must be moved or deleted",
    )
    apigw.delete_deployment(restApiId=api_id, deploymentId=first["id"])

    dev = apigw.create_stage(restApiId=api_id, stageName="dev", deploymentId=second["id"], variables={"a": "b"})
    assert dev["stageName"] == "dev"
    assert error(apigw.create_stage, restApiId=api_id, stageName="dev", deploymentId=second["id"])[0] == (
        "ConflictException"
    )
    assert error(apigw.create_stage, restApiId=api_id, stageName="x", deploymentId="nope")[0] == "NotFoundException"

    updated = apigw.update_stage(
        restApiId=api_id,
        stageName="dev",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "50"},
            {"op": "replace", "path": "/~1pets/GET/caching/enabled", "value": "true"},
            {"op": "replace", "path": "/~1pets/GET/caching/ttlInSeconds", "value": "60"},
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
            {"op": "replace", "path": "/cacheClusterSize", "value": "1.6"},
            {"op": "add", "path": "/variables/color", "value": "red"},
            {"op": "remove", "path": "/variables/a"},
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": "arn:aws:logs:us-east-1:0:log-group:x",
            },
            {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
        ],
    )
    assert updated["methodSettings"]["*/*"]["throttlingRateLimit"] == 100.0
    assert updated["methodSettings"]["*/*"]["throttlingBurstLimit"] == 50
    assert updated["methodSettings"]["~1pets/GET"]["cachingEnabled"] is True
    assert updated["methodSettings"]["~1pets/GET"]["cacheTtlInSeconds"] == 60
    assert (updated["cacheClusterEnabled"], updated["cacheClusterSize"], updated["cacheClusterStatus"]) == (
        True, "1.6", "AVAILABLE",
    )  # fmt: skip
    assert updated["variables"] == {"color": "red"}
    assert updated["accessLogSettings"]["format"] == "$context.requestId"

    before = apigw.get_stage(restApiId=api_id, stageName="dev")
    assert (
        error(
            apigw.update_stage,
            restApiId=api_id,
            stageName="dev",
            patchOperations=[
                {"op": "replace", "path": "/variables/ok", "value": "1"},
                {"op": "replace", "path": "/cacheClusterSize", "value": "2.0"},
            ],
        )[0]
        == "BadRequestException"
    )
    after = apigw.get_stage(restApiId=api_id, stageName="dev")
    assert {**after, "ResponseMetadata": None} == {**before, "ResponseMetadata": None}
    assert {s["stageName"] for s in apigw.get_stages(restApiId=api_id)["item"]} == {"prod", "dev"}

    apigw.delete_stage(restApiId=api_id, stageName="dev")
    assert error(apigw.get_stage, restApiId=api_id, stageName="dev")[1] == "Invalid Stage identifier specified"
    flushed = apigw.flush_stage_cache(restApiId=api_id, stageName="prod")
    assert flushed["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert error(apigw.flush_stage_cache, restApiId=api_id, stageName="dev")[0] == "NotFoundException"
