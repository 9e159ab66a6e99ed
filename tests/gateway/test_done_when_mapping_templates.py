"""Issue 12, "Done when" (API Gateway): a non-proxy integration's mapping templates transform request and response.

Through the real server, boto3 for the control plane and httpx for execute-api: a Lambda (AWS) integration whose
request template builds the event from the path, query string, headers, body, stage variables and context, and
whose response template reshapes the function's result; a function error mapped to a 400 by its selection
pattern; the three passthrough behaviors; TestInvokeMethod; an HTTP integration against a local HTTP server.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function
from tests.gateway.local_backend import serving
from tests.gateway.test_done_when_events import call

GREETER = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("Bad input: " + event["fail"])
    return {"greeting": "hello " + event["name"], "seen": event}
"""
ECHO = """
def handler(event, context):
    return event
"""
REQUEST_TEMPLATE = """#set($body = $input.path('$'))
{
  "name": "$util.escapeJavaScript($input.params('who'))",
  #if("$!body.fail" != "")"fail": "$body.fail",#end
  "mood": "$input.params('mood')",
  "shout": "$input.params('X-Shout')",
  "tags": $input.json('$.tags'),
  "count": $body.tags.size(),
  "stage": "$stageVariables.color",
  "method": "$context.httpMethod",
  "resourcePath": "$context.resourcePath",
  "decoded": "$util.urlDecode('a%20b+c')",
  "b64": "$util.base64Encode($input.params('who'))",
  "parsed": $util.parseJson('{"n": 7}').n
}"""
RESPONSE_TEMPLATE = """#set($r = $input.path('$'))
{"message": "$util.escapeJavaScript($r.greeting)!", "stage": "$r.seen.stage", "count": $r.seen.tags.size(),
 "tags": [#foreach($t in $r.seen.tags)"$t.replaceAll('^', '#')"#if($foreach.hasNext),#end#end]}"""
ERROR_TEMPLATE = """{"error": $input.json('$.errorMessage'), "type": "$input.path('$.errorType')"}"""


