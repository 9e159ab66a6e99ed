"""Each function runs as its own unprivileged uid, the same one every time."""

from __future__ import annotations

from overcast.functions.sandbox.users import UID_BASE, UID_SPAN, function_uid


def test_uid_is_deterministic_distinct_and_in_the_reserved_range() -> None:
    first = function_uid("123456789012", "us-east-1", "orders")
    assert first == function_uid("123456789012", "us-east-1", "orders")
    others = {function_uid("123456789012", "us-east-1", f"fn{i}") for i in range(1000)}
    assert len(others) == 1000 and first not in others
    assert all(UID_BASE <= uid < UID_BASE + UID_SPAN for uid in others | {first})
    assert function_uid("210987654321", "us-east-1", "orders") != first
