"""Custom domain names on the data plane: a request's Host picks the domain, its path the API mapping.

A REST API and an HTTP API behind one domain, each with a Lambda proxy integration that returns the event
it was given, called with http.client and a Host header as a client of the real domain would send it.
https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-mappings.html
"""

from __future__ import annotations

import http.client
import json
import signal
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from overcast.apis.deployed import ApiKind, DeployedApi, Integration, Route
from overcast.gateway.event_text import event_json, event_json_v1, event_json_v2
from overcast.gateway.events import proxy_event_v1, proxy_event_v2
from overcast.gateway.request import GatewayRequest, RouteMatch
from tests.conftest import ClientFactory, RunningServer, start_server
from tests.functions.deployed import python_function

ECHO = """
import json

def handler(event, context):
    if event.get("version") == "2.0":
        return {"statusCode": 200, "body": json.dumps(event)}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


def _uri(function_arn: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"


@pytest.fixture(scope="module")
def echo(aws: ClientFactory) -> str:
    return python_function(aws("lambda"), "domain-echo", ECHO)


@pytest.fixture(scope="module")
def rest_api(aws: ClientFactory, echo: str) -> str:
    """A REST API with GET /pets/{id} and a greedy /{proxy+}, deployed to `prod` and `beta`."""
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name="domain-rest")
    pets = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")["id"]
    pet = apigw.create_resource(restApiId=api["id"], parentId=pets, pathPart="{id}")["id"]
    greedy = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")["id"]
    for resource, method in ((pet, "GET"), (greedy, "ANY")):
        apigw.put_method(restApiId=api["id"], resourceId=resource, httpMethod=method, authorizationType="NONE")
        apigw.put_integration(
            restApiId=api["id"], resourceId=resource, httpMethod=method, type="AWS_PROXY",
            integrationHttpMethod="POST", uri=_uri(echo),
        )  # fmt: skip
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    apigw.create_deployment(restApiId=api["id"], stageName="beta")
    return str(api["id"])


@pytest.fixture(scope="module")
def http_api(aws: ClientFactory, echo: str) -> str:
    v2 = aws("apigatewayv2")
    api_id = str(v2.create_api(Name="domain-http", ProtocolType="HTTP")["ApiId"])
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /items/{id}", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="live", AutoDeploy=True)
    return api_id


@pytest.fixture(scope="module")
def domain(aws: ClientFactory, rest_api: str, http_api: str) -> str:
    """api-<random>.example.com: (none) -> REST prod, `shop` -> REST without a stage, `orders/v1` -> HTTP live."""
    apigw, v2 = aws("apigateway"), aws("apigatewayv2")
    name = f"api-{uuid.uuid4().hex[:8]}.example.com"
    apigw.create_domain_name(domainName=name, endpointConfiguration={"types": ["REGIONAL"]})
    apigw.create_base_path_mapping(domainName=name, restApiId=rest_api, stage="prod")
    apigw.create_base_path_mapping(domainName=name, basePath="shop", restApiId=rest_api)
    v2.create_api_mapping(DomainName=name, ApiId=http_api, Stage="live", ApiMappingKey="orders/v1")
    return name


def call(server: RunningServer, host: str, path: str, method: str = "GET") -> tuple[int, bytes]:
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(method, path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def event(server: RunningServer, host: str, path: str) -> dict[str, Any]:
    status, body = call(server, host, path)
    assert status == 200, body
    found: dict[str, Any] = json.loads(body)
    return found


def test_the_root_mapping_serves_every_path_of_its_stage(server: RunningServer, domain: str, rest_api: str) -> None:
    got = event(server, domain, "/pets/7?x=1")
    assert got["resource"] == "/pets/{id}" and got["pathParameters"] == {"id": "7"}
    assert got["path"] == "/pets/7"
    context = got["requestContext"]
    assert context["stage"] == "prod" and context["apiId"] == rest_api
    assert context["domainName"] == domain and context["domainPrefix"] == domain.split(".")[0]
    assert context["path"] == "/pets/7"


def test_a_host_with_its_port_and_in_capitals_is_the_same_domain(server: RunningServer, domain: str) -> None:
    port = urlsplit(server.url).port
    assert event(server, f"{domain.upper()}:{port}", "/pets/8")["pathParameters"] == {"id": "8"}


def test_a_localhost_name_reaches_the_domain(server: RunningServer, domain: str) -> None:
    got = event(server, f"{domain}.localhost", "/pets/9")
    assert got["pathParameters"] == {"id": "9"} and got["requestContext"]["stage"] == "prod"
    assert got["requestContext"]["domainName"] == domain  # the custom domain, as AWS names it
    assert got["headers"]["Host"] == f"{domain}.localhost"  # the request's own header, as sent


def test_a_mapping_without_a_stage_takes_it_from_the_path(server: RunningServer, domain: str) -> None:
    # The base path selects the API, the next segment its stage; the event's paths keep both, as AWS sends them.
    got = event(server, domain, "/shop/beta/pets/3")
    assert got["resource"] == "/pets/{id}" and got["requestContext"]["stage"] == "beta"
    assert got["path"] == "/shop/beta/pets/3" and got["requestContext"]["path"] == "/shop/beta/pets/3"


def test_the_longest_mapping_wins_and_http_apis_see_their_key_in_raw_path(
    server: RunningServer, domain: str, http_api: str
) -> None:
    got = event(server, domain, "/orders/v1/items/42")
    assert got["version"] == "2.0" and got["routeKey"] == "GET /items/{id}"
    assert got["pathParameters"] == {"id": "42"}
    assert got["rawPath"] == "/orders/v1/items/42"
    context = got["requestContext"]
    assert context["apiId"] == http_api and context["stage"] == "live" and context["domainName"] == domain
    # "orders/v1x" is not under "orders/v1": it falls to the root mapping (the REST API's greedy resource).
    other = event(server, domain, "/orders/v1x")
    assert other["resource"] == "/{proxy+}" and other["pathParameters"] == {"proxy": "orders/v1x"}


def test_a_domain_without_a_matching_mapping_is_forbidden(
    aws: ClientFactory, server: RunningServer, rest_api: str
) -> None:
    apigw = aws("apigateway")
    name = f"only-{uuid.uuid4().hex[:8]}.example.com"
    apigw.create_domain_name(domainName=name)
    apigw.create_base_path_mapping(domainName=name, basePath="v1", restApiId=rest_api, stage="prod")
    status, body = call(server, name, "/v2/pets/1")
    assert status == 403 and json.loads(body) == {"message": "Forbidden"}
    assert event(server, name, "/v1/pets/1")["path"] == "/v1/pets/1"
    apigw.delete_base_path_mapping(domainName=name, basePath="v1")
    status, _ = call(server, name, "/v1/pets/1")
    assert status == 403  # no mapping left
    apigw.delete_domain_name(domainName=name)
    status, _ = call(server, name, "/v1/pets/1")
    assert status != 200  # the host is no custom domain any more: an AWS API request, not the gateway's


def test_a_restarted_server_routes_its_domains_before_any_api_call(tmp_path: Path) -> None:
    """The edge learns an earlier run's domains at start: the first request after a restart is a data-plane one."""
    first = start_server(tmp_path / "data")
    try:
        apigw = boto3.client("apigateway", endpoint_url=first.url, region_name="us-east-1")
        api = apigw.create_rest_api(name="kept")
        root = api["rootResourceId"]
        apigw.put_method(restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE")
        apigw.put_integration(
            restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK",
            requestTemplates={"application/json": '{"statusCode": 200}'},
        )  # fmt: skip
        apigw.put_method_response(restApiId=api["id"], resourceId=root, httpMethod="GET", statusCode="200")
        apigw.put_integration_response(
            restApiId=api["id"], resourceId=root, httpMethod="GET", statusCode="200",
            responseTemplates={"application/json": '{"kept": true}'},
        )  # fmt: skip
        apigw.create_deployment(restApiId=api["id"], stageName="prod")
        apigw.create_domain_name(domainName="kept.example.com")
        apigw.create_base_path_mapping(domainName="kept.example.com", basePath="v1", restApiId=api["id"], stage="prod")
    finally:
        first.stop(signal.SIGKILL)
    second = start_server(tmp_path / "data")
    try:
        status, body = call(second, "kept.example.com", "/v1")
        assert status == 200, body
    finally:
        second.stop()


@pytest.mark.parametrize("kind", [ApiKind.REST, ApiKind.HTTP])
def test_a_custom_domain_event_is_written_as_its_dict(kind: ApiKind) -> None:
    """The pre-encoded event text (event_text.py) says of a custom domain request what the event dict says."""
    version = "1.0" if kind is ApiKind.REST else "2.0"
    route = Route("r1", "GET", "/pets/{id}", Integration("AWS_PROXY", "fn", payload_format_version=version))
    api = DeployedApi("123456789012", "us-east-1", "abc123defg", kind, "prod", "dep1", (route,))
    match = RouteMatch(api, route, {"id": "42"})
    request = GatewayRequest(
        "GET", "/pets/42", "", (("host", "api.example.com"),), b"", "10.1.2.3", "api.example.com",
        "c0a8e3c4-1111-4222-8333-444455556666", 1_767_225_600_123, "/v1", True,
    )  # fmt: skip
    if kind is ApiKind.REST:
        text, found = event_json_v1(match, request, authorizer=None), proxy_event_v1(match, request, authorizer=None)
        assert found["path"] == "/v1/pets/42" and found["requestContext"]["path"] == "/v1/pets/42"
    else:
        text, found = event_json_v2(match, request, authorizer=None), proxy_event_v2(match, request, authorizer=None)
        assert found["rawPath"] == "/v1/pets/42" and found["requestContext"]["http"]["path"] == "/v1/pets/42"
    assert found["requestContext"]["domainName"] == "api.example.com"
    assert text == event_json(found)
