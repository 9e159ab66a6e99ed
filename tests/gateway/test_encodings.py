"""Content handling, row by row of AWS's two tables of payload conversions.

https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html
"""

from __future__ import annotations

import base64

import pytest

from overcast.gateway.encodings import ConversionFailure, request_payload, response_payload

TEXT, BINARY = b"aGVsbG8=", b"\x89PNG\r\n\x1a\n\x00\xff"  # text that is base64 ("hello"), and PNG bytes
B64 = base64.b64encode(BINARY)
TYPES = ("image/png",)
TO_BINARY, TO_TEXT = "CONVERT_TO_BINARY", "CONVERT_TO_TEXT"


@pytest.mark.parametrize(
    ("payload", "content_type", "types", "handling", "expected"),
    [
        (TEXT, "application/json", (), None, TEXT),  # UTF8-encoded string
        (TEXT, "application/json", (), TO_BINARY, b"hello"),  # base64-decoded binary blob
        (TEXT, "application/json", (), TO_TEXT, TEXT),  # UTF8-encoded string
        (TEXT, "text/plain", TYPES, None, TEXT),  # text data
        (TEXT, "text/plain", TYPES, TO_BINARY, b"hello"),  # base64-decoded binary blob
        (TEXT, "text/plain", TYPES, TO_TEXT, TEXT),  # text data
        (BINARY, "image/png", TYPES, None, BINARY),  # binary data
        (BINARY, "image/png", TYPES, TO_BINARY, BINARY),  # binary data
        (BINARY, "image/png", TYPES, TO_TEXT, B64),  # base64-encoded string
    ],
)
def test_the_integration_request_payload(
    payload: bytes, content_type: str, types: tuple[str, ...], handling: str | None, expected: bytes
) -> None:
    converted = request_payload(payload, content_type=content_type, binary_media_types=types, handling=handling)
    assert converted == expected


@pytest.mark.parametrize(
    ("payload", "content_type", "accept", "types", "handling", "expected"),
    [
        (TEXT, "application/json", "application/json", (), None, TEXT),  # UTF8-encoded string
        (TEXT, "application/json", "application/json", (), TO_BINARY, b"hello"),  # base64-decoded blob
        (TEXT, "application/json", "application/json", (), TO_TEXT, TEXT),  # UTF8-encoded string
        (TEXT, "text/plain", "application/json", TYPES, None, TEXT),  # text data
        (TEXT, "text/plain", "application/json", TYPES, TO_BINARY, b"hello"),  # base64-decoded blob
        (TEXT, "text/plain", "application/json", TYPES, TO_TEXT, TEXT),  # UTF8-encoded string
        (TEXT, "text/plain", "image/png", TYPES, None, b"hello"),  # base64-decoded blob
        (TEXT, "text/plain", "image/png", TYPES, TO_BINARY, b"hello"),  # base64-decoded blob
        (TEXT, "text/plain", "image/png", TYPES, TO_TEXT, TEXT),  # UTF8-encoded string
        (BINARY, "image/png", "application/json", TYPES, None, B64),  # base64-encoded string
        (BINARY, "image/png", "application/json", TYPES, TO_BINARY, BINARY),  # binary data
        (BINARY, "image/png", "application/json", TYPES, TO_TEXT, B64),  # base64-encoded string
        (BINARY, "image/png", "image/png", TYPES, None, BINARY),  # binary data
        (BINARY, "image/png", "image/png", TYPES, TO_BINARY, BINARY),  # binary data
        (BINARY, "image/png", "image/png", TYPES, TO_TEXT, B64),  # base64-encoded string
    ],
)
def test_the_method_response_payload(
    payload: bytes, content_type: str, accept: str, types: tuple[str, ...], handling: str | None, expected: bytes
) -> None:
    converted = response_payload(
        payload, content_type=content_type, accept=accept, binary_media_types=types, handling=handling
    )
    assert converted == expected


def test_only_the_first_accept_type_counts() -> None:
    """ "API Gateway honors only the first Accept media type" (the browser's image/webp,image/*,*/*)."""
    browser = "image/webp,image/*,*/*;q=0.8"
    kept = response_payload(TEXT, content_type="text/plain", accept=browser, binary_media_types=TYPES, handling=None)
    assert kept == TEXT
    made = response_payload(
        TEXT, content_type="text/plain", accept=browser, binary_media_types=("image/webp",), handling=None
    )
    assert made == b"hello"


def test_a_text_payload_that_is_no_base64_fails_the_conversion() -> None:
    with pytest.raises(ConversionFailure):
        request_payload(b"not base64!", content_type="text/plain", binary_media_types=(), handling=TO_BINARY)
    with pytest.raises(ConversionFailure):
        response_payload(b"abcde", content_type=None, accept=None, binary_media_types=(), handling=TO_BINARY)


def test_a_json_string_of_base64_converts_to_its_bytes() -> None:
    """A Lambda function's non-proxy result is JSON: its string's quotes are skipped as not base64."""
    quoted = b'"' + B64 + b'"'
    assert response_payload(quoted, content_type=None, accept=None, binary_media_types=(), handling=TO_BINARY) == BINARY
