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


def test_integrations_are_lambda_proxy_with_29_seconds_by_default(v2: Any, api_id: str) -> None:
    made = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FUNCTION,
        TemplateSelectionExpression="\\$default", RequestTemplates={"$default": "{}"},
    )  # fmt: skip
    got = v2.get_integration(ApiId=api_id, IntegrationId=made["IntegrationId"])
    assert got["TimeoutInMillis"] == 29_000 and got["PayloadFormatVersion"] == "1.0"
    assert got["RequestTemplates"] == {"$default": "{}"}
    assert got["TemplateSelectionExpression"] == "\\$default"
    code, message = error(v2.create_integration, ApiId=api_id, IntegrationType="MOCK")
    assert code == "BadRequestException" and "not supported by Overcast yet" in message
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


def test_http_apis_keep_refusing_what_is_websocket_only(v2: Any) -> None:
    api_id = v2.create_api(Name="h", ProtocolType="HTTP")["ApiId"]
    route = v2.create_route(ApiId=api_id, RouteKey="GET /a")
    code, message = error(v2.create_route_response, ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
    assert (code, message) == ("BadRequestException", "Route responses are supported only for WebSocket APIs.")
    code, message = error(
        v2.create_integration, ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FUNCTION,
        PayloadFormatVersion="2.0", RequestTemplates={"a": "b"},
    )  # fmt: skip
    assert code == "BadRequestException" and "supported only for WebSocket APIs" in message
    assert error(v2.create_route, ApiId=api_id, RouteKey="$connect")[0] == "BadRequestException"
