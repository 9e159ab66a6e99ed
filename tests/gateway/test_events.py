"""Lambda proxy events (payload 1.0 and 2.0) against the AWS-recorded fixtures, key by key, and their rules."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from overcast.apis.deployed import ApiKind, DeployedApi, Integration, Route
from overcast.gateway.events import (
    canonical_header_name,
    domain_name,
    domain_prefix,
    extended_request_id,
    proxy_event_v1,
    proxy_event_v2,
    request_time,
    route_key,
)
from overcast.gateway.request import GatewayRequest, RouteMatch

# AWS-recorded events in ../shared beside the clone (CI always has it): a missing one fails, never skips.
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "events"


# --- shape comparison ------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def shape_diff(
    expected: Any,
    actual: Any,
    *,
    optional: frozenset[str] = frozenset(),
    nullable: frozenset[str] = frozenset(),
    maps: frozenset[str] = frozenset(),
    path: str = "",
) -> list[str]:
    """Where `actual` differs in shape from `expected`: a key missing, or a value of another JSON type.

    Paths are dotted ("requestContext.identity.sourceIp", "cookies[]" for list items). A path in
    `optional` may be absent from `actual`; one in `nullable` may be null on one side and anything on
    the other (AWS sends null where the request had none of a thing). An object at a path in `maps`
    is data keyed by the request (header names, query parameters): its keys are not compared, only
    its values' shape against the first recorded value. Extra keys in `actual` are not differences:
    AWS documents that it may add keys to requestContext.
    """
    here = path or "$"
    if json_type(expected) != json_type(actual):
        if path in nullable and (expected is None or actual is None):
            return []
        return [f"{here}: expected {json_type(expected)}, got {json_type(actual)}"]
    diffs: list[str] = []
    kw: dict[str, Any] = {"optional": optional, "nullable": nullable, "maps": maps}
    if isinstance(expected, dict) and path in maps:
        if expected and actual:
            sample = next(iter(expected.values()))
            for key, value in actual.items():
                diffs += shape_diff(sample, value, path=f"{path}.{key}", **kw)
    elif isinstance(expected, dict):
        for key, value in expected.items():
            child = f"{path}.{key}" if path else key
            if key not in actual:
                if child not in optional:
                    diffs.append(f"{child}: missing")
                continue
            diffs += shape_diff(value, actual[key], path=child, **kw)
    elif isinstance(expected, list) and expected and actual:
        for item in actual:
            diffs += shape_diff(expected[0], item, path=f"{path}[]", **kw)
    return diffs


def test_shape_diff_reports_missing_keys_and_type_changes() -> None:
    expected = {"a": 1, "b": {"c": "x", "d": [1]}, "e": None, "f": {"g": 1}}
    assert shape_diff(expected, {"a": 2, "b": {"c": "y", "d": [3, 4]}, "e": None, "f": {"g": 2}, "z": 0}) == []
    assert shape_diff(expected, {"a": "2", "b": {"d": ["x"]}, "e": {}, "f": None}) == [
        "a: expected number, got string",
        "b.c: missing",
        "b.d[]: expected number, got string",
        "e: expected null, got object",
        "f: expected object, got null",
    ]
    assert (
        shape_diff(
            expected, {"a": 1, "b": {"d": []}, "e": {}}, optional=frozenset({"b.c", "f"}), nullable=frozenset({"e"})
        )
        == []
    )
    assert shape_diff(True, 1) == ["$: expected boolean, got number"]
    maps = frozenset({"h"})
    assert shape_diff({"h": {"Accept": "x"}}, {"h": {"accept": "y", "x-b": "z"}}, maps=maps) == []
    assert shape_diff({"h": {"Accept": "x"}}, {"h": {"accept": 1}}, maps=maps) == [
        "h.accept: expected string, got number"
    ]


# --- building requests ---------------------------------------------------------------------------


def make_api(kind: ApiKind, routes: tuple[Route, ...], **kw: Any) -> DeployedApi:
    base: dict[str, Any] = {
        "account_id": "123456789012",
        "region": "us-east-1",
        "api_id": "abc123defg",
        "kind": kind,
        "stage": "$default" if kind is ApiKind.HTTP else "prod",
        "deployment_id": "dep1",
        "routes": routes,
    }
    base.update(kw)
    return DeployedApi(**base)


def make_request(
    method: str = "GET",
    path: str = "/",
    *,
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    api: DeployedApi | None = None,
    host: str = "abc123defg.execute-api.localhost:4566",
) -> GatewayRequest:
    prefix = "" if api is None or api.stage == "$default" else f"/{api.stage}"
    return GatewayRequest(
        method=method,
        path=path,
        raw_query=query,
        headers=headers,
        body=body,
        source_ip="192.168.0.1",
        host=host,
        request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        time_epoch_ms=1583349317135,
        stage_prefix=prefix,
    )


def route(path: str, method: str = "GET", fmt: str = "1.0", resource_id: str = "") -> Route:
    return Route(
        id="r1",
        method=method,
        path=path,
        integration=Integration(type="AWS_PROXY", uri="fn", payload_format_version=fmt),
        resource_id=resource_id,
    )


def match(api: DeployedApi, params: dict[str, str] | None = None) -> RouteMatch:
    return RouteMatch(api=api, route=api.routes[0], path_parameters=params or {})


def _query_from_multi(multi: dict[str, list[str]] | None) -> str:
    pairs = [(k, v) for k, values in (multi or {}).items() for v in values]
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)


def _fixture(name: str) -> dict[str, Any]:
    path = FIXTURES / name
    assert path.is_file(), f"no AWS-recorded event at {path}"
    return json.loads(path.read_text())


def _mirror_v1(recorded: dict[str, Any]) -> tuple[RouteMatch, GatewayRequest, dict[str, Any] | None]:
    """A route match and request that would make AWS send `recorded` (a payload 1.0 event)."""
    kind = ApiKind.HTTP if recorded.get("version") == "1.0" else ApiKind.REST
    context = recorded.get("requestContext", {})
    headers: list[tuple[str, str]] = []
    multi = recorded.get("multiValueHeaders") or {}
    for name, values in multi.items():
        headers += [(name.lower(), v) for v in values]
    for name, value in (recorded.get("headers") or {}).items():
        if name not in multi:
            headers.append((name.lower(), value))
    headers.append(("user-agent", "user-agent"))
    if recorded.get("body") is not None:
        headers.append(("content-type", "text/plain"))
    api = make_api(
        kind,
        (route(recorded["resource"], recorded["httpMethod"], resource_id="" if kind is ApiKind.HTTP else "abc123"),),
        stage_variables=tuple((recorded.get("stageVariables") or {}).items()),
    )
    request = make_request(
        recorded["httpMethod"],
        recorded["path"],
        query=_query_from_multi(recorded.get("multiValueQueryStringParameters")),
        headers=tuple(headers),
        body=(recorded.get("body") or "").encode(),
        api=api,
    )
    return match(api, recorded.get("pathParameters")), request, context.get("authorizer")


def _mirror_v2(recorded: dict[str, Any]) -> tuple[RouteMatch, GatewayRequest, dict[str, Any] | None]:
    """A route match and request that would make AWS send `recorded` (a payload 2.0 event)."""
    context = recorded["requestContext"]
    headers = [(name.lower(), v) for name, joined in recorded["headers"].items() for v in joined.split(",")]
    if recorded.get("cookies"):
        headers.append(("cookie", "; ".join(recorded["cookies"])))
    headers.append(("user-agent", context["http"]["userAgent"]))
    if "body" in recorded:
        headers.append(("content-type", "application/json"))
    key = recorded["routeKey"]
    method, _, path = key.partition(" ") if key != "$default" else ("ANY", "", "$default")
    api = make_api(
        ApiKind.HTTP,
        (route(path, method, fmt="2.0"),),
        stage_variables=tuple((recorded.get("stageVariables") or {}).items()),
    )
    request = make_request(
        context["http"]["method"],
        recorded["rawPath"],
        query=recorded["rawQueryString"],
        headers=tuple(headers),
        body=recorded.get("body", "").encode(),
        api=api,
    )
    return match(api, recorded.get("pathParameters")), request, context.get("authorizer")


# --- conformance with AWS's recorded events ------------------------------------------------------

V1_FIXTURES = [
    "apiGatewayProxyEvent.json",
    "apiGatewayProxyEventAnotherPath.json",
    "apiGatewayProxyEventNoOrigin.json",
    "apiGatewayProxyEventPathTrailingSlash.json",
    "apiGatewayProxyEventPrincipalId.json",
    "apiGatewayProxyEvent_noVersionAuth.json",
    "apiGatewayProxyOtherEvent.json",
]
V2_FIXTURES = [
    "apiGatewayProxyV2Event.json",
    "apiGatewayProxyV2EventPathTrailingSlash.json",
    "apiGatewayProxyV2Event_GET.json",
    "apiGatewayProxyV2IamEvent.json",
    "apiGatewayProxyV2LambdaAuthorizerEvent.json",
    "apiGatewayProxyV2OtherGetEvent.json",
]

# What the recorded events show that a local request cannot, or that AWS sends differently elsewhere:
# - clientCert / authentication exist only with mutual TLS (AWS sends null or leaves them out without it);
# - the recorded HTTP API 1.0 events are AWS's documentation sample: resourceId null and an empty
#   authorizer, where live HTTP APIs send the route key ("ANY /pets") and no authorizer without one.
V1_OPTIONAL = frozenset({"requestContext.identity.clientCert", "requestContext.authorizer"})
V1_NULLABLE = frozenset({"requestContext.identity.clientCert", "requestContext.resourceId"})
V2_OPTIONAL = frozenset({"requestContext.authentication"})
# Objects keyed by the request's own names (AWS keeps a client's header case; ASGI servers lowercase it).
MAPS = frozenset(
    {
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
    }
)


@pytest.mark.parametrize("name", V1_FIXTURES)
def test_v1_event_has_the_recorded_shape(name: str) -> None:
    recorded = _fixture(name)
    m, request, authorizer = _mirror_v1(recorded)
    event = proxy_event_v1(m, request, authorizer=authorizer)
    assert shape_diff(recorded, event, optional=V1_OPTIONAL, nullable=V1_NULLABLE, maps=MAPS) == []
    assert ("version" in event) == ("version" in recorded)
    assert json.loads(json.dumps(event)) == event  # plain JSON all the way down


@pytest.mark.parametrize("name", V1_FIXTURES)
def test_v1_event_without_query_or_headers_sends_nulls(name: str) -> None:
    recorded = _fixture(name)
    m, request, _ = _mirror_v1(recorded)
    bare = GatewayRequest(
        "GET", request.path, "", (), b"", request.source_ip, "", request.request_id, request.time_epoch_ms
    )
    event = proxy_event_v1(m, bare, authorizer=None)
    for key in ("headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters", "body"):
        assert event[key] is None, key
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize("name", V2_FIXTURES)
def test_v2_event_has_the_recorded_shape(name: str) -> None:
    recorded = _fixture(name)
    m, request, authorizer = _mirror_v2(recorded)
    event = proxy_event_v2(m, request, authorizer=authorizer)
    assert shape_diff(recorded, event, optional=V2_OPTIONAL, maps=MAPS) == []
    # and nothing AWS leaves out is sent: the same top-level keys
    assert set(event) == set(recorded)
    assert {k.lower(): v for k, v in recorded["headers"].items()}.items() <= event["headers"].items()
    assert event["queryStringParameters"] == recorded["queryStringParameters"]
    assert event["cookies"] == recorded["cookies"]
    assert event["requestContext"]["authorizer"] == recorded["requestContext"]["authorizer"]


def test_v1_http_api_event_with_a_jwt_authorizer() -> None:
    recorded = _fixture("apiGatewayProxyEvent.json")
    m, request, _ = _mirror_v1(recorded)
    claims = {"sub": "u1", "scope": "read"}
    event = proxy_event_v1(m, request, authorizer={"claims": claims, "scopes": ["read"]})
    nullable = V1_NULLABLE | {"requestContext.authorizer.claims", "requestContext.authorizer.scopes"}
    assert shape_diff(recorded, event, optional=V1_OPTIONAL, nullable=nullable, maps=MAPS) == []
    assert event["requestContext"]["authorizer"] == {"claims": claims, "scopes": ["read"]}


def test_v2_event_without_optional_parts_leaves_them_out() -> None:
    recorded = _fixture("apiGatewayProxyV2Event_GET.json")
    api = make_api(ApiKind.HTTP, (route("$default", "ANY", fmt="2.0"),))
    event = proxy_event_v2(match(api), make_request("GET", "/my/path", api=api), authorizer=None)
    for key in ("cookies", "queryStringParameters", "pathParameters", "stageVariables", "body"):
        assert key not in event, key
    assert "authorizer" not in event["requestContext"]
    assert event["rawQueryString"] == ""
    assert event["headers"] == {}
    optional = V2_OPTIONAL | {
        "cookies",
        "queryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext.authorizer",
    }
    assert shape_diff(recorded, event, optional=optional, maps=MAPS) == []


# --- the rules, value by value ---------------------------------------------------------------------


def test_rest_event_values() -> None:
    api = make_api(
        ApiKind.REST,
        (route("/pets/{id}", "GET", resource_id="r3s0urc3"),),
        stage_variables=(("color", "blue"),),
    )
    request = make_request(
        "GET",
        "/pets/42",
        query="a=1&a=2&b=x%20y&c",
        headers=(("accept", "*/*"), ("x-multi", "1"), ("x-multi", "2"), ("user-agent", "curl/8")),
        api=api,
    )
    event = proxy_event_v1(
        match(api, {"id": "42"}),
        request,
        authorizer={"principalId": "me", "integrationLatency": 3, "tenant": "t1"},
    )
    assert "version" not in event
    assert event["resource"] == "/pets/{id}"
    assert event["path"] == "/pets/42"  # REST: without the stage
    assert event["httpMethod"] == "GET"
    # 1.0 header names in their common capitalisation (ASGI lowercased what the client sent)
    assert event["headers"] == {"Accept": "*/*", "X-Multi": "2", "User-Agent": "curl/8"}
    assert event["multiValueHeaders"] == {"Accept": ["*/*"], "X-Multi": ["1", "2"], "User-Agent": ["curl/8"]}
    assert event["queryStringParameters"] == {"a": "2", "b": "x y", "c": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"], "c": [""]}
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] == {"color": "blue"}
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["path"] == "/prod/pets/42"  # requestContext.path: with the stage
    assert ctx["resourceId"] == "r3s0urc3"
    assert ctx["resourcePath"] == "/pets/{id}"
    assert ctx["stage"] == "prod"
    assert ctx["protocol"] == "HTTP/1.1"
    assert ctx["requestTime"] == "04/Mar/2020:19:15:17 +0000"
    assert ctx["requestTimeEpoch"] == 1583349317135
    assert ctx["requestId"] == request.request_id
    assert ctx["extendedRequestId"] == extended_request_id(request.request_id) != request.request_id
    assert ctx["domainName"] == "abc123defg.execute-api.localhost"
    assert ctx["domainPrefix"] == "abc123defg"
    assert ctx["apiId"] == "abc123defg"
    assert ctx["accountId"] == "123456789012"
    assert ctx["authorizer"] == {"principalId": "me", "integrationLatency": 3, "tenant": "t1"}
    assert ctx["identity"]["sourceIp"] == "192.168.0.1"
    assert ctx["identity"]["userAgent"] == "curl/8"
    assert "apiKey" not in ctx["identity"]


def test_rest_event_api_key_and_iam_identity() -> None:
    api = make_api(ApiKind.REST, (route("/", "GET", resource_id="root"),))
    request = make_request("GET", "/", headers=(("x-api-key", "k3y"),), api=api)
    event = proxy_event_v1(
        match(api),
        request,
        authorizer=None,
        api_key_id="kid1",
        identity={"accountId": "111122223333", "userArn": "arn:aws:iam::111122223333:user/alice"},
    )
    identity = event["requestContext"]["identity"]
    assert identity["apiKey"] == "k3y"
    assert identity["apiKeyId"] == "kid1"
    assert identity["accountId"] == "111122223333"
    assert identity["userArn"] == "arn:aws:iam::111122223333:user/alice"
    assert "authorizer" not in event["requestContext"]
    other = proxy_event_v1(match(api), request, authorizer=None, api_key_id="kid1", api_key="from-authorizer")
    assert other["requestContext"]["identity"]["apiKey"] == "from-authorizer"


def test_http_api_v1_event_values() -> None:
    api = make_api(ApiKind.HTTP, (route("/pets/{proxy+}", "ANY"),), stage="dev")
    event = proxy_event_v1(match(api, {"proxy": "a/b"}), make_request("POST", "/pets/a/b", api=api), authorizer=None)
    assert event["version"] == "1.0"
    assert event["resource"] == "/pets/{proxy+}"
    assert event["path"] == "/dev/pets/a/b"  # HTTP APIs' 1.0 path keeps the stage
    ctx = event["requestContext"]
    assert ctx["path"] == "/dev/pets/a/b"
    assert ctx["resourceId"] == "ANY /pets/{proxy+}"
    assert ctx["resourcePath"] == "/pets/{proxy+}"
    assert ctx["extendedRequestId"] == ctx["requestId"]
    assert "authorizer" not in ctx
    assert ctx["identity"]["userAgent"] == ""
    assert "cognitoAmr" in ctx["identity"]

    default_api = make_api(ApiKind.HTTP, (route("$default", "ANY"),))
    event = proxy_event_v1(match(default_api), make_request("GET", "/x", api=default_api), authorizer=None)
    assert event["resource"] == "$default"
    assert event["path"] == "/x"
    assert event["requestContext"]["resourceId"] == "$default"
    assert event["requestContext"]["stage"] == "$default"


def test_v2_event_values() -> None:
    api = make_api(ApiKind.HTTP, (route("/items/{id}", "GET", fmt="2.0"),), stage="prod", stage_variables=(("v", "1"),))
    request = make_request(
        "GET",
        "/items/7",
        query="q=1&q=2&r=%2F",
        headers=(
            ("cookie", "a=1; b=2"),
            ("cookie", "c=3"),
            ("x-repeat", "one"),
            ("x-repeat", "two"),
            ("user-agent", "agent"),
        ),
        api=api,
        host="abc123defg.execute-api.localhost",
    )
    event = proxy_event_v2(match(api, {"id": "7"}), request, authorizer={"lambda": {"tenant": "t"}})
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/prod/items/7"  # with the stage segment, as AWS sends it
    assert event["rawQueryString"] == "q=1&q=2&r=%2F"
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert event["headers"] == {"x-repeat": "one,two", "user-agent": "agent"}
    assert event["queryStringParameters"] == {"q": "1,2", "r": "/"}
    assert event["pathParameters"] == {"id": "7"}
    assert event["stageVariables"] == {"v": "1"}
    assert "body" not in event
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["routeKey"] == "GET /items/{id}"
    assert ctx["stage"] == "prod"
    assert ctx["http"] == {
        "method": "GET",
        "path": "/prod/items/7",
        "protocol": "HTTP/1.1",
        "sourceIp": "192.168.0.1",
        "userAgent": "agent",
    }
    assert ctx["time"] == "04/Mar/2020:19:15:17 +0000"
    assert ctx["timeEpoch"] == 1583349317135
    assert ctx["authorizer"] == {"lambda": {"tenant": "t"}}
    assert ctx["domainName"] == "abc123defg.execute-api.localhost"
    assert ctx["domainPrefix"] == "abc123defg"


@pytest.mark.parametrize(
    ("epoch_ms", "text"),
    [
        (1583349317135, "04/Mar/2020:19:15:17 +0000"),
        (1583348638390, "04/Mar/2020:19:03:58 +0000"),  # the docs sample pairs it with 12/Mar (made up)
        (1428582896000, "09/Apr/2015:12:34:56 +0000"),
        (0, "01/Jan/1970:00:00:00 +0000"),
    ],
)
def test_request_time(epoch_ms: int, text: str) -> None:
    assert request_time(epoch_ms) == text


@pytest.mark.parametrize(
    ("host", "name", "prefix"),
    [
        ("abc123defg.execute-api.localhost:4566", "abc123defg.execute-api.localhost", "abc123defg"),
        ("id.execute-api.us-east-1.amazonaws.com", "id.execute-api.us-east-1.amazonaws.com", "id"),
        ("localhost:4566", "localhost", "localhost"),
        ("[::1]:4566", "[::1]", "[::1]"),
    ],
)
def test_domain_name_and_prefix(host: str, name: str, prefix: str) -> None:
    assert domain_name(host) == name
    assert domain_prefix(name) == prefix


def test_route_key() -> None:
    assert route_key(route("$default", "ANY")) == "$default"
    assert route_key(route("/pets/{id}", "GET")) == "GET /pets/{id}"
    assert route_key(route("/{proxy+}", "ANY")) == "ANY /{proxy+}"


# --- binary bodies -------------------------------------------------------------------------------

BODY = b"\x89PNG\r\n\x1a\n\x00\xff"


@pytest.mark.parametrize(
    ("binary_media_types", "content_type", "encoded"),
    [
        ((), "image/png", False),
        (("image/png",), "image/png", True),
        (("image/*",), "image/png", True),
        (("image/*",), "IMAGE/PNG; q=1", True),
        (("*/*",), "application/json", True),
        (("image~1png",), "image/png", True),  # as written in a patch operation
        (("image/png",), "image/jpeg", False),
        (("application/octet-stream",), None, False),
        (("*/*",), None, False),
    ],
)
def test_rest_request_body_is_base64_only_for_binary_media_types(
    binary_media_types: tuple[str, ...], content_type: str | None, encoded: bool
) -> None:
    api = make_api(ApiKind.REST, (route("/up", "POST", resource_id="r"),), binary_media_types=binary_media_types)
    headers = (("content-type", content_type),) if content_type else ()
    payload = b"plain text body"
    event = proxy_event_v1(
        match(api), make_request("POST", "/up", headers=headers, body=payload, api=api), authorizer=None
    )
    assert event["isBase64Encoded"] is encoded
    assert event["body"] == (base64.b64encode(payload).decode() if encoded else payload.decode())


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ("text/plain", False),
        ("text/html; charset=utf-8", False),
        ("application/json", False),
        ("Application/JSON;charset=UTF-8", False),
        ("application/xml", False),
        ("application/javascript", False),
        ("application/x-www-form-urlencoded", True),
        ("application/octet-stream", True),
        ("image/png", True),
        ("multipart/form-data; boundary=x", True),
        (None, True),
    ],
)
@pytest.mark.parametrize("fmt", ["1.0", "2.0"])
def test_http_api_request_body_is_base64_unless_text(content_type: str | None, encoded: bool, fmt: str) -> None:
    api = make_api(ApiKind.HTTP, (route("/up", "POST", fmt=fmt),), binary_media_types=("*/*",))
    headers = (("content-type", content_type),) if content_type else ()
    payload = b"a=1&b=2"
    request = make_request("POST", "/up", headers=headers, body=payload, api=api)
    event = (
        proxy_event_v1(match(api), request, authorizer=None)
        if fmt == "1.0"
        else proxy_event_v2(match(api), request, authorizer=None)
    )
    assert event["isBase64Encoded"] is encoded
    assert event["body"] == (base64.b64encode(payload).decode() if encoded else payload.decode())


def test_binary_body_survives_base64() -> None:
    api = make_api(ApiKind.HTTP, (route("/up", "POST", fmt="2.0"),))
    request = make_request("POST", "/up", headers=(("content-type", "image/png"),), body=BODY, api=api)
    event = proxy_event_v2(match(api), request, authorizer=None)
    assert base64.b64decode(event["body"]) == BODY


# --- properties ----------------------------------------------------------------------------------

_names = st.sampled_from(["accept", "x-a", "x-b", "x-c", "cookie", "host"])
_values = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=",;"), min_size=1, max_size=8
)
_headers = st.lists(st.tuples(_names, _values), max_size=8)


@given(headers=_headers)
def test_v1_headers_keep_every_value_and_the_last_wins(headers: list[tuple[str, str]]) -> None:
    api = make_api(ApiKind.REST, (route("/", "GET", resource_id="r"),))
    event = proxy_event_v1(match(api), make_request(headers=tuple(headers), api=api), authorizer=None)
    if not headers:
        assert event["headers"] is None and event["multiValueHeaders"] is None
        return
    for name in {n for n, _ in headers}:
        values = [v for n, v in headers if n == name]
        shown = canonical_header_name(name)
        assert event["multiValueHeaders"][shown] == values
        assert event["headers"][shown] == values[-1]


@given(headers=_headers)
def test_v2_headers_join_repeats_and_move_cookies_out(headers: list[tuple[str, str]]) -> None:
    api = make_api(ApiKind.HTTP, (route("$default", "ANY", fmt="2.0"),))
    event = proxy_event_v2(match(api), make_request(headers=tuple(headers), api=api), authorizer=None)
    assert "cookie" not in event["headers"]
    for name in {n for n, _ in headers if n != "cookie"}:
        assert event["headers"][name] == ",".join(v for n, v in headers if n == name)
    cookies = [v for n, v in headers if n == "cookie"]
    assert event.get("cookies", []) == cookies


_query_pairs = st.lists(st.tuples(st.sampled_from(["a", "b", "c d", "é"]), st.text(max_size=5)), max_size=6)


@given(pairs=_query_pairs)
def test_query_parameters_are_decoded_and_grouped(pairs: list[tuple[str, str]]) -> None:
    raw = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    rest = make_api(ApiKind.REST, (route("/", "GET", resource_id="r"),))
    http = make_api(ApiKind.HTTP, (route("$default", "ANY", fmt="2.0"),))
    v1 = proxy_event_v1(match(rest), make_request(query=raw, api=rest), authorizer=None)
    v2 = proxy_event_v2(match(http), make_request(query=raw, api=http), authorizer=None)
    assert v2["rawQueryString"] == raw
    if not pairs:
        assert v1["queryStringParameters"] is None and v1["multiValueQueryStringParameters"] is None
        assert "queryStringParameters" not in v2
        return
    for name in {k for k, _ in pairs}:
        values = [v for k, v in pairs if k == name]
        assert v1["multiValueQueryStringParameters"][name] == values
        assert v1["queryStringParameters"][name] == values[-1]
        assert v2["queryStringParameters"][name] == ",".join(values)


@given(body=st.binary(min_size=1, max_size=256))
def test_any_binary_body_round_trips_through_the_event(body: bytes) -> None:
    api = make_api(
        ApiKind.REST, (route("/", "POST", resource_id="r"),), binary_media_types=("application/octet-stream",)
    )
    request = make_request("POST", headers=(("content-type", "application/octet-stream"),), body=body, api=api)
    event = proxy_event_v1(match(api), request, authorizer=None)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_canonical_header_names() -> None:
    assert canonical_header_name("content-type") == "Content-Type"
    assert canonical_header_name("x-api-key") == "X-Api-Key"
    assert canonical_header_name("x-amzn-trace-id") == "X-Amzn-Trace-Id"
    assert canonical_header_name("accept") == "Accept"
    assert canonical_header_name("-odd--name-") == "-Odd--Name-"
