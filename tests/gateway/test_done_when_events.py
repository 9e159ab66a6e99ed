"""Issue 5, "Done when" 1: through the real server, the events handlers receive have AWS's recorded shape,
and their responses map back as AWS maps them (binary bodies, cookies, multiValueHeaders).

A REST API (Lambda proxy) and an HTTP API (payload 2.0 and 1.0) in front of one echo function; each
event is compared key by key with /work/shared/conformance/events with `shape_diff`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function
from tests.gateway.test_events import FIXTURES, MAPS, V1_NULLABLE, V1_OPTIONAL, V2_OPTIONAL, shape_diff

ECHO = """
import base64, json

def handler(event, context):
    path = event.get("rawPath") or event.get("path") or ""
    if path.endswith("/binary"):
        body = event.get("body") or ""
        data = body if event["isBase64Encoded"] else base64.b64encode(body.encode()).decode()
        return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                "body": data, "isBase64Encoded": True}
    if path.endswith("/cookies"):
        return {"statusCode": 201, "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
                "headers": {"content-type": "text/plain"}, "body": "baked"}
    if path.endswith("/multi"):
        return {"statusCode": 200, "headers": {"X-Single": "s"},
                "multiValueHeaders": {"X-Multi": ["1", "2"]}, "body": "multi"}
    if path.endswith("/plain"):
        return {"hello": "world"}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""
PNG = bytes(range(256)) * 4  # every byte value: nothing survives a text round trip by accident


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text()))


@pytest.fixture(scope="module")
def function_arn(aws: ClientFactory) -> str:
    return python_function(aws("lambda"), "dw-echo", ECHO)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def call(server: RunningServer, http: httpx.Client, api_id: str, method: str, path: str, **kw: Any) -> httpx.Response:
    port = urlsplit(server.url).port
    headers = {"host": f"{api_id}.execute-api.localhost:{port}", **kw.pop("headers", {})}
    return http.request(method, f"{server.url}{path}", headers=headers, **kw)


@pytest.fixture(scope="module")
def rest_api(aws: ClientFactory, function_arn: str) -> str:
    apigw = aws("apigateway")
    api_id = str(apigw.create_rest_api(name="dw-rest", binaryMediaTypes=["application/octet-stream"])["id"])
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    apigw.put_integration(
        restApiId=api_id, resourceId=proxy, httpMethod="ANY", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri
    )
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"color": "blue"})
    return api_id


