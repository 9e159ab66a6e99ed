"""WebSocket APIs' non-proxy integrations through the real server: a real WebSocket client (the `websockets`
library) talks to routes whose integrations are a MOCK, a Lambda function (AWS, non-proxy), an HTTP endpoint
(HTTP, non-proxy) and HTTP_PROXY, the endpoint a local HTTP server the test starts. Request templates chosen by
the integration's template selection expression reshape the message; integration responses chosen by their key
reshape the answer; a two-way route (one with a route response) sends it back, a one-way route sends nothing.
https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-transformations.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function
from tests.gateway.local_backend import serving
from tests.gateway.test_websockets import open_socket, receive

# A non-proxy function gets the mapped request as its event; it answers what it got, or fails when asked to.
HANDLER = """
def handler(event, context):
    if event.get("fail"):
        raise Exception("not allowed: " + event["fail"])
    return {"got": event}
"""

# $connect is a MOCK whose request template accepts a client whose query string carries token=ok.
CONNECT_TEMPLATE = "#if($input.params('token') == 'ok'){\"statusCode\": 200}#else{\"statusCode\": 403}#end"


class Backend(BaseHTTPRequestHandler):
    """Answers what it got as JSON (its headers too); a path ending /missing answers 404."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        seen = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
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

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    yield from serving(Backend)


class Api:
    """A WebSocket API routed by `$request.body.action`, built route by route through boto3."""

    def __init__(self, aws: ClientFactory) -> None:
        self.v2 = aws("apigatewayv2")
        self.api_id = str(
            self.v2.create_api(
                Name="mapped", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
            )["ApiId"]
        )

    def route(
        self, key: str, integration: dict[str, Any], responses: dict[str, dict[str, Any]], two_way: bool = True
    ) -> None:
        """A route to a new integration, with integration responses by key, and a $default route response when
        `two_way`."""
        made = self.v2.create_integration(ApiId=self.api_id, **integration)
        for response_key, settings in responses.items():
            self.v2.create_integration_response(
                ApiId=self.api_id, IntegrationId=made["IntegrationId"], IntegrationResponseKey=response_key, **settings
            )
        extra = {"RouteResponseSelectionExpression": "$default"} if two_way else {}
        route = self.v2.create_route(
            ApiId=self.api_id, RouteKey=key, Target=f"integrations/{made['IntegrationId']}", **extra
        )
        if two_way:
            self.v2.create_route_response(ApiId=self.api_id, RouteId=route["RouteId"], RouteResponseKey="$default")


@pytest.fixture(scope="module")
def lambda_uri(aws: ClientFactory) -> str:
    function_arn = python_function(aws("lambda"), "wsmap", HANDLER, timeout=20)
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"


