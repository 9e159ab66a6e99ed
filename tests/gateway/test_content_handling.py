"""Content handling on the wire: CONVERT_TO_BINARY and CONVERT_TO_TEXT on integration requests and responses of HTTP,
Lambda (non-proxy) and MOCK integrations, and binary bodies through a Lambda proxy integration.

Through the real server: boto3 makes a REST API with binaryMediaTypes image/png, httpx sends text and PNG bytes to
execute-api, and a local HTTP server (or a function) shows what the integration request carried.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/lambda-proxy-binary-media.html
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function
from tests.gateway.local_backend import serving
from tests.gateway.test_aws_service_integrations import RestApi
from tests.gateway.test_done_when_events import call

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\xff\xfe"  # bytes that are not UTF-8
PNG64 = base64.b64encode(PNG)
AS_PNG = {"method.response.header.Content-Type": "'image/png'"}


class Backend(BaseHTTPRequestHandler):
    """POST /echo answers what it received (base64, so any bytes show); GET /png answers PNG bytes, GET /text
    their base64 as text."""

    def do_POST(self) -> None:
        received = self.rfile.read(int(self.headers.get("content-length") or 0))
        seen = {"received": base64.b64encode(received).decode(), "type": self.headers.get("content-type")}
        self._answer("application/json", json.dumps(seen).encode())

    def do_GET(self) -> None:
        self._answer("image/png", PNG) if self.path == "/png" else self._answer("text/plain", PNG64)

    def _answer(self, content_type: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    yield from serving(Backend)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def http_integration(backend: str, path: str, method: str, handling: str | None = None) -> dict[str, Any]:
    made = {"type": "HTTP", "integrationHttpMethod": method, "uri": f"{backend}{path}"}
    return {**made, "contentHandling": handling} if handling else made


@pytest.fixture(scope="module")
def api(aws: ClientFactory, backend: str) -> RestApi:
    made = RestApi(aws, "content-handling", binaryMediaTypes=["image/png"])
    for name, handling in (("to-binary", "CONVERT_TO_BINARY"), ("to-text", "CONVERT_TO_TEXT"), ("as-is", None)):
        made.method(name, "POST", http_integration(backend, "/echo", "POST", handling))
    made.method(
        "png-as-text", "GET", http_integration(backend, "/png", "GET"),
        {"statusCode": "200", "contentHandling": "CONVERT_TO_TEXT"},
    )  # fmt: skip
    made.method(
        "text-as-png", "GET", http_integration(backend, "/text", "GET"),
        {"statusCode": "200", "contentHandling": "CONVERT_TO_BINARY", "responseParameters": AS_PNG},
    )  # fmt: skip
    made.method("png", "GET", http_integration(backend, "/png", "GET"))
    made.deploy()
    return made


def received(answer: httpx.Response) -> bytes:
    assert answer.status_code == 200, answer.text
    return base64.b64decode(answer.json()["received"])


def test_the_integration_request_converted(server: RunningServer, http: httpx.Client, api: RestApi) -> None:
    # Text (not a binary media type) that is base64 reaches the backend as the bytes it encodes ...
    text = {"content-type": "text/plain"}
    assert received(call(server, http, api.id, "POST", "/prod/to-binary", content=PNG64, headers=text)) == PNG
    # ... binary (image/png) reaches it as base64 text, and without contentHandling as it is.
    png = {"content-type": "image/png"}
    assert received(call(server, http, api.id, "POST", "/prod/to-text", content=PNG, headers=png)) == PNG64
    assert received(call(server, http, api.id, "POST", "/prod/as-is", content=PNG, headers=png)) == PNG
    assert received(call(server, http, api.id, "POST", "/prod/to-text", content=b"plain", headers=text)) == b"plain"
    # Text that does not decode is a configuration error.
    failed = call(server, http, api.id, "POST", "/prod/to-binary", content=b"not base64!", headers=text)
    assert (failed.status_code, failed.json()) == (500, {"message": "Internal server error"})


def test_the_method_response_converted(server: RunningServer, http: httpx.Client, api: RestApi) -> None:
    as_text = call(server, http, api.id, "GET", "/prod/png-as-text", headers={"accept": "image/png"})
    assert (as_text.status_code, as_text.content) == (200, PNG64)
    as_png = call(server, http, api.id, "GET", "/prod/text-as-png")
    assert (as_png.status_code, as_png.headers["content-type"], as_png.content) == (200, "image/png", PNG)


def test_without_content_handling_the_first_accept_type_decides(
    server: RunningServer, http: httpx.Client, api: RestApi
) -> None:
    """Binary data to a client whose first Accept type is a binary media type stays binary; to a text one it is
    base64-encoded."""
    binary = call(server, http, api.id, "GET", "/prod/png", headers={"accept": "image/png,*/*"})
    assert (binary.status_code, binary.content) == (200, PNG)
    text = call(server, http, api.id, "GET", "/prod/png", headers={"accept": "application/json,image/png"})
    assert (text.status_code, text.content) == (200, PNG64)


def test_a_lambda_integration_round_trips_an_image_as_base64(
    aws: ClientFactory, server: RunningServer, http: httpx.Client
) -> None:
    """The request converted to text (the template sees its base64 in $input.body), the function's base64 string
    converted back to bytes."""
    function = python_function(aws("lambda"), "ch-image", "def handler(event, context):\n    return event['data']\n")
    made = RestApi(aws, "content-lambda", binaryMediaTypes=["image/png"])
    integration = {
        "type": "AWS", "integrationHttpMethod": "POST", "contentHandling": "CONVERT_TO_TEXT",
        "uri": f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations",
        "requestTemplates": {"image/png": '{"data": "$input.body"}'},
    }  # fmt: skip
    back = {"statusCode": "200", "contentHandling": "CONVERT_TO_BINARY", "responseParameters": AS_PNG}
    made.method("image", "POST", integration, back)
    made.deploy()
    answer = call(server, http, made.id, "POST", "/prod/image", content=PNG, headers={"content-type": "image/png"})
    assert (answer.status_code, answer.headers["content-type"], answer.content) == (200, "image/png", PNG)


def test_a_mock_integration_converts_its_request(aws: ClientFactory, server: RunningServer, http: httpx.Client) -> None:
    made = RestApi(aws, "content-mock")
    mock = {"type": "MOCK", "contentHandling": "CONVERT_TO_BINARY", "requestTemplates": {"text/plain": "{}"}}
    made.method("mock", "POST", mock, {"statusCode": "200", "responseTemplates": {"application/json": '{"ok": 1}'}})
    made.deploy()
    text = {"content-type": "text/plain"}
    ok = call(server, http, made.id, "POST", "/prod/mock", content=PNG64, headers=text)
    assert (ok.status_code, ok.json()) == (200, {"ok": 1})
    failed = call(server, http, made.id, "POST", "/prod/mock", content=b"not base64!", headers=text)
    assert (failed.status_code, failed.json()) == (500, {"message": "Internal server error"})


ECHO_PROXY = """
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "image/png"}, "body": event["body"],
            "isBase64Encoded": event["isBase64Encoded"]}