def http_api(aws: ClientFactory, function_arn: str, payload: str) -> str:
    v2 = aws("apigatewayv2")
    api_id = str(v2.create_api(Name=f"dw-http-{payload}", ProtocolType="HTTP")["ApiId"])
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn, PayloadFormatVersion=payload
    )["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="ANY /{proxy+}", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, StageVariables={"color": "blue"})
    return api_id


@pytest.fixture(scope="module")
def v2_api(aws: ClientFactory, function_arn: str) -> str:
    return http_api(aws, function_arn, "2.0")


@pytest.fixture(scope="module")
def v1_http_api(aws: ClientFactory, function_arn: str) -> str:
    return http_api(aws, function_arn, "1.0")


REQUEST_HEADERS = {
    "Content-Type": "text/plain",
    "User-Agent": "done-when/1.0",
    "X-Api-Key": "not-checked-here",
    "Header1": "value1",
    "Origin": "https://aws.amazon.com",
}


def echo(server: RunningServer, http: httpx.Client, api_id: str, path: str, *, cookie: str = "") -> dict[str, Any]:
    headers = dict(REQUEST_HEADERS)
    if cookie:
        headers["Cookie"] = cookie
    response = call(
        server, http, api_id, "POST", path + "?parameter1=value1&parameter1=value2&parameter2=value",
        headers=headers, content=b"Hello from Lambda!",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- events --------------------------------------------------------------------------------------


def test_rest_event_has_awss_shape(server: RunningServer, http: httpx.Client, rest_api: str) -> None:
    event = echo(server, http, rest_api, "/prod/my/path")
    recorded = fixture("apiGatewayProxyEvent_noVersionAuth.json")
    nullable = V1_NULLABLE | {"pathParameters", "stageVariables"}
    assert shape_diff(recorded, event, optional=V1_OPTIONAL, nullable=nullable, maps=MAPS) == []
    assert "version" not in event  # REST events carry no version key
    assert set(event) == set(recorded)
    assert event["path"] == "/my/path" and event["requestContext"]["path"] == "/prod/my/path"
    assert event["pathParameters"] == {"proxy": "my/path"} and event["stageVariables"] == {"color": "blue"}
    assert event["body"] == "Hello from Lambda!" and event["isBase64Encoded"] is False
    assert event["multiValueQueryStringParameters"] == {"parameter1": ["value1", "value2"], "parameter2": ["value"]}


def test_payload_1_0_header_names_are_canonicalised_and_forwarding_headers_added(
    server: RunningServer, http: httpx.Client, rest_api: str, v1_http_api: str
) -> None:
    for api_id, path in ((rest_api, "/prod/x"), (v1_http_api, "/x")):
        event = echo(server, http, api_id, path)
        headers = event["headers"]
        for name, value in REQUEST_HEADERS.items():
            assert headers[name] == value, (name, headers)
            assert event["multiValueHeaders"][name] == [value]
        assert headers["X-Forwarded-For"] == "127.0.0.1"
        assert headers["X-Forwarded-Port"] == str(urlsplit(server.url).port)
        assert headers["X-Forwarded-Proto"] == "http"
        assert headers["X-Amzn-Trace-Id"].startswith("Root=1-")
        assert event["requestContext"]["identity"]["userAgent"] == "done-when/1.0"
    # A client's own X-Forwarded-For comes first, the source IP after it.
    response = call(server, http, rest_api, "GET", "/prod/x", headers={"x-forwarded-for": "10.0.0.1"})
    assert response.json()["headers"]["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1"


def test_http_api_payload_1_0_event_has_awss_shape(server: RunningServer, http: httpx.Client, v1_http_api: str) -> None:
    event = echo(server, http, v1_http_api, "/my/path")
    recorded = fixture("apiGatewayProxyEvent.json")
    nullable = V1_NULLABLE | {"pathParameters", "stageVariables"}
    assert shape_diff(recorded, event, optional=V1_OPTIONAL, nullable=nullable, maps=MAPS) == []
    assert set(event) == set(recorded) and event["version"] == "1.0"
    assert event["requestContext"]["resourceId"] == "ANY /{proxy+}"


def test_http_api_payload_2_0_event_has_awss_shape(server: RunningServer, http: httpx.Client, v2_api: str) -> None:
    event = echo(server, http, v2_api, "/my/path", cookie="cookie1=a; cookie2=b")
    recorded = fixture("apiGatewayProxyV2Event.json")
    # No authorizer on this route: AWS then leaves requestContext.authorizer out.
    assert shape_diff(recorded, event, optional=V2_OPTIONAL | {"requestContext.authorizer"}, maps=MAPS) == []
    assert set(event) == set(recorded)
    assert event["cookies"] == ["cookie1=a", "cookie2=b"]
    assert event["queryStringParameters"] == {"parameter1": "value1,value2", "parameter2": "value"}
    headers = event["headers"]
    assert all(name == name.lower() for name in headers)  # 2.0: lowercase, as AWS sends them
    assert "cookie" not in headers
    assert headers["content-type"] == "text/plain" and headers["header1"] == "value1"
    assert headers["x-forwarded-for"] == "127.0.0.1" and headers["x-forwarded-proto"] == "http"
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert event["requestContext"]["http"]["userAgent"] == "done-when/1.0"


# --- responses -----------------------------------------------------------------------------------


def test_rest_binary_bodies_round_trip_by_binary_media_types(
    server: RunningServer, http: httpx.Client, rest_api: str
) -> None:
    sent = {"content-type": "application/octet-stream"}
    accept = {**sent, "accept": "application/octet-stream"}
    binary = call(server, http, rest_api, "POST", "/prod/binary", content=PNG, headers=accept)
    assert binary.status_code == 200 and binary.content == PNG
    assert binary.headers["content-type"] == "application/octet-stream"
    # Without an Accept naming a binary media type, a REST API answers the base64 text itself.
    text = call(server, http, rest_api, "POST", "/prod/binary", content=PNG, headers={**sent, "accept": "text/plain"})
    assert text.status_code == 200 and base64.b64decode(text.content) == PNG


def test_http_api_binary_bodies_round_trip(
    server: RunningServer, http: httpx.Client, v2_api: str, v1_http_api: str
) -> None:
    for api_id in (v2_api, v1_http_api):
        response = call(
            server, http, api_id, "POST", "/binary", content=PNG, headers={"content-type": "application/octet-stream"}
        )
        assert response.status_code == 200 and response.content == PNG, api_id


def test_v2_cookies_become_set_cookie_headers(server: RunningServer, http: httpx.Client, v2_api: str) -> None:
    response = call(server, http, v2_api, "GET", "/cookies")
    assert response.status_code == 201 and response.text == "baked"
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; HttpOnly"]


def test_v2_plain_value_is_inferred_as_a_json_body(server: RunningServer, http: httpx.Client, v2_api: str) -> None:
    response = call(server, http, v2_api, "GET", "/plain")
    assert response.status_code == 200 and response.json() == {"hello": "world"}
    assert response.headers["content-type"] == "application/json"


def test_v1_multi_value_headers_map_back(
    server: RunningServer, http: httpx.Client, rest_api: str, v1_http_api: str
) -> None:
    for api_id, path in ((rest_api, "/prod/multi"), (v1_http_api, "/multi")):
        response = call(server, http, api_id, "GET", path)
        assert response.status_code == 200 and response.text == "multi"
        assert response.headers.get_list("x-multi") == ["1", "2"], api_id
        assert response.headers["x-single"] == "s"
