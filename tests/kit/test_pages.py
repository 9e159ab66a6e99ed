"""Pagination: page sizes as each service reads them, tokens bound to their scope, keyset pages on both engines."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest

from overcast.context import RequestContext
from overcast.errors import AwsError, ValidationException
from overcast.kit import pages
from overcast.kit.pages import Keyset, Lists, PageLimits, Paging, fetch_page, page_of, scope_of
from overcast.store import Store


class InvalidToken(AwsError):
    code, status = "InvalidToken", 400


def invalid(token: str) -> AwsError:
    return InvalidToken(f"Invalid Token: '{token}'")


@pytest.fixture(params=["sqlite_store", "pg_store"])
def store(request: pytest.FixtureRequest) -> Store:
    found: Store = request.getfixturevalue(request.param)
    return found


LAMBDA = PageLimits(default=50, most=50)
SFN = PageLimits(default=100, most=1000, zero_is_default=True)


@pytest.mark.parametrize(
    ("limits", "asked", "size"),
    [(LAMBDA, None, 50), (LAMBDA, 10, 10), (LAMBDA, 10_000, 50), (SFN, 0, 100), (SFN, None, 100), (SFN, 5000, 1000)],
)
def test_page_sizes(limits: PageLimits, asked: int | None, size: int) -> None:
    assert limits.size(asked) == size


def test_a_size_below_the_minimum_is_the_services_error() -> None:
    limits = PageLimits(default=50, most=50, below_minimum=lambda n: ValidationException(f"bad {n}"))
    with pytest.raises(ValidationException, match="bad 0"):
        limits.size(0)


def test_a_token_reads_back_in_its_scope_only() -> None:
    scope = scope_of("states", "ListStateMachines", "111111111111", "us-east-1")
    token = Paging(10, None, scope).token(["b", 3])
    assert pages.decode(token, scope, invalid, (str, int)) == ["b", 3]
    assert "ListStateMachines" not in base64.urlsafe_b64decode(token + "==").decode()  # opaque: no scope inside
    for other in (
        scope_of("states", "ListActivities", "111111111111", "us-east-1"),  # another operation
        scope_of("states", "ListStateMachines", "222222222222", "us-east-1"),  # another account
        scope_of("states", "ListStateMachines", "111111111111", "eu-west-1"),  # another region
    ):
        with pytest.raises(InvalidToken, match="Invalid Token"):
            pages.decode(token, other, invalid, (str, int))


@pytest.mark.parametrize(
    "token",
    ["", "not base64 at all!", base64.urlsafe_b64encode(b"[1,2,3]").decode(), base64.urlsafe_b64encode(b"{}").decode()],
)
def test_malformed_tokens_are_the_services_error(token: str) -> None:
    with pytest.raises(InvalidToken):
        pages.decode(token, "scope", invalid, (str,))


def test_a_hand_made_token_with_a_position_of_the_wrong_type_is_refused() -> None:
    scope = scope_of("lambda", "ListFunctions", "000000000000", "us-east-1")
    good = json.loads(base64.urlsafe_b64decode(Paging(1, None, scope).token(["a", 1]) + "=="))
    for position in (["a", "1"], [1, 1], ["a", True], ["a", None], ["a"], ["a", 1, 2], ["a", [1]]):
        forged = base64.urlsafe_b64encode(json.dumps([good[0], position]).encode()).decode()
        with pytest.raises(InvalidToken):
            pages.decode(forged, scope, invalid, (str, int))


def test_start_reads_size_and_token() -> None:
    scope = scope_of("x", "List", "a", "r")
    first = Paging.start(SFN, 2, None, scope, invalid, (int,))
    assert (first.size, first.after) == (2, None)
    items, token = page_of([1, 2, 3, 4, 5], first, lambda n: [n])
    assert items == [1, 2] and token is not None
    second = Paging.start(SFN, 2, token, scope, invalid, (int,))
    assert page_of([1, 2, 3, 4, 5], second, lambda n: [n]) == ([3, 4], second.token([4]))
    last = Paging.start(SFN, 2, second.token([4]), scope, invalid, (int,))
    assert page_of([1, 2, 3, 4, 5], last, lambda n: [n]) == ([5], None)


def test_a_services_lists_bind_tokens_to_the_operation_the_caller_and_the_filters() -> None:
    lists = Lists("states", SFN, invalid, per_operation=(("GetExecutionHistory", LAMBDA),))
    alice = RequestContext(account_id="111111111111", region="eu-west-1", operation="ListStateMachines")
    first = lists.start(alice, (int,), 2, None, "filter")
    _, token = page_of([1, 2, 3], first, lambda n: [n])
    assert token is not None
    assert lists.start(alice, (int,), 2, token, "filter").after == [2]
    elsewhere = [
        (dataclasses.replace(alice, account_id="222222222222"), ("filter",)),  # another account
        (dataclasses.replace(alice, region="us-east-1"), ("filter",)),  # another region
        (dataclasses.replace(alice, operation="ListActivities"), ("filter",)),  # another operation
        (alice, ("other",)),  # another filter
    ]
    for ctx, filters in elsewhere:
        with pytest.raises(InvalidToken):
            lists.start(ctx, (int,), 2, token, *filters)
    with pytest.raises(InvalidToken):  # the operation named overrides the request's
        lists.start(alice, (int,), 2, token, "filter", operation="ListActivities")
    assert lists.start(alice, (int,), None, None).size == 100
    assert lists.start(alice, (int,), None, None, operation="GetExecutionHistory").size == 50


async def _rows(store: Store) -> None:
    await store.execute("CREATE TABLE items (owner TEXT NOT NULL, start DOUBLE PRECISION NOT NULL, id TEXT NOT NULL)")
    for owner in ("a", "b"):
        for i in range(7):
            await store.execute("INSERT INTO items (owner, start, id) VALUES (?, ?, ?)", owner, float(i % 3), f"{i:02}")


async def _all_pages(store: Store, keyset: Keyset, size: int) -> list[list[str]]:
    scope = scope_of("test", "ListItems", "a")
    found, token = [], None
    while True:
        paging = Paging.start(PageLimits(default=size, most=size), None, token, scope, invalid, keyset.kinds)
        rows, token = await fetch_page(store, "SELECT * FROM items WHERE owner = ?", ["a"], keyset, paging)
        found.append([r["id"] for r in rows])
        if token is None:
            return found


async def test_keyset_pages_in_mixed_directions_on_both_engines(store: Store) -> None:
    await _rows(store)
    keyset = Keyset.of(("-start", float), ("id", str))
    pages_ = await _all_pages(store, keyset, 3)
    # start descending (2, 1, 0), then id ascending within a start
    assert [i for page in pages_ for i in page] == ["02", "05", "01", "04", "00", "03", "06"]
    assert [len(p) for p in pages_] == [3, 3, 1]


async def test_a_page_does_not_shift_when_items_before_it_are_removed(store: Store) -> None:
    await _rows(store)
    keyset = Keyset.of(("id", str))
    scope = scope_of("test", "ListItems", "a")
    first = Paging.start(PageLimits(default=3, most=3), None, None, scope, invalid, keyset.kinds)
    rows, token = await fetch_page(store, "SELECT * FROM items WHERE owner = ?", ["a"], keyset, first)
    assert [r["id"] for r in rows] == ["00", "01", "02"]
    await store.execute("DELETE FROM items WHERE id = ?", "00")
    second = Paging.start(PageLimits(default=3, most=3), None, token, scope, invalid, keyset.kinds)
    rows, _ = await fetch_page(store, "SELECT * FROM items WHERE owner = ?", ["a"], keyset, second)
    assert [r["id"] for r in rows] == ["03", "04", "05"]
