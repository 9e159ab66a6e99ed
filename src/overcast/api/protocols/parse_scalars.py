"""Scalar values as they arrive in text on the wire (query strings, headers, URI labels, form fields).

Each function turns one text value into the Python value a boto3 call takes, or raises
ValueError; the caller turns that into the protocol's AWS error. Timestamps come back as
timezone-aware UTC datetimes, blobs as bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.model import Shape

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SPECIAL_FLOATS = {"Infinity": float("inf"), "-Infinity": float("-inf"), "NaN": float("nan")}


def parse_boolean(text: str) -> bool:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ValueError(f"{text!r} is not a boolean")


def parse_integer(text: str) -> int:
    return int(text, 10)


def parse_float(text: str) -> float:
    special = _SPECIAL_FLOATS.get(text)
    return special if special is not None else float(text)


def parse_blob(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"{text!r} is not valid base64") from exc


def epoch_to_datetime(seconds: float | Decimal) -> datetime:
    """Epoch seconds to an aware UTC datetime, rounded to the microsecond."""
    try:
        if isinstance(seconds, Decimal):
            return _EPOCH + timedelta(microseconds=int((seconds * 1_000_000).to_integral_value()))
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, InvalidOperation) as exc:
        raise ValueError(f"{seconds} seconds is out of range") from exc


def parse_iso8601(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_rfc822(text: str) -> datetime:
    value = parsedate_to_datetime(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_epoch_text(text: str) -> datetime:
    try:
        return epoch_to_datetime(Decimal(text))
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a number of seconds") from exc


def parse_timestamp_text(text: str, timestamp_format: str) -> datetime:
    """A timestamp in its declared format; the other formats are accepted too (clients vary)."""
    fmt = timestamp_format.lower()
    first = {"iso8601": parse_iso8601, "rfc822": parse_rfc822, "unixtimestamp": parse_epoch_text}[fmt]
    try:
        return first(text)
    except (ValueError, TypeError, IndexError):
        pass
    for other in (parse_epoch_text, parse_iso8601, parse_rfc822):
        if other is not first:
            try:
                return other(text)
            except (ValueError, TypeError, IndexError):
                continue
    raise ValueError(f"{text!r} is not a timestamp")


def split_header_list(text: str) -> list[str]:
    """A comma-separated header list; items in double quotes may hold commas and escaped quotes.

    https://www.rfc-editor.org/rfc/rfc9110.html#name-lists-rule-abnf-extension
    """
    items: list[str] = []
    i, n = 0, len(text)
    while i <= n:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            i += 1
            chunk: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                chunk.append(text[i])
                i += 1
            items.append("".join(chunk))
            i += 1
            while i < n and text[i] != ",":
                i += 1
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            items.append(text[i:end].strip())
            i = end
        i += 1
    return items


TextParser = Callable[[str], Any]


def text_parser(shape: Shape, default_timestamp_format: str) -> TextParser:
    """How to read `shape`'s scalar value from text, or raise ValueError."""
    kind = shape.type_name
    if kind == "string":
        if shape.serialization.get("jsonvalue") and shape.serialization.get("location") == "header":
            return lambda text: json.loads(base64.b64decode(text))
        return str
    if kind == "boolean":
        return parse_boolean
    if kind in ("integer", "long"):
        return parse_integer
    if kind in ("float", "double"):
        return parse_float
    if kind == "blob":
        return parse_blob
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", default_timestamp_format)
        return lambda text: parse_timestamp_text(text, fmt)
    raise ValueError(f"a {kind} cannot be read from text")
