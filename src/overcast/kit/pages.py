"""Pagination for every List/Describe operation: page sizes with AWS's limits, opaque tokens, keyset pages.

A list operation reads one page at a time. The caller gives a page size (MaxItems, maxResults,
limit...) and the token of the previous page; the answer carries the token of the next page,
or none on the last page. Here, once for every service:

- `PageLimits` says how an operation reads its size: its default, the most it serves in one page,
  and what it does with 0 (Step Functions' default) or a size above the most (Lambda serves 50).
- `Paging.start(...)` checks the size and the token and gives a `Paging`: the size to read, the
  position after which the page starts, and how to make the next page's token. A service names
  its lists once, `Lists(service, limits, invalid)`, and starts each page from the request
  context with `Lists.start(ctx, kinds, size, token, *filters)`.
- A token is opaque text bound to its *scope*: the service, the operation, the caller's account
  and region and anything else that selects the list (a state machine's ARN, a filter). A token
  read back in another scope (another list, another account, another filter) is refused with
  the service's own error, as AWS refuses a token from elsewhere. The position inside it is the
  sort key of the last item served (keyset), so a page costs an index seek however deep it is,
  and items added or removed meanwhile do not shift the pages.
- `Keyset` turns a position into SQL (`WHERE (a, b) > (?, ?)` for any mix of ascending and
  descending columns) and a row back into a position; `fetch_page` runs a query one page long;
  `page_of` pages a list already in memory the same way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.store import Queries, Row

T = TypeVar("T")
Position = list[Any]  # the sort key of the last item of a page: JSON scalars
Kinds = tuple[type, ...]  # the type of each value of a position: str, int or float
InvalidToken = Callable[[str], AwsError]  # the service's error for a token it cannot use, given the token


@dataclass(frozen=True, slots=True)
class PageLimits:
    """How one operation reads its page size. Sizes outside [minimum, the model's maximum] are refused
    by the wire layer from botocore's model; these are the rules the model does not carry."""

    default: int
    most: int  # the most items one page holds, whatever was asked
    zero_is_default: bool = False  # Step Functions: "0 ... uses the default"
    minimum: int = 1
    below_minimum: Callable[[int], AwsError] | None = None  # the error for a size under `minimum`

    def size(self, asked: int | None) -> int:
        if asked is None or (asked == 0 and self.zero_is_default):
            return self.default
        asked = int(asked)
        if asked < self.minimum:
            if self.below_minimum is not None:
                raise self.below_minimum(asked)
            return self.minimum
        return min(asked, self.most)


def scope_of(*parts: object) -> str:
    """A scope from what selects a list: service, operation, account, region, then any filters."""
    return json.dumps([None if p is None else str(p) for p in parts], separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Paging:
    """One page to read: how many items, after which position, and the scope its next token is bound to."""

    size: int
    after: Position | None
    scope: str

    @classmethod
    def start(
        cls, limits: PageLimits, asked: int | None, token: str | None, scope: str, invalid: InvalidToken, kinds: Kinds
    ) -> Paging:
        """The page that `asked` items and `token` name; `kinds` are the types of the list's sort key."""
        after = decode(token, scope, invalid, kinds) if token else None
        return cls(limits.size(asked), after, scope)

    def token(self, position: Position) -> str:
        return encode(self.scope, position)

    def cut(self, items: list[T], key: Callable[[T], Position]) -> tuple[list[T], str | None]:
        """The page from `items` read one longer than the page: the page, and the next token if there is more."""
        if len(items) > self.size:
            items = items[: self.size]
            return items, self.token(key(items[-1]))
        return items, None


@dataclass(frozen=True, slots=True)
class Lists:
    """One service's lists: its name in their tokens, its page sizes and its error for a token it cannot use."""

    service: str  # as in the ARN: "lambda", "states", "apigateway"...
    limits: PageLimits
    invalid: InvalidToken
    per_operation: tuple[tuple[str, PageLimits], ...] = ()  # operations whose sizes differ from `limits`

    def start(
        self,
        ctx: RequestContext,
        kinds: Kinds,
        asked: int | None,
        token: str | None,
        *filters: object,
        operation: str | None = None,
    ) -> Paging:
        """The page `asked` and `token` name in the list the operation (the request's, unless named)
        gives for `filters` in the caller's account and region: a token of any other list is refused."""
        operation = operation or ctx.operation
        limits = next((found for name, found in self.per_operation if name == operation), self.limits)
        scope = scope_of(self.service, operation, ctx.account_id, ctx.region, *filters)
        return Paging.start(limits, asked, token, scope, self.invalid, kinds)


def _digest(scope: str) -> str:
    return hashlib.blake2b(scope.encode(), digest_size=9).hexdigest()


def encode(scope: str, position: Position) -> str:
    text = json.dumps([_digest(scope), position], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(token: str, scope: str, invalid: InvalidToken, kinds: Kinds) -> Position:
    """The position a token carries, or the service's error when it is not a token of this scope.

    The values are checked against the sort key's types too: a token is only base64 and could be
    made by hand, and a position of the wrong type must be refused here, not fail in SQL."""
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
        digest, position = json.loads(text)
    except (binascii.Error, ValueError, TypeError, UnicodeError):
        raise invalid(token) from None
    if digest != _digest(scope) or not isinstance(position, list) or len(position) != len(kinds):
        raise invalid(token)
    if not all(_is(value, kind) for value, kind in zip(position, kinds, strict=True)):
        raise invalid(token)
    return position


def _is(value: Any, kind: type) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) if kind is float else isinstance(value, kind)


@dataclass(frozen=True, slots=True)
class Keyset:
    """An order over columns, each ascending or descending, whose values identify a row.

    The last column should be unique within the list (an id, an ARN) so that no two rows share
    a position.
    """

    columns: tuple[tuple[str, bool], ...]  # (column, descending)
    kinds: Kinds  # each column's type

    @classmethod
    def of(cls, *columns: tuple[str, type]) -> Keyset:
        """Columns by name and type; a leading `-` sorts that column descending:
        `Keyset.of(("-start", float), ("arn", str))`."""
        return cls(tuple((c.lstrip("-"), c.startswith("-")) for c, _ in columns), tuple(k for _, k in columns))

    def order_by(self) -> str:
        return ", ".join(f"{name} DESC" if desc else name for name, desc in self.columns)

    def after(self, position: Position) -> tuple[str, list[Any]]:
        """SQL that keeps the rows after `position` in this order, and its parameters.

        `(a > ?) OR (a = ? AND b > ?) OR ...` rather than a row-value comparison, so that columns
        may sort in different directions."""
        clauses, params = [], []
        for i, (name, desc) in enumerate(self.columns):
            equal = [f"{n} = ?" for n, _ in self.columns[:i]]
            clauses.append("(" + " AND ".join([*equal, f"{name} {'<' if desc else '>'} ?"]) + ")")
            params.extend([*position[:i], position[i]])
        return "(" + " OR ".join(clauses) + ")", params

    def position(self, row: Row) -> Position:
        return [row[name] for name, _ in self.columns]


async def fetch_page(
    q: Queries, select: str, params: Sequence[Any], keyset: Keyset, paging: Paging
) -> tuple[list[Row], str | None]:
    """One page of `SELECT ... WHERE <filters>` in `keyset` order: its rows, and the next page's token.

    `select` must end with its WHERE clause (use `WHERE 1 = 1` for none); the page's condition,
    order and limit are added here."""
    args = list(params)
    sql = select
    if paging.after is not None:
        condition, extra = keyset.after(paging.after)
        sql += " AND " + condition
        args += extra
    rows = await q.fetch_all(f"{sql} ORDER BY {keyset.order_by()} LIMIT ?", *args, paging.size + 1)
    return paging.cut(rows, keyset.position)


def page_of(items: Sequence[T], paging: Paging, key: Callable[[T], Position]) -> tuple[list[T], str | None]:
    """A page of a list already in memory, sorted by `key` ascending: the items after the position."""
    if paging.after is not None:
        after = tuple(paging.after)
        items = [item for item in items if tuple(key(item)) > after]
    return paging.cut(list(items[: paging.size + 1]), key)
