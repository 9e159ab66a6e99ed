"""Choice rules: every operator family, And/Or/Not, missing variables."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.workflows.asl.choice import ChoicePathError, holds
from overcast.workflows.asl.model import Combination, Comparison
from overcast.workflows.asl.paths import Env

DATA = {"s": "hello", "n": 5, "f": 2.5, "b": True, "t": "2024-01-02T03:04:05Z", "t2": "2024-01-02T03:04:05.5+01:00",
        "z": None, "star": "a*b", "other": "hello"}
ENV = Env({}, {"limit": 5}, lambda: 0.0, lambda: "")


@pytest.mark.parametrize(
    ("variable", "operator", "value", "expected"),
    [
        ("$.s", "StringEquals", "hello", True),
        ("$.s", "StringEqualsPath", "$.other", True),
        ("$.s", "StringLessThan", "world", True),
        ("$.s", "StringGreaterThanEquals", "hello", True),
        ("$.n", "StringEquals", "5", False),
        ("$.s", "StringMatches", "h*o", True),
        ("$.s", "StringMatches", "h*x", False),
        ("$.star", "StringMatches", "a\\*b", True),
        ("$.s", "StringMatches", "a\\*b", False),
        ("$.n", "NumericEquals", 5, True),
        ("$.f", "NumericLessThan", 3, True),
        ("$.n", "NumericGreaterThanPath", "$.f", True),
        ("$.n", "NumericLessThanEqualsPath", "$limit", True),
        ("$.s", "NumericEquals", 5, False),
        ("$.b", "BooleanEquals", True, True),
        ("$.n", "BooleanEquals", True, False),
        ("$.t", "TimestampEquals", "2024-01-02T03:04:05Z", True),
        ("$.t2", "TimestampLessThan", "2024-01-02T03:04:05Z", True),
        ("$.s", "TimestampEquals", "2024-01-02T03:04:05Z", False),
        ("$.z", "IsNull", True, True),
        ("$.missing", "IsPresent", False, True),
        ("$.z", "IsPresent", True, True),
        ("$.n", "IsNumeric", True, True),
        ("$.b", "IsNumeric", False, True),
        ("$.s", "IsString", True, True),
        ("$.b", "IsBoolean", True, True),
        ("$.t", "IsTimestamp", True, True),
        ("$.s", "IsTimestamp", False, True),
    ],
)
def test_comparisons(variable: str, operator: str, value: Any, expected: bool) -> None:
    assert holds(Comparison(variable, operator, value), DATA, ENV) is expected


def test_combinations() -> None:
    yes = Comparison("$.n", "NumericEquals", 5)
    no = Comparison("$.n", "NumericEquals", 6)
    assert holds(Combination("And", (yes, yes)), DATA, ENV)
    assert not holds(Combination("And", (yes, no)), DATA, ENV)
    assert holds(Combination("Or", (no, yes)), DATA, ENV)
    assert holds(Combination("Not", (no,)), DATA, ENV)


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(ChoicePathError):
        holds(Comparison("$.missing", "StringEquals", "x"), DATA, ENV)
