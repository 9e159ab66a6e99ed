"""Proxy responses: how API Gateway turns what a Lambda proxy integration returned into the HTTP response.

Three mappings: REST APIs (format 1.0, strict, binary only when the client's Accept names one of the
API's binaryMediaTypes), HTTP APIs with payload 1.0 (same shape, isBase64Encoded always honoured) and
HTTP APIs with payload 2.0 (cookies, and a plain JSON value inferred as the body). A response that does
not fit gives AWS's integration error: 502 on REST APIs, 500 on HTTP APIs.

https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.response
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from overcast.apis.deployed import ApiKind
from overcast.gateway.binary import decode_base64, first_accept, matches_binary_media_types


@dataclass(frozen=True, slots=True)
class GatewayResult:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


class MalformedResponse(ValueError):
    """The function's output is not a valid proxy response (AWS logs "Malformed Lambda proxy response")."""


# REST: a Lambda error or a malformed proxy response is a 502 with the default gateway response body.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
# https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
_REST_ERROR = GatewayResult(
    502,
    [("Content-Type", "application/json"), ("x-amzn-ErrorType", "InternalServerErrorException")],
    b'{"message": "Internal server error"}',
)
# HTTP APIs: 500 with their own body, no x-amzn-ErrorType.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html
_HTTP_ERROR = GatewayResult(500, [("Content-Type", "application/json")], b'{"message":"Internal Server Error"}')


def function_error_result(kind: ApiKind) -> GatewayResult:
    """The response for a function that failed (FunctionError "Unhandled") or answered a malformed response."""
    error = _REST_ERROR if kind is ApiKind.REST else _HTTP_ERROR
    return GatewayResult(error.status, list(error.headers), error.body)


_V1_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
# Without a Content-Type from the function, REST APIs answer application/json; HTTP APIs text/plain.
_REST_DEFAULT_CONTENT_TYPE = "application/json"
_HTTP_DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8"


def _status(value: Any) -> int:
    # A number, or its decimal text: AWS's own Lambda blueprint for API Gateway answers statusCode "200".
    if isinstance(value, bool):
        raise MalformedResponse("statusCode is not a number")
    if isinstance(value, int):
        status = value
    elif isinstance(value, str) and value.strip().isdigit():
        status = int(value)
    else:
        raise MalformedResponse("statusCode is not a number")
    if not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status} is not an HTTP status")
    return status


def _scalar(value: Any, what: str) -> str:
    # Header values are strings; numbers and booleans are bound to their JSON text.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    raise MalformedResponse(f"{what} is not a string")


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise MalformedResponse("isBase64Encoded is not a boolean")


def _headers(response: dict[str, Any], *, multi: bool) -> list[tuple[str, str]]:
    single = response.get("headers")
    if single is None:
        single = {}
    if not isinstance(single, dict):
        raise MalformedResponse("headers is not an object")
    many: dict[str, Any] = {}
    if multi:
        many = response.get("multiValueHeaders") or {}
        if not isinstance(many, dict):
            raise MalformedResponse("multiValueHeaders is not an object")
    # headers and multiValueHeaders merge; for a name in both, only multiValueHeaders' values are kept.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format
    in_multi = {name.lower() for name in many}
    merged: list[tuple[str, str]] = []
    for name, value in single.items():
        if name.lower() not in in_multi and value is not None:
            merged.append((name, _scalar(value, f"header {name}")))
    for name, values in many.items():
        if values is None:
            continue
        if not isinstance(values, list):
            raise MalformedResponse(f"multiValueHeaders.{name} is not a list")
        merged.extend((name, _scalar(v, f"header {name}")) for v in values if v is not None)
    return merged


def _body_text(response: dict[str, Any]) -> str:
    body = response.get("body")
    if body is None:
        return ""
    if not isinstance(body, str):
        raise MalformedResponse("body is not a string")
    return body


def _with_content_type(headers: list[tuple[str, str]], default: str) -> list[tuple[str, str]]:
    if any(name.lower() == "content-type" for name, _ in headers):
        return headers
    return [*headers, ("Content-Type", default)]


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as e:
        raise MalformedResponse("the response is not JSON") from e


