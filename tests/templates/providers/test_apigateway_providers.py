"""API Gateway v1's resource providers over the real REST API control plane and its operations."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.api.services import apigateway
from overcast.apis.restapi import RestApis
from overcast.clock import FakeClock
from overcast.errors import AwsError
from overcast.store import Store
from overcast.templates.providers import apigateway as providers_v1
from overcast.templates.providers.base import Made, Provider, Providers
from overcast.templates.providers.operated import Operations

from .conftest import CTX, request

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:hello"
INVOKE = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations"
BODY = {
    "openapi": "3.0.1",
    "info": {"title": "pets", "version": "1.0"},
    "paths": {"/pets": {"get": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST",
                                                                     "uri": INVOKE}}}},
}  # fmt: skip


@pytest.fixture
async def operations(sqlite_store: Store, clock: FakeClock) -> Operations:
    apis = RestApis(sqlite_store, clock)
    await apis.start()
    return apigateway.operations(apis)


@pytest.fixture
def providers(operations: Operations) -> Providers:
    found = Providers()

    async def built() -> Operations:
        return operations

    providers_v1.register(found, built)
    return found


class Stack:
    """Resources made through their providers, for the assertions and their removal in reverse order."""

    def __init__(self, providers: Providers) -> None:
        self.providers = providers
        self.made: list[tuple[str, str, dict[str, Any], Made]] = []

    def provider(self, name: str) -> Provider:
        found = self.providers.get(f"AWS::ApiGateway::{name}")
        assert found is not None
        return found

    async def create(self, name: str, logical_id: str, properties: dict[str, Any]) -> Made:
        made = await self.provider(name).create(request(f"AWS::ApiGateway::{name}", logical_id, properties))
        self.made.append((name, logical_id, properties, made))
        return made

    async def update(self, name: str, logical_id: str, properties: dict[str, Any]) -> Made:
        index, (_, _, previous, current) = next(
            (i, entry) for i, entry in enumerate(self.made) if entry[1] == logical_id
        )
        changed = await self.provider(name).update(
            request(f"AWS::ApiGateway::{name}", logical_id, properties), current, previous
        )
        self.made[index] = (name, logical_id, properties, changed)
        return changed

    async def delete_all(self) -> None:
        for name, logical_id, properties, made in reversed(self.made):
            await self.provider(name).delete(request(f"AWS::ApiGateway::{name}", logical_id, properties), made)


async def test_a_rest_api_from_an_openapi_body_deployed_to_a_stage(
    providers: Providers, operations: Operations
) -> None:
    stack = Stack(providers)
    api = await stack.create("RestApi", "Api", {"Body": BODY, "Description": "from the template",
                                                "Tags": [{"Key": "app", "Value": "pets"}]})  # fmt: skip
    got = await operations["GetRestApi"](CTX, {"restApiId": api.ref})
    assert (got["name"], got["description"], got["tags"]) == ("pets", "from the template", {"app": "pets"})
    resources = (await operations["GetResources"](CTX, {"restApiId": api.ref}))["items"]
    root = next(r["id"] for r in resources if r["path"] == "/")
    # Ref: the API's id; GetAtt RestApiId and RootResourceId.
    assert api.attributes == {"RestApiId": api.ref, "RootResourceId": root}
    assert sorted(r["path"] for r in resources) == ["/", "/pets"]

    deployment = await stack.create("Deployment", "Deployment", {"RestApiId": api.ref, "StageName": "prod",
                                    "StageDescription": {"Variables": {"Mode": "live"}}})  # fmt: skip
    assert deployment.attributes == {"DeploymentId": deployment.ref}
    stage = await operations["GetStage"](CTX, {"restApiId": api.ref, "stageName": "prod"})
    assert (stage["deploymentId"], stage["variables"]) == (deployment.ref, {"Mode": "live"})

    # A changed body: PutRestApi (overwrite); the template's description still wins over the definition's.
    paths = {"/cats": BODY["paths"]["/pets"]}
    await stack.update("RestApi", "Api", {"Body": {**BODY, "paths": paths}, "Description": "changed",
                                          "Tags": [{"Key": "app", "Value": "pets"}]})  # fmt: skip
    resources = (await operations["GetResources"](CTX, {"restApiId": api.ref}))["items"]
    assert sorted(r["path"] for r in resources) == ["/", "/cats"]
    assert (await operations["GetRestApi"](CTX, {"restApiId": api.ref}))["description"] == "changed"

    await stack.delete_all()
    with pytest.raises(AwsError) as raised:
        await operations["GetRestApi"](CTX, {"restApiId": api.ref})
    assert raised.value.code == "NotFoundException"


async def test_a_rest_api_built_from_its_parts(providers: Providers, operations: Operations) -> None:
    stack = Stack(providers)
    api = await stack.create("RestApi", "Api", {"Name": "parts", "EndpointConfiguration": {"Types": ["REGIONAL"]}})
    root = api.attributes["RootResourceId"]
    resource = await stack.create("Resource", "Items", {"RestApiId": api.ref, "ParentId": root, "PathPart": "items"})
    assert resource.attributes == {"ResourceId": resource.ref}
    validator = await stack.create(
        "RequestValidator", "Validator", {"RestApiId": api.ref, "Name": "body", "ValidateRequestBody": True}
    )
    assert validator.attributes == {"RequestValidatorId": validator.ref}
    model_props = {"RestApiId": api.ref, "Name": "Item", "Schema": {"type": "object"}}
    model = await stack.create("Model", "Item", model_props)
    assert model.ref == "Item"  # Ref: the model's name
    authorizer = await stack.create("Authorizer", "Auth", {
        "RestApiId": api.ref, "Name": "token", "Type": "TOKEN", "AuthorizerUri": INVOKE,
        "IdentitySource": "method.request.header.Authorization",
    })  # fmt: skip
    assert authorizer.attributes == {"AuthorizerId": authorizer.ref}
    method_props = {
        "RestApiId": api.ref, "ResourceId": resource.ref, "HttpMethod": "post", "AuthorizationType": "CUSTOM",
        "AuthorizerId": authorizer.ref, "RequestValidatorId": validator.ref,
        "RequestModels": {"application/json": "Item"},
        "MethodResponses": [{"StatusCode": "200"}],
        "Integration": {"Type": "MOCK", "RequestTemplates": {"application/json": '{"statusCode": 200}'},
                        "IntegrationResponses": [{"StatusCode": "200",
                                                  "ResponseTemplates": {"application/json": "{}"}}]},
    }  # fmt: skip
    method = await stack.create("Method", "Post", method_props)
    assert method.ref == f"{api.ref}|{resource.ref}|POST"
    got = await operations["GetMethod"](CTX, {"restApiId": api.ref, "resourceId": resource.ref, "httpMethod": "POST"})
    assert (got["authorizerId"], got["methodIntegration"]["type"]) == (authorizer.ref, "MOCK")
    assert list(got["methodResponses"]) == ["200"]
    assert list(got["methodIntegration"]["integrationResponses"]) == ["200"]

    # Updates: patch operations for what changed, a method put again as a whole.
    await stack.update("Resource", "Items", {"RestApiId": api.ref, "ParentId": root, "PathPart": "things"})
    await stack.update("Method", "Post", {**method_props, "AuthorizationType": "NONE", "AuthorizerId": None} | {
        "Integration": {**method_props["Integration"], "RequestTemplates": {"application/json": '{"statusCode": 201}'}}
    })  # fmt: skip
    got = await operations["GetMethod"](CTX, {"restApiId": api.ref, "resourceId": resource.ref, "httpMethod": "POST"})
    assert got["authorizationType"] == "NONE"
    assert got["methodIntegration"]["requestTemplates"] == {"application/json": '{"statusCode": 201}'}
    resources = (await operations["GetResources"](CTX, {"restApiId": api.ref}))["items"]
    assert sorted(r["path"] for r in resources) == ["/", "/things"]

    response = await stack.create("GatewayResponse", "Missing", {
        "RestApiId": api.ref, "ResponseType": "MISSING_AUTHENTICATION_TOKEN", "StatusCode": "404",
        "ResponseTemplates": {"application/json": '{"message": "no such route"}'},
    })  # fmt: skip
    assert response.ref == f"{api.ref}|MISSING_AUTHENTICATION_TOKEN"
    deployment = await stack.create("Deployment", "Deployment", {"RestApiId": api.ref})
    stage = await stack.create("Stage", "Stage", {
        "RestApiId": api.ref, "StageName": "v1", "DeploymentId": deployment.ref, "Variables": {"Color": "blue"},
        "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True}],
    })  # fmt: skip
    assert stage.ref == "v1"
    await stack.update("Stage", "Stage", {"RestApiId": api.ref, "StageName": "v1", "DeploymentId": deployment.ref,
                                          "Variables": {"Size": "L"}, "TracingEnabled": True})  # fmt: skip
    got = await operations["GetStage"](CTX, {"restApiId": api.ref, "stageName": "v1"})
    assert (got["variables"], got["tracingEnabled"]) == ({"Size": "L"}, True)
    await stack.update("Stage", "Stage", {"RestApiId": api.ref, "StageName": "v1", "DeploymentId": deployment.ref,
                                          "Tags": [{"Key": "env", "Value": "test"}]})  # fmt: skip
    got = await operations["GetStage"](CTX, {"restApiId": api.ref, "stageName": "v1"})
    assert (got.get("variables") or {}, got["tags"]) == ({}, {"env": "test"})

    key = await stack.create("ApiKey", "Key", {"Name": "partner", "Enabled": True})
    assert key.attributes == {"APIKeyId": key.ref}
    plan = await stack.create("UsagePlan", "Plan", {"UsagePlanName": "gold", "ApiStages": [{"ApiId": api.ref,
                              "Stage": "v1"}], "Throttle": {"BurstLimit": 10, "RateLimit": 5}})  # fmt: skip
    assert plan.attributes == {"Id": plan.ref}
    plan_key = await stack.create("UsagePlanKey", "PlanKey", {"UsagePlanId": plan.ref, "KeyId": key.ref,
                                                              "KeyType": "API_KEY"})  # fmt: skip
    assert plan_key.ref == key.ref
    await stack.update("UsagePlan", "Plan", {"UsagePlanName": "gold", "Throttle": {"BurstLimit": 20, "RateLimit": 5},
                                             "Quota": {"Limit": 1000, "Period": "DAY"}})  # fmt: skip
    got = await operations["GetUsagePlan"](CTX, {"usagePlanId": plan.ref})
    assert (got["throttle"]["burstLimit"], got["quota"]["limit"], got.get("apiStages", [])) == (20, 1000, [])
    stage_keys = [{"RestApiId": api.ref, "StageName": "v1"}]
    await stack.update("ApiKey", "Key", {"Name": "partner", "Enabled": False, "Description": "paused",
                                         "StageKeys": stage_keys})  # fmt: skip
    got = await operations["GetApiKey"](CTX, {"apiKey": key.ref})
    assert (got["enabled"], got["description"], got["stageKeys"]) == (False, "paused", [f"{api.ref}/v1"])

    await stack.delete_all()
    with pytest.raises(AwsError):
        await operations["GetApiKey"](CTX, {"apiKey": key.ref})
    with pytest.raises(AwsError):
        await operations["GetUsagePlan"](CTX, {"usagePlanId": plan.ref})
