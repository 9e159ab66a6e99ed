"""Scalar wire forms shared by every response serializer: timestamps, blobs, floats, XML-safe text.

Handlers give timestamps as datetimes (naive ones are read as UTC), int/float epoch seconds or ISO
8601 strings, and blobs as bytes (a str is taken as its UTF-8 bytes). Each protocol then picks one
of the forms below, following the shape's `timestampFormat` when the model sets one.
https://smithy.io/2.0/spec/protocol-traits.html#timestampformat-trait
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def as_datetime(value: Any) -> datetime:
    """`value` (datetime, epoch seconds, or ISO 8601 text) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return as_datetime(float(value))
        except ValueError:
            return as_datetime(datetime.fromisoformat(value))
    raise TypeError(f"not a timestamp: {value!r}")


def epoch_seconds(value: Any) -> float:
    """Seconds since the epoch, to the millisecond (the precision AWS timestamps carry)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 3)
    return round(as_datetime(value).timestamp(), 3)


def iso8601(value: Any) -> str:
    """`2026-01-01T00:00:00Z`, or `2026-01-01T00:00:00.123Z` when there are milliseconds."""
    dt = as_datetime(value)
    text = f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
    millis = dt.microsecond // 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def http_date(value: Any) -> str:
    """RFC 7231 IMF-fixdate (`Thu, 01 Jan 2026 00:00:00 GMT`): whole seconds, as HTTP headers carry."""
    dt = as_datetime(value)
    return (
        f"{_DAYS[dt.weekday()]}, {dt.day:02d} {_MONTHS[dt.month - 1]} {dt.year:04d} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} GMT"
    )


def timestamp_formatter(fmt: str) -> Callable[[Any], Any]:
    """The formatter for a model `timestampFormat` value (`unixTimestamp`, `iso8601`, `rfc822`)."""
    if fmt == "unixTimestamp":
        return epoch_seconds
    if fmt == "rfc822":
        return http_date
    return iso8601


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    # A file-like streaming body.
    read = getattr(value, "read", None)
    if read is not None:
        return as_bytes(read())
    raise TypeError(f"not a blob: {value!r}")


def base64_text(value: Any) -> str:
    return base64.b64encode(as_bytes(value)).decode("ascii")


def float_text(value: Any) -> str:
    """A float as text, with the non-finite spellings Smithy protocols use."""
    number = float(value)
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "Infinity" if number > 0 else "-Infinity"
    return repr(number)


def boolean_text(value: Any) -> str:
    return "true" if value else "false"


# XML 1.0 can carry tab, LF, CR and everything from U+0020 except surrogates, U+FFFE and U+FFFF
# (https://www.w3.org/TR/xml/#charsets). Anything else is replaced, so the document stays parseable.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})


def xml_text(value: str) -> str:
    """`value` escaped for XML character data; CR is kept as a reference so parsers do not fold it."""
    if _XML_SPECIAL.search(value) is None:
        return value
    if _XML_INVALID.search(value):
        value = _XML_INVALID.sub("\ufffd", value)
    return value.translate(_XML_ESCAPES)
