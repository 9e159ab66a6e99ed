"""Pages of API Gateway's (v1) Get* lists: `limit` (25 by default, at most 500) and `position`.

A position is the kit's opaque token (`overcast.kit.pages`), bound to the operation, the caller's
account and region and whatever selects the list (the API, a usage plan, a name filter): one read
back in another list is refused with BadRequestException.
https://docs.aws.amazon.com/apigateway/latest/api/API_GetRestApis.html
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.kit.pages import Keyset, Lists, PageLimits, page_of

T = TypeVar("T")

# "The default value is 25 and the maximum value is 500."
PAGES = PageLimits(default=25, most=500)
BY_CREATION = Keyset.of(("created", float), ("id", str))  # the order API Gateway lists what it keeps in rows


def invalid_position(position: str) -> BadRequest:
    # AWS documents no wording for a position it cannot use; this is its usual "Invalid ... specified".
    return BadRequest(f"Invalid position specified: {position}")


LISTS = Lists("apigateway", PAGES, invalid_position)


def page_in_memory(
    ctx: RequestContext,
    items: Sequence[T],
    key: Callable[[T], str],
    limit: int | None,
    position: str | None,
    *scope: object,
) -> tuple[list[T], str | None]:
    """A page of a list held in an API's Definition (resources, authorizers...), in the order of `key`."""
    return page_of(sorted(items, key=key), LISTS.start(ctx, (str,), limit, position, *scope), lambda item: [key(item)])