"""


def test_a_binary_image_round_trips_through_a_lambda_proxy_integration(
    aws: ClientFactory, server: RunningServer, http: httpx.Client
) -> None:
    """A body of a binary media type reaches the function base64-encoded (isBase64Encoded true); its base64 answer
    reaches a client whose first Accept type is a binary media type as bytes, any other client as the base64."""
    function = python_function(aws("lambda"), "ch-proxy", ECHO_PROXY)
    made = RestApi(aws, "content-proxy", binaryMediaTypes=["image/png"])
    proxy = {
        "type": "AWS_PROXY", "integrationHttpMethod": "POST",
        "uri": f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function}/invocations",
    }  # fmt: skip
    resource = made.apigw.create_resource(restApiId=made.id, parentId=made.root, pathPart="image")["id"]
    made.apigw.put_method(restApiId=made.id, resourceId=resource, httpMethod="POST", authorizationType="NONE")
    made.apigw.put_integration(restApiId=made.id, resourceId=resource, httpMethod="POST", **proxy)
    made.deploy()
    sent = {"content-type": "image/png"}
    image = call(server, http, made.id, "POST", "/prod/image", content=PNG, headers={**sent, "accept": "image/png"})
    assert (image.status_code, image.headers["content-type"], image.content) == (200, "image/png", PNG)
    text = call(server, http, made.id, "POST", "/prod/image", content=PNG, headers={**sent, "accept": "text/plain"})
    assert (text.status_code, text.content) == (200, PNG64)
