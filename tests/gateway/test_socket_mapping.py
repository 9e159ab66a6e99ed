"""A WebSocket non-proxy integration's mapping, as a pure function of the route, the message and the context:
the request template its selection expression picks, the passthrough behaviors, request parameters, the
integration response a key picks and its template, and content handling
(https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-transformations.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-mapping.html)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from overcast.apis import deployed as d
from overcast.apis.httpapi.records import IntegrationResponse
from overcast.apis.httpapi.websockets import SocketRoute
from overcast.gateway.mapping import NoIntegrationResponse, UnsupportedMediaType
from overcast.gateway.socket_events import Handshake
from overcast.gateway.socket_mapping import Exchange
from overcast.gateway.templates import TemplateFailure

CONTEXT = {"connectionId": "c1", "routeKey": "say", "identity": {"sourceIp": "10.0.0.1"}}
SHAKE = Handshake("h", "10.0.0.1", None, (("authorization", "Bearer t"), ("x-many", "a"), ("x-many", "b")),
                  (("room", "r1"),))  # fmt: skip


def exchange(message: str | bytes = '{"kind": "greet", "name": "ada", "n": 3}', **settings: Any) -> Exchange:
    integration = d.Integration(
        type=settings.pop("type", "HTTP"), uri=settings.pop("uri", "http://b/{room}"),
        request_templates=tuple(settings.pop("templates", {}).items()),
        passthrough_behavior=settings.pop("passthrough", "WHEN_NO_MATCH"),
        request_parameters=tuple(settings.pop("parameters", {}).items()),
    )  # fmt: skip
    handshake = settings.pop("handshake", None)
    route = SocketRoute("say", integration, True, **settings)
    return Exchange(route, CONTEXT, message, {"flavour": "mint"}, handshake)


TEMPLATES = {"greet": '{"hello": "$input.path(\'$.name\')"}', "$default": '{"other": "$context.connectionId"}'}


@pytest.mark.parametrize(
    ("expression", "message", "body"),
    [
        ("${request.body.kind}", '{"kind": "greet", "name": "ada"}', {"hello": "ada"}),
        ("$request.body.kind", '{"kind": "greet", "name": "ada"}', {"hello": "ada"}),
        ("${request.body.kind}", '{"kind": "wave"}', {"other": "c1"}),  # no template for the key: $default's
        ("${request.body.kind}", "not json", {"other": "c1"}),
        ("\\$default", '{"kind": "greet"}', {"other": "c1"}),
        (None, '{"kind": "greet"}', {"other": "c1"}),
    ],
)
def test_the_template_selection_expression_picks_the_request_template_and_default_catches_the_rest(
    expression: str | None, message: str, body: dict[str, Any]
) -> None:
    mapped = exchange(message, templates=TEMPLATES, template_selection_expression=expression).request_body()
    assert json.loads(mapped) == body


def test_passthrough_behaviors_for_a_message_no_template_maps() -> None:
    only_greet = {"greet": "{}"}
    message = '{"kind": "wave"}'
    kinds = {"template_selection_expression": "${request.body.kind}"}
    assert exchange(message, templates=only_greet, **kinds).request_body() == message.encode()
    assert exchange(message, passthrough="WHEN_NO_TEMPLATES", **kinds).request_body() == message.encode()
    for passthrough, templates in (("WHEN_NO_TEMPLATES", only_greet), ("NEVER", {}), ("NEVER", only_greet)):
        with pytest.raises(UnsupportedMediaType):
            exchange(message, templates=templates, passthrough=passthrough, **kinds).request_body()


def test_request_parameters_map_body_context_stage_variables_static_values_and_connect_headers() -> None:
    parameters = {
        "integration.request.path.room": "route.request.querystring.room",
        "integration.request.querystring.who": "route.request.body.name",
        "integration.request.querystring.n": "route.request.body.n",
        "integration.request.header.x-ip": "context.identity.sourceIp",
        "integration.request.header.x-flavour": "stageVariables.flavour",
        "integration.request.header.x-static": "'fixed'",
        "integration.request.header.x-auth": "route.request.header.Authorization",
        "integration.request.header.x-many": "route.request.multivalueheader.x-many",
        "integration.request.header.x-none": "context.nothing.here",
    }
    url, headers = exchange(parameters=parameters, handshake=SHAKE).http_request(proxy=False)
    assert url == "http://b/r1?who=ada&n=3"
    assert dict(headers) == {
        "content-type": "application/json", "x-ip": "10.0.0.1", "x-flavour": "mint", "x-static": "fixed",
        "x-auth": "Bearer t", "x-many": "a,b",
    }  # fmt: skip
    # A message (not $connect) has no headers or query string of its own.
    url, headers = exchange(parameters=parameters).http_request(proxy=False)
    assert url == "http://b/{room}?who=ada&n=3" and "x-auth" not in dict(headers)


def test_an_http_proxy_passes_connect_headers_on_but_not_the_handshake_s_own() -> None:
    shake = Handshake("h", "ip", None, (("x-a", "1"), ("upgrade", "websocket"), ("sec-websocket-key", "k")), ())
    _, headers = exchange(handshake=shake).http_request(proxy=True)
    assert headers == [("x-a", "1")]


RESPONSES = (
    IntegrationResponse("1", "/4\\d\\d/", None, {"$default": "{\"client\": $input.json('$.error')}"}),
    IntegrationResponse("2", "/not allowed: .*/", None, {"$default": '{"refused": "$input.path(\'$.errorMessage\')"}'}),
    IntegrationResponse(
        "3", "$default", "${integration.response.header.x-kind}", {"a": '{"kind": "a"}', "$default": '{"kind": "d"}'}
    ),
)


@pytest.mark.parametrize(
    ("selected", "status", "payload", "headers", "sent"),
    [
        ("404", 404, b'{"error": "gone"}', (), {"client": "gone"}),
        ("200", 200, b"{}", (("X-Kind", "a"),), {"kind": "a"}),
        ("200", 200, b"{}", (), {"kind": "d"}),
        ("not allowed: x", 200, b'{"errorMessage": "not allowed: x"}', (), {"refused": "not allowed: x"}),
        (None, 200, b"{}", (), {"kind": "d"}),  # a function that succeeded: only $default answers
        ("4040", 200, b"{}", (), {"kind": "d"}),  # a key's regex matches the whole value
    ],
)
def test_the_integration_response_key_picks_the_response_and_its_expression_the_template(
    selected: str | None, status: int, payload: bytes, headers: tuple[tuple[str, str], ...], sent: dict[str, Any]
) -> None:
    out = exchange(responses=RESPONSES).response(selected, status, payload, headers)
    assert isinstance(out, str) and json.loads(out) == sent


def test_no_matching_integration_response_and_no_default_is_a_configuration_error() -> None:
    with pytest.raises(NoIntegrationResponse):
        exchange(responses=RESPONSES[:1]).response("200", 200, b"{}")


def test_an_answer_without_a_template_passes_through_as_text() -> None:
    plain = (IntegrationResponse("1", "$default"),)
    assert exchange(responses=plain).response("200", 200, b'{"as": "is"}') == '{"as": "is"}'


def test_content_handling_converts_binary_to_base64_text_and_back() -> None:
    assert exchange(b"\x00\xff", content_handling="CONVERT_TO_TEXT").raw == b"AP8="
    assert exchange("AP8=", content_handling="CONVERT_TO_BINARY").raw == b"\x00\xff"
    with pytest.raises(TemplateFailure):
        exchange("not base64!", content_handling="CONVERT_TO_BINARY")
    binary = (IntegrationResponse("1", "$default", content_handling_strategy="CONVERT_TO_BINARY"),)
    assert exchange(responses=binary).response("200", 200, b"AP8=") == b"\x00\xff"