@pytest.fixture(scope="module")
def api_id(aws: ClientFactory, backend: str, lambda_uri: str) -> str:
    api = Api(aws)
    mock = {"IntegrationType": "MOCK", "TemplateSelectionExpression": "\\$default"}
    api.route("$connect", {**mock, "RequestTemplates": {"$default": CONNECT_TEMPLATE}}, {"$default": {}}, two_way=False)
    api.route(
        "mock",
        {**mock, "RequestTemplates": {"$default": '{"statusCode": 200}'}},
        {
            "$default": {
                "TemplateSelectionExpression": "\\$default",
                "ResponseTemplates": {
                    "$default": '{"route": "$context.routeKey", "connection": "$context.connectionId", '
                    '"stage": "$stageVariables.flavour"}'
                },
            }
        },
    )
    # A one-way route: its integration answers (and has a response template), but nothing goes back.
    api.route(
        "quiet",
        {**mock, "RequestTemplates": {"$default": '{"statusCode": 200}'}},
        {"$default": {"ResponseTemplates": {"$default": '{"heard": true}'}}},
        two_way=False,
    )
    api.route(
        "lambda",
        {
            "IntegrationType": "AWS",
            "IntegrationUri": lambda_uri,
            "TemplateSelectionExpression": "${request.body.mode}",
            "RequestTemplates": {
                "shout": '{"mode": "shout", "user": $input.json(\'$.name\'), "fail": "$!input.path(\'$.fail\')"}',
                "$default": '{"mode": "default", "user": $input.json(\'$.name\'), '
                '"connection": "$context.connectionId", "fail": "$!input.path(\'$.fail\')"}',
            },
        },
        {
            "$default": {
                "TemplateSelectionExpression": "\\$default",
                "ResponseTemplates": {
                    "$default": '{"greeting": "hello $input.path(\'$.got.user\')", '
                    '"mode": "$input.path(\'$.got.mode\')", "saw": $input.json(\'$.got\')}'
                },
            },
            "/not allowed: .*/": {
                "ResponseTemplates": {
                    "$default": '{"refused": "$util.escapeJavaScript($input.path(\'$.errorMessage\'))"}'
                }
            },
        },
    )
    api.route(
        "http",
        {
            "IntegrationType": "HTTP",
            "IntegrationMethod": "PUT",
            "IntegrationUri": backend + "/rooms/{room}",
            "TemplateSelectionExpression": "\\$default",
            "RequestTemplates": {"$default": "{\"said\": $input.json('$.text')}"},
            "RequestParameters": {
                "integration.request.path.room": "route.request.body.room",
                "integration.request.querystring.flavour": "stageVariables.flavour",
                "integration.request.header.x-connection-id": "context.connectionId",
                "integration.request.header.x-static": "'fixed'",
            },
        },
        {
            "$default": {
                "TemplateSelectionExpression": "${integration.response.statuscode}",
                "ResponseTemplates": {
                    "200": '{"status": 200, "backend": $input.json(\'$\')}',
                    "$default": '{"unexpected": true}',
                },
            },
            "/4\\d\\d/": {
                "TemplateSelectionExpression": "${integration.response.header.x-backend}",
                "ResponseTemplates": {"local": '{"missing": "$input.path(\'$.path\')"}'},
            },
        },
    )
    api.route(
        "proxy",
        {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "POST", "IntegrationUri": backend + "/proxied"},
        {},
    )
    # Binary frames select no route: $default's integration takes them as base64 text.
    api.route(
        "$default",
        {
            "IntegrationType": "HTTP_PROXY",
            "IntegrationMethod": "POST",
            "IntegrationUri": backend + "/binary",
            "ContentHandlingStrategy": "CONVERT_TO_TEXT",
        },
        {},
    )
    api.v2.create_stage(ApiId=api.api_id, StageName="prod", AutoDeploy=True, StageVariables={"flavour": "mint"})
    return api.api_id


@pytest.fixture(scope="module")
def gated_api(aws: ClientFactory, lambda_uri: str) -> str:
    """An API whose $connect is a non-proxy Lambda integration: the function fails for a client that asks."""
    api = Api(aws)
    template = '{"fail": "$input.params(\'fail\')", "connection": "$context.connectionId"}'
    api.route(
        "$connect",
        {"IntegrationType": "AWS", "IntegrationUri": lambda_uri, "RequestTemplates": {"$default": template}},
        {},
        two_way=False,
    )
    mock = {"IntegrationType": "MOCK", "RequestTemplates": {"$default": '{"statusCode": 200}'}}
    api.route("$default", mock, {"$default": {"ResponseTemplates": {"$default": '{"in": true}'}}})
    api.v2.create_stage(ApiId=api.api_id, StageName="prod", AutoDeploy=True)
    return api.api_id


def test_connect_with_a_lambda_non_proxy_integration_is_accepted_when_the_function_succeeds(
    server: RunningServer, gated_api: str
) -> None:
    with open_socket(server, gated_api, "?fail=") as ws:
        ws.send("hello")
        assert receive(ws) == {"in": True}
    with pytest.raises(InvalidStatus) as raised:
        open_socket(server, gated_api, "?fail=please")
    assert raised.value.response.status_code == 500


