"""Pages of Lambda list results: opaque Marker tokens over a sort key, and MaxItems bounds."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from overcast.functions.errors import InvalidParameterValue

# The List* operations of Lambda return at most 50 items per page whatever MaxItems asks
# (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html#API_ListFunctions_RequestSyntax).
PAGE_MAX = 50


def page_size(max_items: int | None, cap: int = PAGE_MAX) -> int:
    if max_items is None:
        return cap
    if max_items < 1:
        raise InvalidParameterValue(f"MaxItems must be at least 1, got {max_items}.")
    return min(max_items, cap)


def encode_marker(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_marker(marker: str | None, arity: int) -> list[Any] | None:
    if not marker:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(marker.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameterValue("Invalid pagination marker.") from exc
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidParameterValue("Invalid pagination marker.")
    return key
