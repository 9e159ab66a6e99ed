"""Filter patterns for unstructured log events, as CloudWatch Logs matches them."""

from __future__ import annotations

import pytest

from overcast.observe.errors import LogsInvalidParameter
from overcast.observe.filter_patterns import compile_pattern

MESSAGES = [
    "ERROR Out of memory",
    "error out of memory",
    "WARN disk almost full",
    "INFO Exiting after ERROR",
    "[ERROR] 2026-01-01 boom",
]


@pytest.mark.parametrize(
    ("pattern", "matching"),
    [
        ("", [0, 1, 2, 3, 4]),
        ("ERROR", [0, 3, 4]),  # terms are case-sensitive substrings
        ("ERROR memory", [0]),  # every term must appear
        ('"Out of memory"', [0]),  # a quoted phrase is one term
        ("?ERROR ?WARN", [0, 2, 3, 4]),  # any of the ? terms
        ("ERROR -Exiting", [0, 4]),  # - excludes
        ('"[ERROR]"', [4]),
        ("%^[A-Z]+ %", [0, 2, 3]),  # a regular expression
        ("%memory$%", [0, 1]),
    ],
)
def test_patterns(pattern: str, matching: list[int]) -> None:
    matcher = compile_pattern(pattern)
    found = [i for i, m in enumerate(MESSAGES) if matcher is None or matcher(m)]
    assert found == matching


@pytest.mark.parametrize("pattern", ['{ $.level = "ERROR" }', "[ip, user, ...]", '"unterminated', "%(%"])
def test_unsupported_or_broken_patterns_are_invalid_parameters(pattern: str) -> None:
    with pytest.raises(LogsInvalidParameter):
        compile_pattern(pattern)
