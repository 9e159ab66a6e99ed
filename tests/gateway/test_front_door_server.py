"""HTTP APIs end to end: boto3 creates a function and an API, a raw HTTP client calls it by Host and by path.

The handler returns the event it received, so each test checks what AWS would hand the function.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function

ECHO = """
def handler(event, context):
    if event.get("rawPath", event.get("path", "")).endswith("/fail"):
        raise ValueError("boom")
    if event.get("version") == "2.0":
        return event
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": __import__("json").dumps(event)}
"""


@pytest.fixture(scope="module")
def function_arn(aws: ClientFactory) -> str:
    return python_function(aws("lambda"), "gw-echo", ECHO)


@pytest.fixture(scope="module")
def http() -> Any:
    with httpx.Client(timeout=30) as client:
        yield client


def by_host(
    server: RunningServer, http: httpx.Client, api_id: str, method: str, path: str, **kw: Any
) -> httpx.Response:
    port = urlsplit(server.url).port
    headers = {"host": f"{api_id}.execute-api.localhost:{port}", **kw.pop("headers", {})}
    return http.request(method, f"{server.url}{path}", headers=headers, **kw)


def by_path(
    server: RunningServer, http: httpx.Client, api_id: str, method: str, path: str, **kw: Any
) -> httpx.Response:
    return http.request(method, f"{server.url}/_aws/execute-api/{api_id}{path}", **kw)


@pytest.fixture(scope="module")
def quick_api(aws: ClientFactory, function_arn: str) -> str:
    made = aws("apigatewayv2").create_api(Name="quick", ProtocolType="HTTP", Target=function_arn)
    return str(made["ApiId"])


def test_quick_create_serves_payload_2_0_by_host(server: RunningServer, http: httpx.Client, quick_api: str) -> None:
    response = by_host(server, http, quick_api, "GET", "/some/path?x=1&x=2&y=", headers={"cookie": "a=1; b=2"})
    assert response.status_code == 200, response.text
    assert response.headers["apigw-requestid"]
    event = response.json()
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path" and event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["cookies"] == ["a=1", "b=2"]
    context = event["requestContext"]
    assert context["apiId"] == quick_api and context["stage"] == "$default"
    assert context["http"]["method"] == "GET" and context["http"]["path"] == "/some/path"
    assert context["requestId"] == response.headers["apigw-requestid"]
    assert context["http"]["sourceIp"] == "127.0.0.1"


def test_the_path_form_reaches_the_same_api(server: RunningServer, http: httpx.Client, quick_api: str) -> None:
    response = by_path(
        server, http, quick_api, "POST", "/orders/1", content=b'{"n": 1}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    event = response.json()
    assert event["rawPath"] == "/orders/1" and event["requestContext"]["http"]["method"] == "POST"
    assert event["body"] == '{"n": 1}' and event["isBase64Encoded"] is False


def test_a_failing_function_is_a_500(server: RunningServer, http: httpx.Client, quick_api: str) -> None:
    response = by_host(server, http, quick_api, "GET", "/fail")
    assert (response.status_code, response.json()) == (500, {"message": "Internal Server Error"})


def test_unknown_api_is_not_found(server: RunningServer, http: httpx.Client) -> None:
    response = by_host(server, http, "nosuchapi1", "GET", "/x")
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


def test_routes_select_and_payload_1_0_event(
    aws: ClientFactory, server: RunningServer, http: httpx.Client, function_arn: str
) -> None:
    v2 = aws("apigatewayv2")
    api_id = v2.create_api(Name="routes", ProtocolType="HTTP")["ApiId"]
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn, PayloadFormatVersion="1.0"
    )["IntegrationId"]
    for key in ("GET /pets/{id}", "ANY /{proxy+}"):
        v2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True, StageVariables={"color": "blue"})
    response = by_host(server, http, api_id, "GET", "/prod/pets/a%20b?q=1&q=2")
    assert response.status_code == 200, response.text
    event = response.json()
    assert event["version"] == "1.0" and event["resource"] == "/pets/{id}"
    assert event["pathParameters"] == {"id": "a b"} and event["httpMethod"] == "GET"
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"]}
    assert event["stageVariables"] == {"color": "blue"}
    assert event["requestContext"]["stage"] == "prod"
    other = by_path(server, http, api_id, "DELETE", "/prod/a/b").json()
    assert other["resource"] == "/{proxy+}" and other["pathParameters"] == {"proxy": "a/b"}
    # No $default stage: a path naming no stage is not found.
    missing = by_host(server, http, api_id, "GET", "/pets/1")
    assert (missing.status_code, missing.json()) == (404, {"message": "Not Found"})


def test_stage_throttling_answers_429(
    aws: ClientFactory, server: RunningServer, http: httpx.Client, function_arn: str
) -> None:
    v2 = aws("apigatewayv2")
    api_id = v2.create_api(Name="throttled", ProtocolType="HTTP", Target=function_arn)["ApiId"]
    v2.update_stage(
        ApiId=api_id,
        StageName="$default",
        DefaultRouteSettings={"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.001},
    )
    statuses = [by_host(server, http, api_id, "GET", "/x").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert by_host(server, http, api_id, "GET", "/x").json() == {"message": "Too Many Requests"}


def test_cors_preflight_is_answered_by_the_gateway(
    aws: ClientFactory, server: RunningServer, http: httpx.Client, function_arn: str
) -> None:
    v2 = aws("apigatewayv2")
    api_id = v2.create_api(
        Name="cors",
        ProtocolType="HTTP",
        Target=function_arn,
        CorsConfiguration={"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "PUT"], "MaxAge": 300},
    )["ApiId"]
    preflight = by_host(
        server, http, api_id, "OPTIONS", "/items",
        headers={"origin": "https://app.example", "access-control-request-method": "PUT"},
    )  # fmt: skip
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert preflight.headers["access-control-max-age"] == "300"
    plain = by_host(server, http, api_id, "GET", "/items", headers={"origin": "https://app.example"})
    assert plain.status_code == 200 and plain.headers["access-control-allow-origin"] == "https://app.example"
    assert json.loads(plain.text)["rawPath"] == "/items"


def test_rest_api_lambda_proxy_mock_and_missing_token(
    aws: ClientFactory, server: RunningServer, http: httpx.Client, function_arn: str
) -> None:
    apigw = aws("apigateway")
    api_id = apigw.create_rest_api(name="rest")["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    pet = apigw.create_resource(restApiId=api_id, parentId=pets, pathPart="{petId}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=pet, httpMethod="GET", authorizationType="NONE")
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    apigw.put_integration(
        restApiId=api_id, resourceId=pet, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri
    )
    apigw.put_method(restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id, resourceId=pets, httpMethod="GET", type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )  # fmt: skip
    apigw.put_method_response(restApiId=api_id, resourceId=pets, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api_id, resourceId=pets, httpMethod="GET", statusCode="200",
        responseTemplates={"application/json": '{"mocked": true}'},
    )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod")

    response = by_host(server, http, api_id, "GET", "/prod/pets/7?a=1")
    assert response.status_code == 200, response.text
    assert response.headers["x-amzn-RequestId"]
    event = response.json()
    assert event["resource"] == "/pets/{petId}" and event["path"] == "/pets/7"
    assert event["pathParameters"] == {"petId": "7"} and event["queryStringParameters"] == {"a": "1"}
    assert event["requestContext"]["stage"] == "prod" and event["requestContext"]["resourceId"] == pet
    assert event["requestContext"]["requestId"] == response.headers["x-amzn-RequestId"]

    mocked = by_path(server, http, api_id, "GET", "/prod/pets")
    assert (mocked.status_code, mocked.json()) == (200, {"mocked": True})

    for method, path in (("POST", "/prod/pets"), ("GET", "/prod/cats")):
        missing = by_host(server, http, api_id, method, path)
        assert (missing.status_code, missing.json()) == (403, {"message": "Missing Authentication Token"})
        assert missing.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