def _v1_response(payload: bytes, *, strict_keys: bool) -> tuple[int, list[tuple[str, str]], str, bool]:
    response = _json(payload)
    if not isinstance(response, dict):
        raise MalformedResponse("the response is not a JSON object")
    if strict_keys and (unknown := set(response) - _V1_KEYS):
        # REST APIs refuse fields outside the documented proxy response format ("Malformed Lambda proxy response").
        # https://aws.amazon.com/premiumsupport/knowledge-center/malformed-502-api-gateway/
        raise MalformedResponse(f"unexpected fields {sorted(unknown)}")
    if "statusCode" not in response:
        raise MalformedResponse("statusCode is missing")
    return (
        _status(response["statusCode"]),
        _headers(response, multi=True),
        _body_text(response),
        _flag(response.get("isBase64Encoded")),
    )


def map_response_v1(payload: bytes, *, binary_media_types: tuple[str, ...], accept: str | None) -> GatewayResult:
    """A REST API's response for a Lambda proxy integration's output (payload format 1.0).

    A base64 body (isBase64Encoded true) is decoded only when the first media type of the client's
    Accept header is one of the API's binaryMediaTypes; otherwise the client gets the base64 text.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/lambda-proxy-binary-media.html
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html
    """
    try:
        status, headers, text, is_base64 = _v1_response(payload, strict_keys=True)
    except MalformedResponse:
        return function_error_result(ApiKind.REST)
    body = text.encode("utf-8")
    if is_base64 and matches_binary_media_types(first_accept(accept), binary_media_types):
        decoded = decode_base64(text)
        if decoded is None:
            # A failed base64-to-binary conversion is a 500 configuration error.
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html
            return GatewayResult(
                500,
                [("Content-Type", "application/json"), ("x-amzn-ErrorType", "InternalServerErrorException")],
                b'{"message": "Internal server error"}',
            )
        body = decoded
    return GatewayResult(status, _with_content_type(headers, _REST_DEFAULT_CONTENT_TYPE), body)


def map_response_http_v1(payload: bytes) -> GatewayResult:
    """An HTTP API's response for an integration with payload format 1.0.

    Same fields as REST's (statusCode required, headers merged with multiValueHeaders), but HTTP APIs
    have no binaryMediaTypes: isBase64Encoded true always means "decode the body".
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.v1
    """
    try:
        status, headers, text, is_base64 = _v1_response(payload, strict_keys=False)
        body = _decoded(text) if is_base64 else text.encode("utf-8")
    except MalformedResponse:
        return function_error_result(ApiKind.HTTP)
    return GatewayResult(status, _with_content_type(headers, _HTTP_DEFAULT_CONTENT_TYPE), body)


def _decoded(text: str) -> bytes:
    decoded = decode_base64(text)
    if decoded is None:
        raise MalformedResponse("body is not valid base64")
    return decoded


def map_response_v2(payload: bytes) -> GatewayResult:
    """An HTTP API's response for an integration with payload format 2.0.

    A JSON object with statusCode is a full response (statusCode, headers, cookies, body,
    isBase64Encoded; each cookie becomes a set-cookie header). Any other valid JSON is the body itself,
    with status 200 and content-type application/json.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.v2
    """
    try:
        response = _json(payload)
        if not (isinstance(response, dict) and "statusCode" in response):
            return GatewayResult(200, [("Content-Type", "application/json")], payload)
        status = _status(response["statusCode"])
        headers = _headers(response, multi=False)
        cookies = response.get("cookies") or []
        if not isinstance(cookies, list):
            raise MalformedResponse("cookies is not a list")
        headers.extend(("Set-Cookie", _scalar(c, "cookie")) for c in cookies)
        text = _body_text(response)
        body = _decoded(text) if _flag(response.get("isBase64Encoded")) else text.encode("utf-8")
    except MalformedResponse:
        return function_error_result(ApiKind.HTTP)
    return GatewayResult(status, _with_content_type(headers, _HTTP_DEFAULT_CONTENT_TYPE), body)
