"""Route selection over a WebSocket message, as https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
describes it: a JSON path into the body, stringified; `${...}` templates mixed with static text; else `$default`."""

from __future__ import annotations

import pytest

from overcast.apis import deployed as d
from overcast.apis.httpapi.websockets import (
    SocketRoute,
    SocketStage,
    evaluated,
    route_key,
    route_selection_expression,
    selected_key,
)
from overcast.errors import BadRequest

MESSAGE = '{"service": "chat", "action": "join", "data": {"room": "room1234"}, "n": 3, "list": [1, 2]}'


@pytest.mark.parametrize(
    ("expression", "key"),
    [
        ("$request.body.action", "join"),
        ("$request.body.data.room", "room1234"),
        ("${request.body.service}/${request.body.action}", "chat/join"),
        ("${request.body.action}-static", "join-static"),
        ("$request.body.n", "3"),  # the result is stringified
        ("$request.body.list", "[1,2]"),
        ("$request.body.missing", None),
        ("${request.body.action}/${request.body.missing}", None),
    ],
)
def test_a_selection_expression_evaluates_over_the_body(expression: str, key: str | None) -> None:
    assert selected_key(expression, MESSAGE) == key


def test_a_message_that_is_not_json_selects_nothing() -> None:
    assert selected_key("$request.body.action", "hello") is None


def stage(*keys: str) -> SocketStage:
    routes = tuple(SocketRoute(k, d.Integration("AWS_PROXY", "f")) for k in keys)
    return SocketStage("000000000000", "us-east-1", "a", "prod", "dep", "$request.body.action", routes)


def test_select_takes_the_custom_route_else_default_else_none() -> None:
    both = stage("$default", "join")
    assert (both.select('{"action": "join"}') or d).route_key == "join"
    assert (both.select('{"action": "leave"}') or d).route_key == "$default"
    assert (both.select(b"\x00binary") or d).route_key == "$default"
    # A message cannot select a predefined route by naming it.
    assert (both.select('{"action": "$connect"}') or d).route_key == "$default"
    assert stage("join").select('{"action": "leave"}') is None


@pytest.mark.parametrize("expression", ["", "$request.header.x", "action", "$request.method $request.path"])
def test_route_selection_expressions_that_are_not_body_paths_are_refused(expression: str) -> None:
    with pytest.raises(BadRequest):
        route_selection_expression(expression)


@pytest.mark.parametrize("key", ["$foo", "", "x" * 129])
def test_reserved_empty_and_long_route_keys_are_refused(key: str) -> None:
    with pytest.raises(BadRequest):
        route_key(key)


VALUES = {"request.body.kind": "greet", "integration.response.statuscode": "404"}


@pytest.mark.parametrize(
    ("expression", "key"),
    [
        ("\\$default", "$default"),  # an escaped dollar: the reserved key itself
        ("static", "static"),
        ("${request.body.kind}", "greet"),
        ("$request.body.kind", "greet"),
        ("${integration.response.statuscode}", "404"),
        ("${request.body.kind}-${integration.response.statuscode}", "greet-404"),
        ("${request.body.missing}", None),
    ],
)
def test_a_template_selection_expression_evaluates_once_with_escapes_and_static_text(
    expression: str, key: str | None
) -> None:
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html
    assert evaluated(expression, VALUES.get) == key


def test_evaluation_is_not_recursive() -> None:
    assert (
        evaluated("${request.body.kind}", {"request.body.kind": "${request.body.kind}"}.get) == "${request.body.kind}"
    )
