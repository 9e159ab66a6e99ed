"""Route selection tables for HTTP APIs and REST APIs, as AWS documents them."""

from __future__ import annotations

import pytest

from overcast.apis.deployed import ApiKind, DeployedApi, Integration, Route
from overcast.gateway.routing import match_route

LAMBDA = Integration("AWS_PROXY", "arn:aws:lambda:us-east-1:000000000000:function:f")


def api(kind: ApiKind, *keys: str) -> DeployedApi:
    routes = []
    for key in keys:
        method, _, path = key.partition(" ") if key != "$default" else ("ANY", "", "$default")
        routes.append(Route(id=key, method=method, path=path, integration=LAMBDA))
    return DeployedApi("000000000000", "us-east-1", "abc1234567", kind, "$default", "d1", tuple(routes))


# The routes of AWS's own example, plus a few more.
HTTP = api(
    ApiKind.HTTP,
    "GET /pets/dog/1",
    "GET /pets/dog/{id}",
    "GET /pets/{proxy+}",
    "ANY /{proxy+}",
    "$default",
    "POST /pets",
    "ANY /pets/{id}",
    "GET /pets/{id}",
    "GET /",
    "GET /users/{user}/posts/{post}",
)


@pytest.mark.parametrize(
    ("method", "path", "route", "params"),
    [
        ("GET", "/pets/dog/1", "GET /pets/dog/1", {}),
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/1", "GET /pets/{proxy+}", {"proxy": "cat/1"}),
        ("POST", "/pets/dog/1", "ANY /{proxy+}", {"proxy": "pets/dog/1"}),
        ("POST", "/pets", "POST /pets", {}),
        ("GET", "/pets", "ANY /{proxy+}", {"proxy": "pets"}),
        ("GET", "/pets/7", "GET /pets/{id}", {"id": "7"}),
        ("DELETE", "/pets/7", "ANY /pets/{id}", {"id": "7"}),
        ("GET", "/", "GET /", {}),
        ("POST", "/", "$default", {}),
        ("GET", "/users/a%20b/posts/x%2Fy", "GET /users/{user}/posts/{post}", {"user": "a b", "post": "x/y"}),
        ("GET", "/pets/dog/1/", "GET /pets/dog/1", {}),
        ("PUT", "/a/b/c", "ANY /{proxy+}", {"proxy": "a/b/c"}),
    ],
)
def test_http_api_selects_the_most_specific_route(method: str, path: str, route: str, params: dict[str, str]) -> None:
    match = match_route(HTTP, method, path)
    assert match is not None
    assert match.route.id == route
    assert match.path_parameters == params


def test_http_api_without_default_route_has_no_match() -> None:
    small = api(ApiKind.HTTP, "GET /pets", "GET /pets/{id}")
    assert match_route(small, "GET", "/cats") is None
    assert match_route(small, "POST", "/pets") is None
    assert match_route(small, "GET", "/pets/1/2") is None
    assert match_route(small, "GET", "/pets/") is not None


def test_a_greedy_variable_needs_at_least_one_segment() -> None:
    small = api(ApiKind.HTTP, "ANY /files/{proxy+}")
    assert match_route(small, "GET", "/files") is None
    match = match_route(small, "GET", "/files/a/b%20c.txt")
    assert match is not None and match.path_parameters == {"proxy": "a/b c.txt"}


REST = api(
    ApiKind.REST,
    "GET /",
    "GET /pets",
    "GET /pets/{petId}",
    "DELETE /pets/{petId}",
    "ANY /{proxy+}",
    "POST /orders/{id}/items",
)


@pytest.mark.parametrize(
    ("method", "path", "route", "params"),
    [
        ("GET", "/", "GET /", {}),
        ("GET", "/pets", "GET /pets", {}),
        ("GET", "/pets/1", "GET /pets/{petId}", {"petId": "1"}),
        ("DELETE", "/pets/1", "DELETE /pets/{petId}", {"petId": "1"}),
        ("GET", "/cats/1", "ANY /{proxy+}", {"proxy": "cats/1"}),
        ("POST", "/orders/9/items", "POST /orders/{id}/items", {"id": "9"}),
    ],
)
def test_rest_selects_the_most_specific_resource(method: str, path: str, route: str, params: dict[str, str]) -> None:
    match = match_route(REST, method, path)
    assert match is not None
    assert match.route.id == route
    assert match.path_parameters == params


@pytest.mark.parametrize(("method", "path"), [("POST", "/pets"), ("PUT", "/pets/1"), ("POST", "/")])
def test_rest_resource_without_the_method_does_not_fall_back(method: str, path: str) -> None:
    assert match_route(REST, method, path) is None


def test_rest_without_proxy_has_no_match_for_unknown_paths() -> None:
    small = api(ApiKind.REST, "GET /pets")
    assert match_route(small, "GET", "/dogs") is None

