"""Issue 12, point 5: HTTP API parameter mapping through the real server, boto3 and http.client.

An HTTP_PROXY integration's RequestParameters change the headers, query string and path that reach a local
backend that echoes what it received; its ResponseParameters change the status and headers the client
gets; a Lambda proxy integration's event carries the mapped headers and query string; and what AWS refuses
(reserved headers, unknown keys, sources a side may not use, status codes outside 200..599) is refused
with BadRequestException when the integration is created or updated.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer
from tests.gateway.local_backend import serving
from tests.gateway.test_done_when_authorizers import ECHO, make_function


class _Echo(BaseHTTPRequestHandler):
    """Answers what it received as JSON; `x-echo-status` sets its status, and it always sends x-backend."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        path, _, query = self.path.partition("?")
        seen = {
            "method": self.command,
            "path": path,
            "query": parse_qsl(query, keep_blank_values=True),
            "headers": [[k.lower(), v] for k, v in self.headers.items()],
            "body": body,
        }
        out = json.dumps(seen).encode()
        self.send_response(int(self.headers.get("x-echo-status") or 200))
        self.send_header("content-type", "application/json")
        self.send_header("x-backend", "echo")
        self.send_header("x-drop-me", "secret")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    yield from serving(_Echo)


def call(
    server: RunningServer, api_id: str, method: str, path: str, headers: dict[str, str], body: str = ""
) -> tuple[int, dict[str, str], Any]:
    """(status, headers with names lowercased and repeats joined, the JSON body) through http.client."""
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(server.url).port, timeout=30)
    try:
        sent = {"host": f"{api_id}.execute-api.localhost", **headers}
        conn.request(method, path, body=body.encode() or None, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        got: dict[str, str] = {}
        for k, v in response.getheaders():
            got[k.lower()] = f"{got[k.lower()]},{v}" if k.lower() in got else v
        return response.status, got, json.loads(raw) if raw else None
    finally:
        conn.close()


def http_api(aws: ClientFactory, name: str, route: str, **integration: Any) -> tuple[str, str]:
    """(API id, integration id): one route on a $default auto-deployed stage with stage variable env=test."""
    v2 = aws("apigatewayv2")
    api_id = v2.create_api(Name=name, ProtocolType="HTTP")["ApiId"]
    integration_id = v2.create_integration(ApiId=api_id, **integration)["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey=route, Target=f"integrations/{integration_id}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, StageVariables={"env": "test"})
    return api_id, integration_id


def error(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_request_parameters_change_what_the_http_backend_receives(
    aws: ClientFactory, server: RunningServer, backend: str
) -> None:
    api_id, _ = http_api(
        aws, "pm-request", "POST /pets/{petId}",
        IntegrationType="HTTP_PROXY", IntegrationMethod="ANY", IntegrationUri=f"{backend}/base/pets",
        PayloadFormatVersion="1.0",
        RequestParameters={
            "append:header.x-pet": "$request.path.petId",
            "overwrite:header.x-mixed": "pet-${request.path.petId}-${stageVariables.env}",
            "append:header.x-existing": "added",
            "overwrite:header.x-replaced": "$request.header.x-source",
            "remove:header.x-secret": "''",
            "append:querystring.stage": "$stageVariables.env",
            "overwrite:querystring.q": "$request.querystring.q",
            "remove:querystring.drop": "''",
            "append:header.x-body": "$request.body.pet.name",
            "append:header.x-request-id": "$context.requestId",
            "append:header.x-static": "fixed value",
            "append:header.x-missing": "$request.header.not-sent",
            "overwrite:path": "/v2/animals/$request.path.petId",
        },
    )  # fmt: skip
    status, headers, seen = call(
        server, api_id, "POST", "/pets/7?q=a&q=b&drop=1&keep=2",
        {"x-existing": "old", "x-replaced": "before", "x-source": "from-client", "x-secret": "s",
         "content-type": "application/json"},
        body='{"pet": {"name": "Rex"}}',
    )  # fmt: skip
    assert status == 200
    got = dict(seen["headers"])
    assert got["x-pet"] == "7"
    assert got["x-mixed"] == "pet-7-test"
    assert got["x-existing"] == "old,added"
    assert got["x-replaced"] == "from-client"
    assert got["x-body"] == "Rex"
    assert got["x-request-id"] == headers["apigw-requestid"]
    assert got["x-static"] == "fixed value"
    assert "x-secret" not in got and "x-missing" not in got
    assert seen["path"] == "/v2/animals/7"  # overwrite:path replaces the endpoint's path
    assert sorted(map(tuple, seen["query"])) == [("keep", "2"), ("q", "a,b"), ("stage", "test")]
    assert seen["method"] == "POST" and json.loads(seen["body"]) == {"pet": {"name": "Rex"}}


def test_response_parameters_by_status_code(aws: ClientFactory, server: RunningServer, backend: str) -> None:
    api_id, _ = http_api(
        aws, "pm-response", "GET /things",
        IntegrationType="HTTP_PROXY", IntegrationMethod="GET", IntegrationUri=f"{backend}/things",
        ResponseParameters={
            "200": {
                "append:header.x-from-backend": "$response.header.x-backend",
                "overwrite:header.x-path-seen": "$response.body.path",
                "remove:header.x-drop-me": "''",
                "append:header.x-stage": "${stageVariables.env}-${context.stage}",
            },
            "404": {"overwrite:statuscode": "410", "overwrite:header.x-gone": "yes"},
        },
    )  # fmt: skip
    status, headers, seen = call(server, api_id, "GET", "/things", {})
    assert status == 200 and seen["path"] == "/things"
    assert headers["x-from-backend"] == "echo" and headers["x-backend"] == "echo"
    assert headers["x-path-seen"] == "/things"
    assert headers["x-stage"] == "test-$default"
    assert "x-drop-me" not in headers
    status, headers, _ = call(server, api_id, "GET", "/things", {"x-echo-status": "404"})
    assert (status, headers["x-gone"]) == (410, "yes")
    status, headers, _ = call(server, api_id, "GET", "/things", {"x-echo-status": "201"})
    assert status == 201 and "x-gone" not in headers and "x-from-backend" not in headers  # no mapping for 201


def test_lambda_proxy_event_carries_the_mapped_request(aws: ClientFactory, server: RunningServer) -> None:
    arn = make_function(aws, ECHO, "pm-echo")
    api_id, _ = http_api(
        aws, "pm-lambda", "GET /items/{id}",
        IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0",
        RequestParameters={
            "overwrite:header.x-item": "item-$request.path.id",
            "remove:header.x-secret": "''",
            "append:querystring.added": "$stageVariables.env",
        },
        ResponseParameters={"200": {"append:header.x-mapped": "$response.body.routeKey"}},
    )  # fmt: skip
    status, headers, event = call(server, api_id, "GET", "/items/5?a=1", {"x-secret": "s"})
    assert status == 200
    assert event["headers"]["x-item"] == "item-5" and "x-secret" not in event["headers"]
    assert event["queryStringParameters"] == {"a": "1", "added": "test"}
    assert headers["x-mapped"] == "GET /items/{id}"


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ({"RequestParameters": {"append:header.Authorization": "x"}},
         "Operations on header Authorization are restricted"),
        ({"RequestParameters": {"overwrite:header.x-amzn-trace": "x"}},
         "Operations on header x-amzn-trace are restricted"),
        ({"RequestParameters": {"append:header.Access-Control-Allow-Origin": "*"}}, "are restricted"),
        ({"RequestParameters": {"append:body.x": "x"}}, "Invalid Request Actioned Parameter: append:body.x"),
        ({"RequestParameters": {"append:path": "/x"}}, "Invalid Request Actioned Parameter: append:path"),
        ({"RequestParameters": {"append:header.x": "$response.header.y"}},
         "Invalid mapping expression specified: $response.header.y"),
        ({"RequestParameters": {"append:header.x": "${request.body..name}"}}, "Invalid mapping expression specified"),
        ({"ResponseParameters": {"200": {"overwrite:header.x": "$request.header.y"}}},
         "Invalid mapping expression specified"),
        ({"ResponseParameters": {"200": {"overwrite:querystring.x": "1"}}}, "Invalid Response Actioned Parameter"),
        ({"ResponseParameters": {"200": {"remove:header.Content-Length": "''"}}}, "are restricted"),
        ({"ResponseParameters": {"600": {"overwrite:statuscode": "200"}}}, "Invalid status code: 600"),
        ({"ResponseParameters": {"200": {"overwrite:statuscode": "99"}}}, "Invalid status code: 99"),
    ],
)  # fmt: skip
def test_mappings_aws_refuses_are_refused_on_create_and_update(
    aws: ClientFactory, backend: str, parameters: dict[str, Any], problem: str
) -> None:
    v2 = aws("apigatewayv2")
    api_id = v2.create_api(Name="pm-refused", ProtocolType="HTTP")["ApiId"]
    base = {"ApiId": api_id, "IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET", "IntegrationUri": backend}
    code, message = error(v2.create_integration, **base, **parameters)
    assert code == "BadRequestException"
    assert message.startswith("Invalid mapping expression specified: Validation Result: warnings : [], errors : [")
    assert problem in message
    integration_id = v2.create_integration(**base)["IntegrationId"]
    code, message = error(v2.update_integration, ApiId=api_id, IntegrationId=integration_id, **parameters)
    assert code == "BadRequestException" and problem in message
    stored = v2.get_integration(ApiId=api_id, IntegrationId=integration_id)
    assert "RequestParameters" not in stored and "ResponseParameters" not in stored


def test_accepted_mappings_are_returned_as_given(aws: ClientFactory, backend: str) -> None:
    v2 = aws("apigatewayv2")
    api_id = v2.create_api(Name="pm-stored", ProtocolType="HTTP")["ApiId"]
    request = {"append:header.x-id": "$context.requestId", "overwrite:path": "$request.path"}
    response = {"500": {"overwrite:statuscode": "503", "append:header.x-why": "$response.header.x-reason"}}
    made = v2.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET", IntegrationUri=backend,
        RequestParameters=request, ResponseParameters=response,
    )  # fmt: skip
    got = v2.get_integration(ApiId=api_id, IntegrationId=made["IntegrationId"])
    assert (made["RequestParameters"], made["ResponseParameters"]) == (request, response)
    assert (got["RequestParameters"], got["ResponseParameters"]) == (request, response)