@pytest.fixture
def client(server: RunningServer, api_id: str) -> Iterator[ClientConnection]:
    with open_socket(server, api_id, "?token=ok") as ws:
        yield ws


def test_connect_with_a_mock_integration_accepts_only_what_its_template_answers_2xx_for(
    server: RunningServer, api_id: str
) -> None:
    with pytest.raises(InvalidStatus) as raised:
        open_socket(server, api_id, "?token=no")
    assert raised.value.response.status_code == 403
    with open_socket(server, api_id, "?token=ok") as ws:
        ws.send(json.dumps({"action": "mock"}))
        assert receive(ws)["route"] == "mock"


def test_a_mock_route_answers_the_client_with_its_mapped_response_template(client: ClientConnection) -> None:
    client.send(json.dumps({"action": "mock"}))
    got = receive(client)
    assert got["route"] == "mock" and got["stage"] == "mint"
    assert got["connection"]  # $context.connectionId, the connection's own


def test_a_route_without_a_route_response_sends_nothing_back(client: ClientConnection) -> None:
    client.send(json.dumps({"action": "quiet"}))
    client.send(json.dumps({"action": "mock"}))
    # The one-way route's integration ran first (a MOCK has no backend to wait for), yet the next message the
    # client gets is the two-way route's answer.
    assert receive(client)["route"] == "mock"


def test_a_lambda_route_sees_the_message_its_request_template_made_and_answers_through_its_response_template(
    client: ClientConnection,
) -> None:
    client.send(json.dumps({"action": "lambda", "name": "ada", "extra": "dropped"}))
    got = receive(client)
    assert got["greeting"] == "hello ada" and got["mode"] == "default"
    seen = got["saw"]  # the function's event: the request template's output, not the message
    assert seen["user"] == "ada" and seen["connection"] and "extra" not in seen and "action" not in seen


def test_the_template_selection_expression_picks_the_request_template(client: ClientConnection) -> None:
    client.send(json.dumps({"action": "lambda", "mode": "shout", "name": "bo"}))
    got = receive(client)
    assert got["mode"] == "shout" and got["saw"] == {"mode": "shout", "user": "bo", "fail": ""}
    client.send(json.dumps({"action": "lambda", "mode": "unknown", "name": "cy"}))
    assert receive(client)["mode"] == "default"  # a key with no template takes $default's


def test_a_function_error_selects_the_integration_response_whose_key_matches_its_error_message(
    client: ClientConnection,
) -> None:
    client.send(json.dumps({"action": "lambda", "name": "dee", "fail": "dee"}))
    assert receive(client) == {"refused": "not allowed: dee"}


def test_an_http_route_maps_the_message_and_parameters_into_the_request_and_the_answer_by_status(
    client: ClientConnection,
) -> None:
    client.send(json.dumps({"action": "http", "room": "r1", "text": "hi"}))
    got = receive(client)
    assert got["status"] == 200
    backend = got["backend"]
    assert backend["method"] == "PUT" and backend["path"] == "/rooms/r1?flavour=mint"
    assert json.loads(backend["body"]) == {"said": "hi"}
    assert backend["headers"]["x-static"] == "fixed" and backend["headers"]["x-connection-id"]
    assert backend["headers"]["content-type"] == "application/json"
    client.send(json.dumps({"action": "http", "room": "missing", "text": "hi"}))
    # /4\d\d/ matched the 404; its template was chosen by the backend's x-backend header
    assert receive(client) == {"missing": "/rooms/missing?flavour=mint"}


def test_an_http_proxy_route_passes_the_message_through_and_the_answer_back(client: ClientConnection) -> None:
    message = json.dumps({"action": "proxy", "text": "as is"})
    client.send(message)
    got = receive(client)
    assert (got["method"], got["path"], got["body"]) == ("POST", "/proxied", message)


def test_content_handling_convert_to_text_sends_a_binary_message_as_base64(client: ClientConnection) -> None:
    client.send(b"\x00\x01\xfe")
    got = receive(client)
    assert (got["path"], got["body"]) == ("/binary", "AAH+")