def lambda_uri(function_arn: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


class Api:
    """A REST API with POST /greet/{who} (an AWS integration of the greeter, mapped both ways) and POST /echo
    (an AWS integration of the echo function, for the passthrough behaviors)."""

    def __init__(self, aws: ClientFactory, name: str, *, client: dict[str, str] | None = None, **create: Any) -> None:
        self.apigw = apigw = aws("apigateway", **(client or {}))
        made = apigw.create_rest_api(name=name, **create)
        self.id = made["id"]
        self.root = made["rootResourceId"]

    def resource(self, path_part: str, parent: str | None = None) -> str:
        return str(
            self.apigw.create_resource(restApiId=self.id, parentId=parent or self.root, pathPart=path_part)["id"]
        )

    def where(self, resource: str, method: str) -> dict[str, str]:
        return {"restApiId": self.id, "resourceId": resource, "httpMethod": method}

    def deploy(self, **variables: str) -> None:
        self.apigw.create_deployment(restApiId=self.id, stageName="prod", variables=variables)


@pytest.fixture(scope="module")
def greeter(aws: ClientFactory) -> Api:
    api = Api(aws, "mt-greeter")
    greet = api.resource("{who}", api.resource("greet"))
    apigw, where = api.apigw, api.where(greet, "POST")
    apigw.put_method(**where, authorizationType="NONE", requestParameters={"method.request.querystring.mood": False})
    uri = lambda_uri(python_function(aws("lambda"), "mt-greeter", GREETER))
    apigw.put_integration(
        **where, type="AWS", integrationHttpMethod="POST", uri=uri,
        requestTemplates={"application/json": REQUEST_TEMPLATE}, passthroughBehavior="WHEN_NO_TEMPLATES",
    )  # fmt: skip
    for status in ("200", "400"):
        apigw.put_method_response(
            **where, statusCode=status,
            responseParameters={"method.response.header.X-Greeting": False, "method.response.header.X-Kind": False},
        )  # fmt: skip
    apigw.put_integration_response(
        **where, statusCode="200", responseTemplates={"application/json": RESPONSE_TEMPLATE},
        responseParameters={
            "method.response.header.X-Greeting": "integration.response.body.greeting",
            "method.response.header.X-Kind": "'greeting'",
        },
    )  # fmt: skip
    apigw.put_integration_response(
        **where, statusCode="400", selectionPattern="Bad input: .*",
        responseTemplates={"application/json": ERROR_TEMPLATE},
        responseParameters={"method.response.header.X-Kind": "'refusal'"},
    )  # fmt: skip
    api.deploy(color="blue")
    api.greet = greet  # type: ignore[attr-defined]
    return api


def test_request_and_response_templates_transform_a_lambda_integrations_call(
    server: RunningServer, http: httpx.Client, greeter: Api
) -> None:
    answer = call(
        server, http, greeter.id, "POST", "/prod/greet/Ann%20%22A%22?mood=happy",
        content=json.dumps({"tags": ["a", "b"]}), headers={"content-type": "application/json", "x-shout": "yes"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert (answer.headers["x-greeting"], answer.headers["x-kind"]) == ('hello Ann "A"', "greeting")
    # The response template reshaped the function's result, which echoes the event the request template made.
    expected = {"message": 'hello Ann "A"!', "stage": "blue", "count": 2, "tags": ["#a", "#b"]}
    assert answer.json() == expected
    # The event itself, through the echo of `seen`:
    direct = greeter.apigw.test_invoke_method(
        **greeter.where(greeter.greet, "POST"),  # type: ignore[attr-defined]
        pathWithQueryString="/greet/Ann%20%22A%22?mood=happy", body=json.dumps({"tags": ["a", "b"]}),
        headers={"X-Shout": "yes"}, stageVariables={"color": "green"},
    )  # fmt: skip
    assert direct["status"] == 200, direct
    assert json.loads(direct["body"]) == {**expected, "stage": "green"}


def test_the_event_the_request_template_makes(aws: ClientFactory, server: RunningServer, http: httpx.Client) -> None:
    api = Api(aws, "mt-event")
    thing = api.resource("{who}", api.resource("greet"))
    where = api.where(thing, "POST")
    api.apigw.put_method(**where, authorizationType="NONE")
    uri = lambda_uri(python_function(aws("lambda"), "mt-echo", ECHO))
    api.apigw.put_integration(
        **where, type="AWS", integrationHttpMethod="POST", uri=uri,
        requestTemplates={"application/json": REQUEST_TEMPLATE},
    )  # fmt: skip
    api.apigw.put_method_response(**where, statusCode="200")
    api.apigw.put_integration_response(**where, statusCode="200")  # no template: the function's result as it is
    api.deploy(color="blue")
    answer = call(
        server, http, api.id, "POST", "/prod/greet/Zo%C3%AB/?mood=calm",
        content=json.dumps({"tags": ["x"]}), headers={"x-shout": "no"},  # no Content-Type: application/json
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "name": "Zo\u00eb", "mood": "calm", "shout": "no", "tags": ["x"], "count": 1, "stage": "blue",
        "method": "POST", "resourcePath": "/greet/{who}", "decoded": "a b c", "b64": "Wm/Dqw==", "parsed": 7,
    }  # fmt: skip


def test_a_function_error_is_mapped_to_a_400_by_its_selection_pattern(
    server: RunningServer, http: httpx.Client, greeter: Api
) -> None:
    answer = call(
        server, http, greeter.id, "POST", "/prod/greet/bob",
        content=json.dumps({"fail": "no tags", "tags": []}), headers={"content-type": "application/json"},
    )  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"error": "Bad input: no tags", "type": "ValueError"}
    assert answer.headers["x-kind"] == "refusal" and "x-greeting" not in answer.headers
    # TestInvokeMethod runs the same mapping, and logs it.
    tested = greeter.apigw.test_invoke_method(
        **greeter.where(greeter.greet, "POST"),  # type: ignore[attr-defined]
        pathWithQueryString="/greet/bob", body=json.dumps({"fail": "x", "tags": []}),
    )  # fmt: skip
    assert (tested["status"], json.loads(tested["body"])) == (400, {"error": "Bad input: x", "type": "ValueError"})
    assert tested["headers"]["X-Kind"] == "refusal"
    assert tested["log"].startswith("Execution log for request ")
    assert "Method completed with status: 400" in tested["log"]
    assert isinstance(tested["latency"], int)


def test_a_body_no_template_maps_follows_the_passthrough_behavior(
    aws: ClientFactory, server: RunningServer, http: httpx.Client
) -> None:
    api = Api(aws, "mt-passthrough")
    echo = api.resource("echo")
    where = api.where(echo, "POST")
    api.apigw.put_method(**where, authorizationType="NONE")
    uri = lambda_uri(python_function(aws("lambda"), "mt-pass", ECHO))
    api.apigw.put_method_response(**where, statusCode="200")

    def answers(behavior: str, templates: dict[str, str]) -> list[tuple[int, Any]]:
        api.apigw.put_integration(
            **where, type="AWS", integrationHttpMethod="POST", uri=uri, requestTemplates=templates,
            passthroughBehavior=behavior,
        )  # fmt: skip
        api.apigw.put_integration_response(**where, statusCode="200")
        api.deploy()
        out = []
        for content_type in ("application/json", "application/vnd.custom+json"):
            headers = {"content-type": content_type}
            answer = call(server, http, api.id, "POST", "/prod/echo", content=b'{"raw": 1}', headers=headers)
            out.append((answer.status_code, answer.json()))
            if answer.status_code == 415:
                assert answer.headers["x-amzn-ErrorType"] == "UnsupportedMediaTypeException"
        return out

    mapped = {"application/json": "{\"mapped\": $input.json('$.raw')}"}
    unsupported = (415, {"message": "Unsupported Media Type"})
    assert answers("WHEN_NO_MATCH", mapped) == [(200, {"mapped": 1}), (200, {"raw": 1})]
    assert answers("WHEN_NO_TEMPLATES", mapped) == [(200, {"mapped": 1}), unsupported]
    assert answers("NEVER", mapped) == [(200, {"mapped": 1}), unsupported]
    assert answers("WHEN_NO_TEMPLATES", {}) == [(200, {"raw": 1}), (200, {"raw": 1})]
    assert answers("NEVER", {}) == [unsupported, unsupported]


# -- an HTTP integration --------------------------------------------------------------------------------


class Backend(BaseHTTPRequestHandler):
    """Answers what it got as JSON; a path ending /missing answers 404."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        seen = {
            "method": self.command,
            "path": self.path,
            "from": self.headers.get("x-from"),
            "type": self.headers.get("content-type"),
            "body": self.rfile.read(length).decode(),
        }
        status = 404 if self.path.split("?")[0].endswith("/missing") else 200
        payload = json.dumps(seen).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("x-backend", "local")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    yield from serving(Backend)


def test_an_http_integration_maps_the_request_and_the_answer_by_status(
    aws: ClientFactory, server: RunningServer, http: httpx.Client, backend: str
) -> None:
    api = Api(aws, "mt-http")
    item = api.resource("{id}", api.resource("items"))
    where = api.where(item, "GET")
    api.apigw.put_method(
        **where, authorizationType="NONE", requestParameters={"method.request.querystring.source": False}
    )  # fmt: skip
    api.apigw.put_integration(
        **where, type="HTTP", integrationHttpMethod="POST", uri=backend + "/backend/{id}",
        requestParameters={
            "integration.request.querystring.src": "method.request.querystring.source",
            "integration.request.header.x-from": "'gateway'",
        },
        requestTemplates={"application/json": '{"id": "$input.params(\'id\')", "stage": "$context.stage"}'},
    )  # fmt: skip
    for status in ("200", "404"):
        api.apigw.put_method_response(
            **where, statusCode=status, responseParameters={"method.response.header.X-Backend": False}
        )  # fmt: skip
    api.apigw.put_integration_response(
        **where, statusCode="200", responseTemplates={"application/json": '{"backend": $input.json(\'$\')}'},
        responseParameters={"method.response.header.X-Backend": "integration.response.header.x-backend"},
    )  # fmt: skip
    api.apigw.put_integration_response(
        **where, statusCode="404", selectionPattern="4\\d{2}",
        responseTemplates={"application/json": '{"missing": "$input.params(\'id\')"}'},
    )  # fmt: skip
    api.deploy()
    answer = call(server, http, api.id, "GET", "/prod/items/7?source=web&ignored=1")
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-backend"] == "local"
    assert answer.json() == {
        "backend": {
            "method": "POST",
            "path": "/backend/7?src=web",  # only mapped parameters reach the backend
            "from": "gateway",
            "type": "application/json",
            "body": '{"id": "7", "stage": "prod"}',
        }
    }
    missing = call(server, http, api.id, "GET", "/prod/items/missing")
    assert (missing.status_code, missing.json()) == (404, {"missing": "missing"})
    assert "x-backend" not in missing.headers
