"""Proxy response mapping: REST (1.0), HTTP APIs with 1.0 and 2.0, malformed responses and function errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from overcast.apis.deployed import ApiKind, DeployedApi, Integration, Route
from overcast.gateway.events import proxy_event_v1, proxy_event_v2
from overcast.gateway.request import GatewayRequest, RouteMatch
from overcast.gateway.responses import (
    GatewayResult,
    function_error_result,
    map_response_http_v1,
    map_response_v1,
    map_response_v2,
)

REST_ERROR = GatewayResult(
    502,
    [("Content-Type", "application/json"), ("x-amzn-ErrorType", "InternalServerErrorException")],
    b'{"message": "Internal server error"}',
)
HTTP_ERROR = GatewayResult(500, [("Content-Type", "application/json")], b'{"message":"Internal Server Error"}')


def payload(value: Any) -> bytes:
    return json.dumps(value).encode()


def rest(value: Any, *, binary: tuple[str, ...] = (), accept: str | None = None) -> GatewayResult:
    raw = value if isinstance(value, bytes) else payload(value)
    return map_response_v1(raw, binary_media_types=binary, accept=accept)


# --- function errors -----------------------------------------------------------------------------


def test_function_error_results() -> None:
    assert function_error_result(ApiKind.REST) == REST_ERROR
    assert function_error_result(ApiKind.HTTP) == HTTP_ERROR
    # each call is a fresh list: a caller adding headers changes no one else's
    function_error_result(ApiKind.REST).headers.append(("x", "y"))
    assert function_error_result(ApiKind.REST) == REST_ERROR


# --- REST (payload 1.0) ----------------------------------------------------------------------------


def test_rest_full_response() -> None:
    result = rest(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "text/plain", "X-One": "1"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": "created",
            "isBase64Encoded": False,
        }
    )
    assert result.status == 201
    assert result.headers == [
        ("Content-Type", "text/plain"),
        ("X-One", "1"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]
    assert result.body == b"created"


@pytest.mark.parametrize(
    ("response", "headers"),
    [
        # a name in both maps keeps only multiValueHeaders' values, whatever the case
        ({"headers": {"X-A": "single"}, "multiValueHeaders": {"x-a": ["m1", "m2"]}}, [("x-a", "m1"), ("x-a", "m2")]),
        ({"headers": {"X-A": "1"}, "multiValueHeaders": {"X-B": ["2"]}}, [("X-A", "1"), ("X-B", "2")]),
        ({"headers": {"X-N": 5, "X-T": True}}, [("X-N", "5"), ("X-T", "true")]),
        ({"headers": None, "multiValueHeaders": None}, []),
        ({"headers": {"X-Null": None}}, []),
    ],
)
def test_rest_header_merging(response: dict[str, Any], headers: list[tuple[str, str]]) -> None:
    result = rest({"statusCode": 200, "body": "", **response})
    assert result.headers == [*headers, ("Content-Type", "application/json")]


def test_rest_defaults() -> None:
    result = rest({"statusCode": 204})
    assert (result.status, result.body) == (204, b"")
    assert result.header("content-type") == "application/json"
    assert rest({"statusCode": "404", "body": "nope"}).status == 404


@pytest.mark.parametrize(
    "response",
    [
        b"not json",
        b"",
        "just a string",
        ["a", "list"],
        42,
        None,
        {"body": "no status"},
        {"statusCode": "abc"},
        {"statusCode": True},
        {"statusCode": 42},
        {"statusCode": 700},
        {"statusCode": 200, "body": {"an": "object"}},
        {"statusCode": 200, "headers": ["x"]},
        {"statusCode": 200, "headers": {"X": {"nested": 1}}},
        {"statusCode": 200, "multiValueHeaders": {"X": "not a list"}},
        {"statusCode": 200, "isBase64Encoded": "maybe"},
        {"statusCode": 200, "body": "x", "extra": "field"},
        {"statusCode": 200, "cookies": ["a=1"]},
    ],
)
def test_rest_malformed_response_is_502(response: Any) -> None:
    assert rest(response) == REST_ERROR


@pytest.mark.parametrize(
    ("binary", "accept", "decoded"),
    [
        (("image/png",), "image/png", True),
        (("image/*",), "image/png", True),
        (("*/*",), "text/html", True),
        (("image/*",), "image/webp,image/*,*/*;q=0.8", True),
        (("image/png",), "text/html,image/png", False),  # only the first Accept entry counts
        (("image/png",), "*/*", False),
        (("image/png",), None, False),
        ((), "image/png", False),
    ],
)
def test_rest_binary_response_follows_the_accept_header(
    binary: tuple[str, ...], accept: str | None, decoded: bool
) -> None:
    data = b"\x89PNG\x00\xff"
    text = base64.b64encode(data).decode()
    response = {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "body": text, "isBase64Encoded": True}
    result = rest(response, binary=binary, accept=accept)
    assert result.status == 200
    assert result.body == (data if decoded else text.encode())


def test_rest_text_body_is_never_decoded() -> None:
    result = rest({"statusCode": 200, "body": "aGVsbG8="}, binary=("*/*",), accept="image/png")
    assert result.body == b"aGVsbG8="


def test_rest_invalid_base64_for_a_binary_client_is_500() -> None:
    result = rest({"statusCode": 200, "body": "%%%", "isBase64Encoded": True}, binary=("*/*",), accept="image/png")
    assert result.status == 500
    assert json.loads(result.body) == {"message": "Internal server error"}


# --- HTTP APIs, payload 1.0 ------------------------------------------------------------------------


def test_http_v1_response() -> None:
    result = map_response_http_v1(
        payload(
            {
                "statusCode": 200,
                "headers": {"X-A": "1"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": base64.b64encode(b"\x00\x01").decode(),
                "isBase64Encoded": True,
                "somethingElse": 1,
            }
        )
    )
    assert result.status == 200
    assert result.body == b"\x00\x01"  # no binaryMediaTypes on HTTP APIs: always decoded
    assert ("Set-Cookie", "a=1") in result.headers and ("Set-Cookie", "b=2") in result.headers
    assert result.header("content-type") == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    "response",
    [b"nope", "a string", {"body": "no status"}, {"statusCode": 200, "body": "%%", "isBase64Encoded": True}],
)
def test_http_v1_malformed_response_is_500(response: Any) -> None:
    raw = response if isinstance(response, bytes) else payload(response)
    assert map_response_http_v1(raw) == HTTP_ERROR


# --- HTTP APIs, payload 2.0 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["Hello from Lambda!", {"message": "Hello from Lambda!"}, {"statuscode": 404}, 42, 1.5, [1, 2], True, None],
)
def test_v2_infers_a_plain_value_as_the_body(value: Any) -> None:
    raw = payload(value)
    result = map_response_v2(raw)
    assert result == GatewayResult(200, [("Content-Type", "application/json")], raw)


def test_v2_full_response_with_cookies() -> None:
    result = map_response_v2(
        payload(
            {
                "statusCode": 201,
                "headers": {"Content-Type": "application/json", "My-Custom-Header": "Custom Value"},
                "body": '{"message": "Hello, world!"}',
                "cookies": ["Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT", "Cookie_2=Value2; Max-Age=78000"],
                "isBase64Encoded": False,
            }
        )
    )
    assert result.status == 201
    assert result.headers == [
        ("Content-Type", "application/json"),
        ("My-Custom-Header", "Custom Value"),
        ("Set-Cookie", "Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT"),
        ("Set-Cookie", "Cookie_2=Value2; Max-Age=78000"),
    ]
    assert result.body == b'{"message": "Hello, world!"}'


def test_v2_full_response_defaults() -> None:
    result = map_response_v2(payload({"statusCode": 302, "headers": {"Location": "/x"}}))
    assert result.status == 302
    assert result.body == b""
    assert result.headers == [("Location", "/x"), ("Content-Type", "text/plain; charset=utf-8")]
    # payload 2.0 has no multiValueHeaders: ignored
    assert map_response_v2(payload({"statusCode": 200, "multiValueHeaders": {"X": ["1"]}})).header("x") is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{not json",
        payload({"statusCode": "abc"}),
        payload({"statusCode": 99}),
        payload({"statusCode": 200, "body": {"an": "object"}}),
        payload({"statusCode": 200, "cookies": "a=1"}),
        payload({"statusCode": 200, "cookies": [{"a": 1}]}),
        payload({"statusCode": 200, "headers": "x"}),
        payload({"statusCode": 200, "body": "!!", "isBase64Encoded": True}),
    ],
)
def test_v2_malformed_response_is_500(raw: bytes) -> None:
    assert map_response_v2(raw) == HTTP_ERROR


# --- binary round trip: client bytes -> event (base64) -> handler echoes them -> client bytes ----------


def _route(fmt: str) -> Route:
    return Route(
        id="r",
        method="POST",
        path="/echo",
        integration=Integration("AWS_PROXY", "fn", payload_format_version=fmt),
        resource_id="res",
    )


def _api(kind: ApiKind, fmt: str, binary: tuple[str, ...] = ()) -> DeployedApi:
    stage = "prod" if kind is ApiKind.REST else "$default"
    return DeployedApi(
        "123456789012", "us-east-1", "api1", kind, stage, "d1", (_route(fmt),), binary_media_types=binary
    )


def _request(body: bytes, content_type: str) -> GatewayRequest:
    headers = (("content-type", content_type), ("accept", content_type))
    return GatewayRequest("POST", "/echo", "", headers, body, "10.0.0.1", "api1.execute-api.localhost", "rid", 0)


def echo_handler(event: dict[str, Any]) -> bytes:
    """A function that answers the request body back, as binary-aware handlers do."""
    return payload(
        {
            "statusCode": 200,
            "headers": {"Content-Type": "application/octet-stream"},
            "body": event["body"],
            "isBase64Encoded": event["isBase64Encoded"],
        }
    )


@given(body=st.binary(min_size=1, max_size=512))
def test_binary_round_trip(body: bytes) -> None:
    content_type = "application/octet-stream"
    rest_api = _api(ApiKind.REST, "1.0", binary=("application/*",))
    event = proxy_event_v1(RouteMatch(rest_api, rest_api.routes[0]), _request(body, content_type), authorizer=None)
    assert event["isBase64Encoded"] is True
    result = map_response_v1(echo_handler(event), binary_media_types=rest_api.binary_media_types, accept=content_type)
    assert (result.status, result.body) == (200, body)

    http_v1 = _api(ApiKind.HTTP, "1.0")
    event = proxy_event_v1(RouteMatch(http_v1, http_v1.routes[0]), _request(body, content_type), authorizer=None)
    assert map_response_http_v1(echo_handler(event)).body == body

    http_v2 = _api(ApiKind.HTTP, "2.0")
    event = proxy_event_v2(RouteMatch(http_v2, http_v2.routes[0]), _request(body, content_type), authorizer=None)
    assert map_response_v2(echo_handler(event)).body == body


@given(text=st.text(min_size=1, max_size=64))
def test_text_round_trip(text: str) -> None:
    http_v2 = _api(ApiKind.HTTP, "2.0")
    event = proxy_event_v2(
        RouteMatch(http_v2, http_v2.routes[0]), _request(text.encode(), "text/plain"), authorizer=None
    )
    assert event["isBase64Encoded"] is False
    assert map_response_v2(echo_handler(event)).body == text.encode()


@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
        max_leaves=8,
    )
)
def test_v2_any_json_without_status_code_is_the_body(value: Any) -> None:
    if isinstance(value, dict) and "statusCode" in value:
        return
    raw = payload(value)
    assert map_response_v2(raw) == GatewayResult(200, [("Content-Type", "application/json")], raw)
