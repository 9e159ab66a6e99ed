"""API Gateway v2's resource providers over the real HTTP API control plane and its operations."""

from __future__ import annotations

import pytest

from overcast.api.services import apigatewayv2
from overcast.apis.httpapi import HttpApis
from overcast.clock import FakeClock
from overcast.errors import AwsError
from overcast.store import Store
from overcast.templates.providers import apigatewayv2 as providers_v2
from overcast.templates.providers.base import Provider, Providers
from overcast.templates.providers.operated import Operations

from .conftest import CTX, request

FUNCTION = "arn:aws:lambda:us-east-1:111111111111:function:hello"
BODY = {
    "openapi": "3.0.1",
    "info": {"title": "orders", "version": "1.0"},
    "paths": {
        "/orders": {
            "get": {
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy",
                    "httpMethod": "POST",
                    "uri": FUNCTION,
                    "payloadFormatVersion": "2.0",
                }
            }
        }
    },
}


@pytest.fixture
async def operations(sqlite_store: Store, clock: FakeClock) -> Operations:
    apis = HttpApis(sqlite_store, clock)
    await apis.start()
    return apigatewayv2.operations(apis)


@pytest.fixture
def providers(operations: Operations) -> Providers:
    found = Providers()

    async def built() -> Operations:
        return operations

    providers_v2.register(found, built)
    return found


def provider(providers: Providers, name: str) -> Provider:
    found = providers.get(f"AWS::ApiGatewayV2::{name}")
    assert found is not None
    return found


async def test_an_api_from_an_openapi_body_with_a_stage(providers: Providers, operations: Operations) -> None:
    api_props = {"Body": BODY, "Description": "from the template", "Tags": {"app": "demo"}}
    api_req = request("AWS::ApiGatewayV2::Api", "Api", api_props)
    api = await provider(providers, "Api").create(api_req)
    got = await operations["GetApi"](CTX, {"ApiId": api.ref})
    # Ref: the API's id; GetAtt ApiEndpoint and ApiId.
    assert api.attributes == {"ApiEndpoint": got["ApiEndpoint"], "ApiId": api.ref}
    assert (got["Name"], got["Description"], got["Tags"]) == ("orders", "from the template", {"app": "demo"})
    routes = await operations["GetRoutes"](CTX, {"ApiId": api.ref})
    assert [r["RouteKey"] for r in routes["Items"]] == ["GET /orders"]

    stage_req = request(
        "AWS::ApiGatewayV2::Stage", "Stage", {"ApiId": api.ref, "StageName": "$default", "AutoDeploy": True}
    )
    stage = await provider(providers, "Stage").create(stage_req)
    assert stage.ref == "$default"  # Ref: the stage's name
    assert (await operations["GetStage"](CTX, {"ApiId": api.ref, "StageName": "$default"}))["AutoDeploy"] is True
    tagged = {**stage_req.properties, "Tags": {"env": "test"}}
    await provider(providers, "Stage").update(
        request("AWS::ApiGatewayV2::Stage", "Stage", tagged), stage, stage_req.properties
    )
    assert (await operations["GetStage"](CTX, {"ApiId": api.ref, "StageName": "$default"}))["Tags"] == {"env": "test"}
    untagged = {**api_props, "Tags": {}}
    await provider(providers, "Api").update(request("AWS::ApiGatewayV2::Api", "Api", untagged), api, api_props)
    assert (await operations["GetApi"](CTX, {"ApiId": api.ref})).get("Tags", {}) == {}
    api_props = untagged

    # The body changed: ReimportApi; the API keeps its id.
    paths = {**BODY["paths"], "/items": BODY["paths"]["/orders"]}
    changed = {**api_props, "Body": {**BODY, "paths": paths}}
    again = await provider(providers, "Api").update(request("AWS::ApiGatewayV2::Api", "Api", changed), api, api_props)
    assert again.ref == api.ref
    routes = await operations["GetRoutes"](CTX, {"ApiId": api.ref})
    assert sorted(r["RouteKey"] for r in routes["Items"]) == ["GET /items", "GET /orders"]

    await provider(providers, "Stage").delete(stage_req, stage)
    await provider(providers, "Api").delete(api_req, api)
    with pytest.raises(AwsError) as raised:
        await operations["GetApi"](CTX, {"ApiId": api.ref})
    assert raised.value.code == "NotFoundException"
    await provider(providers, "Api").delete(api_req, api)  # already gone: no error


async def test_an_api_built_from_its_parts(providers: Providers, operations: Operations) -> None:
    api = await provider(providers, "Api").create(
        request("AWS::ApiGatewayV2::Api", "Api", {"Name": "parts", "ProtocolType": "HTTP"})
    )
    integration_props = {"ApiId": api.ref, "IntegrationType": "AWS_PROXY", "IntegrationUri": FUNCTION,
                         "PayloadFormatVersion": "2.0"}  # fmt: skip
    integration = await provider(providers, "Integration").create(
        request("AWS::ApiGatewayV2::Integration", "Integration", integration_props)
    )
    assert integration.attributes == {"IntegrationId": integration.ref}
    route_props = {"ApiId": api.ref, "RouteKey": "GET /hello", "Target": f"integrations/{integration.ref}"}
    route_req = request("AWS::ApiGatewayV2::Route", "Route", route_props)
    route = await provider(providers, "Route").create(route_req)
    assert route.attributes == {"RouteId": route.ref}
    moved = {**route_props, "RouteKey": "GET /hi"}
    await provider(providers, "Route").update(request("AWS::ApiGatewayV2::Route", "Route", moved), route, route_props)
    got = await operations["GetRoute"](CTX, {"ApiId": api.ref, "RouteId": route.ref})
    assert got["RouteKey"] == "GET /hi"

    deployment = await provider(providers, "Deployment").create(
        request("AWS::ApiGatewayV2::Deployment", "Deployment", {"ApiId": api.ref})
    )
    assert deployment.attributes == {"DeploymentId": deployment.ref}
    await provider(providers, "Route").delete(route_req, route)
    with pytest.raises(AwsError):
        await operations["GetRoute"](CTX, {"ApiId": api.ref, "RouteId": route.ref})


async def test_quick_create_makes_the_route_integration_and_default_stage(
    providers: Providers, operations: Operations
) -> None:
    props = {"Name": "quick", "ProtocolType": "HTTP", "Target": FUNCTION}
    api = await provider(providers, "Api").create(request("AWS::ApiGatewayV2::Api", "Api", props))
    routes = await operations["GetRoutes"](CTX, {"ApiId": api.ref})
    assert [r["RouteKey"] for r in routes["Items"]] == ["$default"]
    stages = await operations["GetStages"](CTX, {"ApiId": api.ref})
    assert [s["StageName"] for s in stages["Items"]] == ["$default"]
