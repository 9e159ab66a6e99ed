"""Binary payloads: which request and response bodies API Gateway treats as binary, and how they cross as base64."""

from __future__ import annotations

import base64
import binascii

# HTTP APIs infer the encoding from the request's content type: only these are passed to the function as
# text; everything else (a missing content type and application/x-www-form-urlencoded included) arrives
# base64-encoded with isBase64Encoded true. The docs say only "if the content type of the request is
# binary, the body is base64-encoded"; the split was observed against real HTTP APIs.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
# https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-request-payload
_HTTP_API_TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})


def media_type(value: str | None) -> str:
    """The bare media type of a Content-Type (or one Accept entry): parameters dropped, lowercased."""
    if not value:
        return ""
    return value.split(";", 1)[0].strip().lower()


def first_accept(accept: str | None) -> str:
    """The first media type of an Accept header: the only one REST APIs honor for binary responses.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html
    """
    if not accept:
        return ""
    return media_type(accept.split(",", 1)[0])


def _pattern_matches(pattern: str, value: str) -> bool:
    # binaryMediaTypes may come in their patch-path form, "image~1png"; "*" is a whole type or subtype.
    pattern = pattern.replace("~1", "/").strip().lower()
    if pattern == "*/*":
        return bool(value)
    p_type, _, p_sub = pattern.partition("/")
    v_type, _, v_sub = value.partition("/")
    return (p_type in ("*", v_type)) and (p_sub in ("*", v_sub)) and bool(v_type) and bool(v_sub)


def matches_binary_media_types(value: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """Whether a content type (or an Accept entry) is one of a REST API's binaryMediaTypes, wildcards included.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings.html
    """
    bare = media_type(value)
    return bool(bare) and any(_pattern_matches(p, bare) for p in binary_media_types)


def is_http_api_text(content_type: str | None) -> bool:
    """Whether an HTTP API passes a body of this content type to the function as text (not base64)."""
    bare = media_type(content_type)
    return bare.startswith("text/") or bare in _HTTP_API_TEXT_TYPES


def encode_body(body: bytes, *, binary: bool) -> tuple[str | None, bool]:
    """The event's (body, isBase64Encoded) for a request body: None when there is no body."""
    if not body:
        return None, False
    if binary:
        return base64.b64encode(body).decode("ascii"), True
    return body.decode("utf-8", errors="replace"), False


def decode_base64(text: str) -> bytes | None:
    """A function's base64 body as bytes, or None when it is not valid base64."""
    try:
        return base64.b64decode("".join(text.split()).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
