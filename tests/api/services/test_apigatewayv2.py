"""apigatewayv2 (HTTP APIs) through boto3 against a real server: every operation group, AWS's errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

FN = "arn:aws:lambda:us-east-1:000000000000:function:pets"
INVOCATIONS = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations"


@pytest.fixture(scope="module")
def v2(aws: Callable[..., Any]) -> Any:
    return aws("apigatewayv2")


def error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    e = raised.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def test_quick_create(v2: Any, server: Any) -> None:
    api = v2.create_api(Name="quick", ProtocolType="HTTP", Target=FN, RouteKey="GET /pets")
    api_id = api["ApiId"]
    port = server.url.rsplit(":", 1)[1]
    assert api["ApiEndpoint"] == f"http://{api_id}.execute-api.localhost:{port}"
    assert api["RouteSelectionExpression"] == "$request.method $request.path"
    (route,) = v2.get_routes(ApiId=api_id)["Items"]
    (integration,) = v2.get_integrations(ApiId=api_id)["Items"]
    (stage,) = v2.get_stages(ApiId=api_id)["Items"]
    assert route["RouteKey"] == "GET /pets" and route["Target"] == f"integrations/{integration['IntegrationId']}"
    assert (integration["IntegrationType"], integration["IntegrationUri"], integration["PayloadFormatVersion"]) == (
        "AWS_PROXY",
        FN,
        "2.0",
    )
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)
    (deployment,) = v2.get_deployments(ApiId=api_id)["Items"]
    assert stage["DeploymentId"] == deployment["DeploymentId"] and deployment["AutoDeployed"] is True
    assert stage["LastDeploymentStatusMessage"] == (
        f"Successfully deployed stage with deployment ID '{deployment['DeploymentId']}'"
    )
    default = v2.create_api(Name="quick2", ProtocolType="HTTP", Target=FN)
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=default["ApiId"])["Items"]] == ["$default"]


def test_apis_crud_cors_tags_and_endpoint(v2: Any) -> None:
    api = v2.create_api(
        Name="crud",
        ProtocolType="HTTP",
        Description="d",
        CorsConfiguration={"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET"], "MaxAge": 30},
        Tags={"team": "core"},
    )
    api_id = api["ApiId"]
    assert len(api_id) == 10 and api_id.isalnum() and api_id == api_id.lower()
    got = v2.get_api(ApiId=api_id)
    assert got["CorsConfiguration"] == {"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET"], "MaxAge": 30}
    assert got["Tags"] == {"team": "core"} and got["DisableExecuteApiEndpoint"] is False
    assert api_id in [a["ApiId"] for a in v2.get_apis()["Items"]]
    updated = v2.update_api(ApiId=api_id, Name="renamed", DisableExecuteApiEndpoint=True)
    assert (updated["Name"], updated["DisableExecuteApiEndpoint"], updated["Description"]) == ("renamed", True, "d")
    v2.delete_cors_configuration(ApiId=api_id)
    assert "CorsConfiguration" not in v2.get_api(ApiId=api_id)
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api_id}"
    v2.tag_resource(ResourceArn=arn, Tags={"env": "dev"})
    assert v2.get_tags(ResourceArn=arn)["Tags"] == {"team": "core", "env": "dev"}
    v2.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert v2.get_tags(ResourceArn=arn)["Tags"] == {"env": "dev"}
    first = v2.get_apis(MaxResults="1")
    assert len(first["Items"]) == 1 and "NextToken" in first
    v2.delete_api(ApiId=api_id)
    assert error(v2.get_api, ApiId=api_id) == (
        "NotFoundException",
        f"Invalid API identifier specified 000000000000:{api_id}",
        404,
    )


def test_routes_integrations_authorizers(v2: Any) -> None:
    api_id = v2.create_api(Name="parts", ProtocolType="HTTP")["ApiId"]
    lam = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=INVOCATIONS, PayloadFormatVersion="1.0"
    )
    assert lam["TimeoutInMillis"] == 30000 and lam["PayloadFormatVersion"] == "1.0"
    web = v2.create_integration(
        ApiId=api_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri="https://example.com/{proxy}",
        IntegrationMethod="GET",
        TimeoutInMillis=1000,
        RequestParameters={"overwrite:path": "$request.path"},
    )
    assert web["RequestParameters"] == {"overwrite:path": "$request.path"}
    jwt = v2.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://issuer.example", "Audience": ["a"]},
    )
    assert jwt["JwtConfiguration"] == {"Issuer": "https://issuer.example", "Audience": ["a"]}
    req = v2.create_authorizer(
        ApiId=api_id,
        Name="fn",
        AuthorizerType="REQUEST",
        AuthorizerUri=INVOCATIONS,
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        AuthorizerResultTtlInSeconds=60,
        IdentitySource=["$request.header.X-Token", "$request.querystring.token"],
    )
    assert req["EnableSimpleResponses"] is True and req["AuthorizerResultTtlInSeconds"] == 60
    route = v2.create_route(
        ApiId=api_id,
        RouteKey="ANY /pets/{proxy+}",
        Target=f"integrations/{lam['IntegrationId']}",
        AuthorizationType="JWT",
        AuthorizerId=jwt["AuthorizerId"],
        AuthorizationScopes=["read"],
    )
    assert route["AuthorizationScopes"] == ["read"] and route["ApiKeyRequired"] is False
    v2.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{web['IntegrationId']}")
    updated = v2.update_route(
        ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="CUSTOM", AuthorizerId=req["AuthorizerId"],
        AuthorizationScopes=[],
    )  # fmt: skip
    assert updated["AuthorizationType"] == "CUSTOM" and "AuthorizationScopes" not in updated
    assert v2.get_route(ApiId=api_id, RouteId=route["RouteId"])["AuthorizerId"] == req["AuthorizerId"]
    assert (
        v2.update_integration(ApiId=api_id, IntegrationId=lam["IntegrationId"], TimeoutInMillis=500)["TimeoutInMillis"]
        == 500
    )
    assert v2.update_authorizer(ApiId=api_id, AuthorizerId=jwt["AuthorizerId"], Name="renamed")["Name"] == "renamed"
    assert len(v2.get_authorizers(ApiId=api_id)["Items"]) == 2
    assert error(v2.delete_authorizer, ApiId=api_id, AuthorizerId=req["AuthorizerId"])[0] == "ConflictException"
    v2.delete_route(ApiId=api_id, RouteId=route["RouteId"])
    v2.delete_authorizer(ApiId=api_id, AuthorizerId=req["AuthorizerId"])
    v2.delete_integration(ApiId=api_id, IntegrationId=lam["IntegrationId"])
    assert error(v2.get_route, ApiId=api_id, RouteId=route["RouteId"]) == (
        "NotFoundException",
        f"Invalid Route identifier specified {route['RouteId']}",
        404,
    )
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"]] == ["$default"]


def test_stages_deployments_and_auto_deploy(v2: Any) -> None:
    api_id = v2.create_api(Name="stages", ProtocolType="HTTP")["ApiId"]
    assert error(v2.create_deployment, ApiId=api_id) == (
        "BadRequestException",
        "Unable to deploy API because no routes exist in this API",
        400,
    )
    integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FN)
    target = f"integrations/{integration['IntegrationId']}"
    v2.create_route(ApiId=api_id, RouteKey="GET /a", Target=target)
    stage = v2.create_stage(
        ApiId=api_id,
        StageName="prod",
        StageVariables={"color": "blue"},
        DefaultRouteSettings={"ThrottlingRateLimit": 10.0, "ThrottlingBurstLimit": 5},
        RouteSettings={"GET /a": {"ThrottlingRateLimit": 1.0}},
        AccessLogSettings={
            "DestinationArn": "arn:aws:logs:us-east-1:000000000000:log-group:l",
            "Format": "$context.requestId",
        },
        Tags={"s": "1"},
    )
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": 10.0,
        "ThrottlingBurstLimit": 5,
        "DetailedMetricsEnabled": False,
    }
    assert stage["RouteSettings"] == {"GET /a": {"ThrottlingRateLimit": 1.0}} and "DeploymentId" not in stage
    deployment = v2.create_deployment(ApiId=api_id, StageName="prod", Description="first")
    assert (deployment["DeploymentStatus"], deployment["AutoDeployed"]) == ("DEPLOYED", False)
    assert v2.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == deployment["DeploymentId"]
    assert v2.get_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"])["Description"] == "first"
    assert (
        v2.update_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"], Description="x")["Description"]
        == "x"
    )

    auto = v2.create_stage(ApiId=api_id, StageName="auto", AutoDeploy=True)
    first = auto["DeploymentId"]
    v2.create_route(ApiId=api_id, RouteKey="POST /b", Target=target)
    second = v2.get_stage(ApiId=api_id, StageName="auto")
    assert second["DeploymentId"] != first
    assert (
        second["LastDeploymentStatusMessage"]
        == f"Successfully deployed stage with deployment ID '{second['DeploymentId']}'"
    )
    assert v2.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == deployment["DeploymentId"]  # not auto

    updated = v2.update_stage(ApiId=api_id, StageName="prod", RouteSettings={"POST /b": {"ThrottlingBurstLimit": 2}})
    assert updated["RouteSettings"] == {"GET /a": {"ThrottlingRateLimit": 1.0}, "POST /b": {"ThrottlingBurstLimit": 2}}
    v2.delete_route_settings(ApiId=api_id, StageName="prod", RouteKey="GET /a")
    v2.delete_access_log_settings(ApiId=api_id, StageName="prod")
    got = v2.get_stage(ApiId=api_id, StageName="prod")
    assert "AccessLogSettings" not in got and list(got["RouteSettings"]) == ["POST /b"]
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api_id}/stages/prod"
    v2.tag_resource(ResourceArn=arn, Tags={"t": "2"})
    assert v2.get_tags(ResourceArn=arn)["Tags"] == {"s": "1", "t": "2"}
    assert {s["StageName"] for s in v2.get_stages(ApiId=api_id)["Items"]} == {"prod", "auto"}
    assert error(v2.create_stage, ApiId=api_id, StageName="prod")[0] == "ConflictException"
    v2.delete_stage(ApiId=api_id, StageName="auto")
    assert error(v2.get_stage, ApiId=api_id, StageName="auto") == (
        "NotFoundException",
        "Invalid stage identifier specified auto",
        404,
    )


def test_bad_input_is_refused_and_changes_nothing(v2: Any) -> None:
    api = v2.create_api(Name="bad", ProtocolType="HTTP", Target=FN, RouteKey="GET /pets")
    api_id = api["ApiId"]
    before = {
        "api": v2.get_api(ApiId=api_id),
        "routes": v2.get_routes(ApiId=api_id)["Items"],
        "integrations": v2.get_integrations(ApiId=api_id)["Items"],
        "stages": v2.get_stages(ApiId=api_id)["Items"],
        "deployments": v2.get_deployments(ApiId=api_id)["Items"],
    }
    target = before["routes"][0]["Target"]
    code, message, status = error(v2.create_route, ApiId=api_id, RouteKey="GET /pets", Target=target)
    assert (code, status) == ("ConflictException", 409) and "GET /pets" in message
    code, message, status = error(v2.create_route, ApiId=api_id, RouteKey="GET pets")
    assert (code, status) == ("BadRequestException", 400)
    assert message == (
        'The provided route key "GET pets" is not formatted properly for HTTP protocol. '
        'Format should be "<HTTP METHOD> /<RESOURCE PATH>" or "$default"'
    )
    for bad in ("GET /{proxy+}/more", "FETCH /x", "GET /x/"):
        assert error(v2.create_route, ApiId=api_id, RouteKey=bad)[0] == "BadRequestException"
    assert error(v2.create_route, ApiId=api_id, RouteKey="GET /k", ApiKeyRequired=True)[0] == "BadRequestException"
    assert error(v2.create_route, ApiId=api_id, RouteKey="GET /j", AuthorizationType="JWT")[0] == "BadRequestException"
    assert error(v2.create_route, ApiId=api_id, RouteKey="GET /t", Target="integrations/nope123")[0] == (
        "BadRequestException"
    )
    # The model bounds TimeoutInMillis to 50..30000, so the wire layer refuses it before the handler,
    # in API Gateway's words.
    assert error(
        v2.create_integration, ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FN, TimeoutInMillis=30001
    )[0::2] == ("BadRequestException", 400)
    assert (
        error(v2.create_integration, ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationUri="https://e.com")[0]
        == "BadRequestException"
    )
    assert (
        error(v2.create_authorizer, ApiId=api_id, Name="a", AuthorizerType="JWT", IdentitySource=["$request.header.A"])[
            0
        ]
        == "BadRequestException"
    )
    code, message, status = error(
        v2.update_stage, ApiId=api_id, StageName="$default", RouteSettings={"GET /nope": {"ThrottlingRateLimit": 1.0}}
    )
    assert (code, message, status) == (
        "NotFoundException",
        "Unable to find Route by key GET /nope within the provided RouteSettings",
        404,
    )
    assert error(v2.create_stage, ApiId=api_id, StageName="bad name!")[0] == "BadRequestException"
    assert (
        error(v2.update_api, ApiId=api_id, CorsConfiguration={"AllowOrigins": ["*"], "AllowCredentials": True})[0]
        == "BadRequestException"
    )
    code, message, _ = error(v2.create_api, Name="ws", ProtocolType="WEBSOCKET")
    assert (code, message) == ("BadRequestException", "RouteSelectionExpression is required for WEBSOCKET protocol.")
    assert error(v2.get_route, ApiId=api_id, RouteId="nope123")[0] == "NotFoundException"
    assert error(v2.get_routes, ApiId="nope123456") == (
        "NotFoundException",
        "Invalid API identifier specified 000000000000:nope123456",
        404,
    )
    after = {
        "api": v2.get_api(ApiId=api_id),
        "routes": v2.get_routes(ApiId=api_id)["Items"],
        "integrations": v2.get_integrations(ApiId=api_id)["Items"],
        "stages": v2.get_stages(ApiId=api_id)["Items"],
        "deployments": v2.get_deployments(ApiId=api_id)["Items"],
    }
    for value in (before, after):
        value["api"].pop("ResponseMetadata")
    assert after == before
