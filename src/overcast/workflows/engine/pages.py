"""Pagination tokens: opaque text carrying the offset of the next page, checked when read back."""

from __future__ import annotations

import base64
import json

from overcast.workflows.engine.errors import InvalidToken

DEFAULT_PAGE, MAX_PAGE = 100, 1000


def page_size(max_results: int | None) -> int:
    """maxResults as AWS reads it: 0 or absent means the default (100), at most 1000."""
    return DEFAULT_PAGE if not max_results else min(int(max_results), MAX_PAGE)


def encode(offset: int, scope: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([scope, offset]).encode()).decode()


def decode(token: str | None, scope: str) -> int:
    if not token:
        return 0
    try:
        found_scope, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise InvalidToken(f"Invalid Token: '{token}'") from None
    if found_scope != scope or not isinstance(offset, int) or offset < 0:
        raise InvalidToken(f"Invalid Token: '{token}'")
    return offset
