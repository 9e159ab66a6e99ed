"""Every intrinsic function, and States.IntrinsicFailure for misuse."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.workflows.asl.intrinsics import IntrinsicError, IntrinsicFailure, evaluate_intrinsic, parse_intrinsic
from overcast.workflows.asl.paths import Env

DATA = {"s": "a,b,,c", "n": 3, "arr": [1, 2, 2, 3], "obj": {"a": 1, "b": [1, 2]}, "json": '{"k": [1]}'}
ENV = Env({"Execution": {"Name": "exec"}}, {"v": 10}, lambda: 0.99, lambda: "00000000-0000-4000-8000-000000000000")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('x={} y={}', $.n, $.obj)", "x=3 y={a=1, b=[1, 2]}"),
        ("States.Format('esc \\{\\} \\' {}', 'a')", "esc {} ' a"),
        ("States.StringToJson($.json)", {"k": [1]}),
        ("States.JsonToString($.obj)", '{"a":1,"b":[1,2]}'),
        ("States.Array(1, 'two', $.n, null, true)", [1, "two", 3, None, True]),
        ("States.ArrayPartition($.arr, 3)", [[1, 2, 2], [3]]),
        ("States.ArrayContains($.arr, 3)", True),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayGetItem($.arr, 3)", 3),
        ("States.ArrayLength($.arr)", 4),
        ("States.ArrayUnique($.arr)", [1, 2, 3]),
        ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
        ("States.Hash('input data', 'MD5')", "812f45842bc6d66ee14572ce20db8e86"),
        ("States.JsonMerge($.obj, States.StringToJson($.json), false)", {"a": 1, "b": [1, 2], "k": [1]}),
        ("States.MathRandom(1, 10)", 9),
        ("States.MathAdd($.n, -1)", 2),
        ("States.MathAdd($v, 4.3)", 14),
        ("States.StringSplit($.s, ',')", ["a", "b", "c"]),
        ("States.UUID()", "00000000-0000-4000-8000-000000000000"),
        ("States.ArrayGetItem(States.StringSplit($$.Execution.Name, 'x'), 1)", "ec"),
    ],
)
def test_functions(text: str, expected: Any) -> None:
    assert evaluate_intrinsic(text, DATA, ENV) == expected


def test_seeded_random_is_stable() -> None:
    first = evaluate_intrinsic("States.MathRandom(0, 1000, 7)", DATA, ENV)
    assert first == evaluate_intrinsic("States.MathRandom(0, 1000, 7)", DATA, ENV)


@pytest.mark.parametrize(
    "text",
    [
        "States.Format('{} {}', 1)",
        "States.ArrayGetItem($.arr, 9)",
        "States.ArrayPartition($.arr, 0)",
        "States.ArrayRange(0, 5000, 1)",
        "States.Hash('x', 'SHA-999')",
        "States.StringToJson('{bad')",
        "States.JsonMerge($.obj, $.obj, true)",
        "States.Base64Decode('%%%')",
        "States.ArrayLength($.n)",
        "States.UUID(1)",
    ],
)
def test_failures(text: str) -> None:
    with pytest.raises(IntrinsicFailure):
        evaluate_intrinsic(text, DATA, ENV)


@pytest.mark.parametrize("text", ["States.Nope()", "States.Array(", "States.Format('x)", "States.Array(1) x"])
def test_parse_errors(text: str) -> None:
    with pytest.raises(IntrinsicError):
        parse_intrinsic(text)
