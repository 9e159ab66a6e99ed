"""apigatewayv2's control plane for WebSocket APIs through boto3: what is stored and returned, and what is
refused with AWS's BadRequestException (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:chat"


def error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


@pytest.fixture
def v2(aws: ClientFactory) -> Any:
    return aws("apigatewayv2")


@pytest.fixture
def api_id(v2: Any) -> str:
    return str(
        v2.create_api(Name="ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
    )


def test_a_websocket_api_is_created_with_its_expressions_and_a_ws_endpoint(v2: Any, api_id: str) -> None:
    api = v2.get_api(ApiId=api_id)
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"
    assert api["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    assert api["ApiEndpoint"].startswith(f"ws://{api_id}.execute-api.localhost")
    updated = v2.update_api(ApiId=api_id, RouteSelectionExpression="${request.body.service}/${request.body.action}")
    assert updated["RouteSelectionExpression"] == "${request.body.service}/${request.body.action}"
    assert v2.get_api(ApiId=api_id)["RouteSelectionExpression"] == "${request.body.service}/${request.body.action}"


def test_what_a_websocket_api_cannot_have_is_refused(v2: Any, api_id: str) -> None:
    bad = "$request.header.x"
    assert (
        error(v2.create_api, Name="w", ProtocolType="WEBSOCKET", RouteSelectionExpression=bad)[0]
        == "BadRequestException"
    )
    code, message = error(v2.update_api, ApiId=api_id, CorsConfiguration={"AllowOrigins": ["*"]})
    assert (code, message) == ("BadRequestException", "CorsConfiguration is supported only for HTTP APIs.")
    code, _ = error(
        v2.create_api, Name="w", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.a", Target=FUNCTION
    )
    assert code == "BadRequestException"
    code, _ = error(v2.create_api, Name="h", ProtocolType="HTTP", RouteSelectionExpression="$request.body.action")
    assert code == "BadRequestException"
    assert error(v2.export_api, ApiId=api_id, Specification="OAS30", OutputType="JSON")[0] == "BadRequestException"


def test_connect_takes_a_lambda_request_authorizer_and_only_connect_does(v2: Any, api_id: str) -> None:
    made = v2.create_authorizer(
        ApiId=api_id, Name="a", AuthorizerType="REQUEST", AuthorizerUri=FUNCTION,
        IdentitySource=["route.request.header.Auth", "route.request.querystring.token"],
    )  # fmt: skip
    assert made["IdentitySource"] == ["route.request.header.Auth", "route.request.querystring.token"]
    authorizer_id = made["AuthorizerId"]
    route = v2.create_route(ApiId=api_id, RouteKey="$connect", AuthorizationType="CUSTOM", AuthorizerId=authorizer_id)
    assert (route["AuthorizationType"], route["AuthorizerId"]) == ("CUSTOM", authorizer_id)
    code, message = error(
        v2.create_route, ApiId=api_id, RouteKey="x", AuthorizationType="CUSTOM", AuthorizerId=authorizer_id
    )
    assert (code, message) == (
        "BadRequestException",
        "Authorization is supported only on the $connect route of a WebSocket API.",
    )
    refused = (
        {"AuthorizerType": "JWT", "JwtConfiguration": {"Issuer": "https://i"}, "IdentitySource": ["$request.header.A"]},
        {
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": FUNCTION,
            "AuthorizerPayloadFormatVersion": "2.0",
            "IdentitySource": ["route.request.header.Auth"],
        },
        {"AuthorizerType": "REQUEST", "AuthorizerUri": FUNCTION, "IdentitySource": ["$request.header.Auth"]},
    )
    for kwargs in refused:
        assert error(v2.create_authorizer, ApiId=api_id, Name="b", **kwargs)[0] == "BadRequestException"


def test_routes_take_the_predefined_and_custom_keys_and_refuse_other_dollar_keys(v2: Any, api_id: str) -> None:
    for key in ("$connect", "$disconnect", "$default", "sendmessage", "GET /not-a-path-here"):
        assert v2.create_route(ApiId=api_id, RouteKey=key)["RouteKey"] == key
    assert error(v2.create_route, ApiId=api_id, RouteKey="$other")[0] == "BadRequestException"
    assert error(v2.create_route, ApiId=api_id, RouteKey="sendmessage")[0] == "ConflictException"
    code, _ = error(v2.create_route, ApiId=api_id, RouteKey="x", AuthorizationType="AWS_IAM")
    assert code == "BadRequestException"  # only $connect authorizes


def test_integrations_take_29_seconds_by_default_and_keep_their_templates(v2: Any, api_id: str) -> None:
    made = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FUNCTION,
        TemplateSelectionExpression="\\$default", RequestTemplates={"$default": "{}"},
    )  # fmt: skip
    got = v2.get_integration(ApiId=api_id, IntegrationId=made["IntegrationId"])
    assert got["TimeoutInMillis"] == 29_000 and got["PayloadFormatVersion"] == "1.0"
    assert got["RequestTemplates"] == {"$default": "{}"}
    assert got["TemplateSelectionExpression"] == "\\$default"
    assert "IntegrationResponseSelectionExpression" not in got  # a proxy has no integration responses
    code, _ = error(
        v2.create_integration,
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=FUNCTION,
        TimeoutInMillis=30_000,
    )
    assert code == "BadRequestException"


def test_route_responses_make_a_route_two_way(v2: Any, api_id: str) -> None:
    route = v2.create_route(ApiId=api_id, RouteKey="echo", RouteResponseSelectionExpression="$default")
    assert route["RouteResponseSelectionExpression"] == "$default"
    rid = route["RouteId"]
    made = v2.create_route_response(ApiId=api_id, RouteId=rid, RouteResponseKey="$default")
    response_id = made["RouteResponseId"]
    assert made["RouteResponseKey"] == "$default"
    got = v2.get_route_response(ApiId=api_id, RouteId=rid, RouteResponseId=response_id)
    assert {k: v for k, v in got.items() if k != "ResponseMetadata"} == {
        "RouteResponseId": response_id,
        "RouteResponseKey": "$default",
    }
    assert [r["RouteResponseId"] for r in v2.get_route_responses(ApiId=api_id, RouteId=rid)["Items"]] == [response_id]
    updated = v2.update_route_response(
        ApiId=api_id, RouteId=rid, RouteResponseId=response_id, ModelSelectionExpression="m"
    )
    assert updated["ModelSelectionExpression"] == "m"
    assert (
        error(v2.create_route_response, ApiId=api_id, RouteId=rid, RouteResponseKey="$default")[0]
        == "ConflictException"
    )
    assert (
        error(v2.create_route_response, ApiId=api_id, RouteId=rid, RouteResponseKey="other")[0] == "BadRequestException"
    )
    v2.delete_route_response(ApiId=api_id, RouteId=rid, RouteResponseId=response_id)
    assert v2.get_route_responses(ApiId=api_id, RouteId=rid)["Items"] == []
    code, _ = error(v2.get_route_response, ApiId=api_id, RouteId=rid, RouteResponseId=response_id)
    assert code == "NotFoundException"


def test_non_proxy_integrations_are_stored_with_their_mapping_settings(v2: Any, api_id: str) -> None:
    made = v2.create_integration(
        ApiId=api_id, IntegrationType="HTTP", IntegrationMethod="POST", IntegrationUri="http://backend.example/{room}",
        TemplateSelectionExpression="${request.body.kind}", RequestTemplates={"$default": "$input.body"},
        RequestParameters={"integration.request.header.x-connection": "context.connectionId",
                           "integration.request.path.room": "route.request.body.room",
                           "integration.request.querystring.v": "'1'"},
        PassthroughBehavior="NEVER", ContentHandlingStrategy="CONVERT_TO_TEXT",
    )  # fmt: skip
    got = v2.get_integration(ApiId=api_id, IntegrationId=made["IntegrationId"])
    assert got["IntegrationResponseSelectionExpression"] == "${integration.response.statuscode}"
    assert (got["PassthroughBehavior"], got["ContentHandlingStrategy"]) == ("NEVER", "CONVERT_TO_TEXT")
    assert got["RequestParameters"]["integration.request.path.room"] == "route.request.body.room"
    assert got["TimeoutInMillis"] == 29_000
    mock = v2.create_integration(ApiId=api_id, IntegrationType="MOCK")
    assert mock["IntegrationResponseSelectionExpression"] == "${integration.response.statuscode}"
    aws = v2.create_integration(ApiId=api_id, IntegrationType="AWS", IntegrationUri=FUNCTION)
    assert aws["IntegrationResponseSelectionExpression"] == "${integration.response.body.errorMessage}"
    refused = (
        {"IntegrationType": "VPC"},
        {"IntegrationType": "HTTP", "IntegrationUri": "not-a-url", "IntegrationMethod": "POST"},
        {"IntegrationType": "HTTP_PROXY", "IntegrationUri": "http://backend.example"},  # no method
        {"IntegrationType": "AWS", "IntegrationUri": "arn:aws:apigateway:us-east-1:sqs:path/1/q"},
        {"IntegrationType": "MOCK", "PassthroughBehavior": "SOMETIMES"},
        {"IntegrationType": "MOCK", "ContentHandlingStrategy": "CONVERT_TO_JSON"},
        {"IntegrationType": "MOCK", "RequestParameters": {"integration.request.body": "context.connectionId"}},
        {"IntegrationType": "MOCK", "RequestParameters": {"integration.request.header.x": "method.request.header.y"}},
    )
    for kwargs in refused:
        assert error(v2.create_integration, ApiId=api_id, **kwargs)[0] == "BadRequestException", kwargs


def test_integration_responses_are_created_read_updated_and_deleted_by_key(v2: Any, api_id: str) -> None:
    integration_id = v2.create_integration(ApiId=api_id, IntegrationType="MOCK")["IntegrationId"]
    ids = {"ApiId": api_id, "IntegrationId": integration_id}
    made = v2.create_integration_response(
        **ids, IntegrationResponseKey="/4\\d\\d/", TemplateSelectionExpression="${integration.response.statuscode}",
        ResponseTemplates={"404": '{"missing": true}'},
    )  # fmt: skip
    response_id = made["IntegrationResponseId"]
    got = v2.get_integration_response(**ids, IntegrationResponseId=response_id)
    assert {k: v for k, v in got.items() if k != "ResponseMetadata"} == {
        "IntegrationResponseId": response_id,
        "IntegrationResponseKey": "/4\\d\\d/",
        "TemplateSelectionExpression": "${integration.response.statuscode}",
        "ResponseTemplates": {"404": '{"missing": true}'},
    }
    default = v2.create_integration_response(**ids, IntegrationResponseKey="$default")["IntegrationResponseId"]
    listed = v2.get_integration_responses(**ids)["Items"]
    assert [r["IntegrationResponseKey"] for r in listed] == ["/4\\d\\d/", "$default"]
    updated = v2.update_integration_response(
        **ids, IntegrationResponseId=default, ContentHandlingStrategy="CONVERT_TO_TEXT"
    )
    assert (updated["IntegrationResponseKey"], updated["ContentHandlingStrategy"]) == ("$default", "CONVERT_TO_TEXT")
    code, _ = error(v2.create_integration_response, **ids, IntegrationResponseKey="$default")
    assert code == "ConflictException"
    for key in ("200", "/unclosed", "/(/"):
        code, _ = error(v2.create_integration_response, **ids, IntegrationResponseKey=key)
        assert code == "BadRequestException", key
    v2.delete_integration_response(**ids, IntegrationResponseId=response_id)
    assert [r["IntegrationResponseId"] for r in v2.get_integration_responses(**ids)["Items"]] == [default]
    code, _ = error(v2.get_integration_response, **ids, IntegrationResponseId=response_id)
    assert code == "NotFoundException"
    code, _ = error(v2.get_integration_responses, ApiId=api_id, IntegrationId="nope123")
    assert code == "NotFoundException"


def test_http_apis_keep_refusing_what_is_websocket_only(v2: Any) -> None:
    api_id = v2.create_api(Name="h", ProtocolType="HTTP")["ApiId"]
    route = v2.create_route(ApiId=api_id, RouteKey="GET /a")
    code, message = error(v2.create_route_response, ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
    assert (code, message) == ("BadRequestException", "Route responses are supported only for WebSocket APIs.")
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET", IntegrationUri="https://example.com",
        PayloadFormatVersion="1.0",
    )  # fmt: skip
    code, message = error(
        v2.create_integration_response, ApiId=api_id, IntegrationId=integration["IntegrationId"],
        IntegrationResponseKey="$default",
    )  # fmt: skip
    assert (code, message) == ("BadRequestException", "Integration responses are supported only for WebSocket APIs.")
    code, message = error(
        v2.create_integration, ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FUNCTION,
        PayloadFormatVersion="2.0", RequestTemplates={"a": "b"},
    )  # fmt: skip
    assert code == "BadRequestException" and "supported only for WebSocket APIs" in message
    assert error(v2.create_route, ApiId=api_id, RouteKey="$connect")[0] == "BadRequestException"
