"""Content handling: how a REST API's non-proxy integration converts payloads between text and binary.

An integration's `contentHandling` converts the method request's payload into the integration request's, and an
integration response's converts the backend's answer into the method response's, by whether each payload is
binary (its Content-Type is one of the API's `binaryMediaTypes`) and, for a response without a contentHandling,
by whether the client's first Accept type is. AWS's two tables, in
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html:

- CONVERT_TO_TEXT base64-encodes a binary payload and leaves text as it is;
- CONVERT_TO_BINARY base64-decodes a text payload and leaves binary as it is;
- unset: a request passes through; a response passes through unless the API has binaryMediaTypes and the
  payload and the client's first Accept type differ (binary to a text Accept is base64-encoded, text to a
  binary Accept base64-decoded).

The conversion comes before the mapping template, which sees the converted payload ("can only access the
base64-encoded string in the mapping template through $input.body"); a text payload that does not decode is
a 500 configuration error.
"""

from __future__ import annotations

import base64
import binascii

from overcast.gateway.binary import first_accept, matches_binary_media_types

CONVERT_TO_BINARY = "CONVERT_TO_BINARY"
CONVERT_TO_TEXT = "CONVERT_TO_TEXT"


class ConversionFailure(Exception):
    """A text payload that CONVERT_TO_BINARY (or a binary Accept) cannot base64-decode: AWS's 500."""


def _decoded(payload: bytes, which: str) -> bytes:
    # Characters outside the base64 alphabet (line breaks, the quotes of a function's JSON string result) are
    # skipped; a payload that is still no base64 (bad length or padding) fails the conversion.
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ConversionFailure(f"Unable to transform {which} body to binary: {exc}") from None


def _converted(payload: bytes, binary: bool, handling: str, which: str) -> bytes:
    if handling == CONVERT_TO_TEXT:
        return base64.b64encode(payload) if binary else payload
    return payload if binary else _decoded(payload, which)  # CONVERT_TO_BINARY


def request_payload(
    payload: bytes, *, content_type: str | None, binary_media_types: tuple[str, ...], handling: str | None
) -> bytes:
    """The integration request's payload for a method request's, by the integration's contentHandling."""
    if not handling or not payload:
        return payload
    return _converted(payload, matches_binary_media_types(content_type, binary_media_types), handling, "request")


def response_payload(
    payload: bytes,
    *,
    content_type: str | None,
    accept: str | None,
    binary_media_types: tuple[str, ...],
    handling: str | None,
) -> bytes:
    """The method response's payload for a backend's answer (`content_type`, its Content-Type), by the
    integration response's contentHandling and the client's first Accept type."""
    if not payload or (not handling and not binary_media_types):
        return payload
    binary = matches_binary_media_types(content_type, binary_media_types)
    if handling:
        return _converted(payload, binary, handling, "response")
    wants_binary = matches_binary_media_types(first_accept(accept), binary_media_types)
    if binary == wants_binary:
        return payload
    return base64.b64encode(payload) if binary else _decoded(payload, "response")
