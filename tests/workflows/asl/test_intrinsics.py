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


# Numbers as the intrinsic-functions page documents them: non-integers are rounded to the nearest
# integer (half up, the service being Java), large values stay exact, MathRandom's end is exclusive.
# https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.MathAdd(1.49, 1.5)", 3),
        ("States.MathAdd(-1.5, -1.51)", -3),
        ("States.MathAdd(2.5, 0)", 3),
        ("States.MathAdd(1.0, 2)", 3),
        ("States.MathAdd(9007199254740993, 1)", 9007199254740994),
        ("States.MathAdd(1e20, 0)", 100000000000000000000),
        ("States.ArrayRange(0.6, 4.4, 1.5)", [1, 3]),
        ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
        ("States.ArrayRange(3, 1, 1)", []),
        ("States.ArrayRange(1, 1000, 1)", list(range(1, 1001))),
        ("States.MathRandom(0.6, 1.6)", 1),
        ("States.MathRandom(-5, -4)", -5),
    ],
)
def test_numeric_arguments(text: str, expected: Any) -> None:
    assert evaluate_intrinsic(text, DATA, ENV) == expected


def test_seeded_random_is_java_random() -> None:
    # The figures java.util.Random prints: new Random(42).nextInt(10) == 0, nextInt(100) == 30,
    # nextInt(16) == 11, new Random(-3).nextInt(7) == 2, new Random(123456789).nextInt(1000) == 965.
    assert evaluate_intrinsic("States.MathRandom(0, 10, 42)", DATA, ENV) == 0
    assert evaluate_intrinsic("States.MathRandom(0, 100, 42)", DATA, ENV) == 30
    assert evaluate_intrinsic("States.MathRandom(10, 26, 42)", DATA, ENV) == 21
    assert evaluate_intrinsic("States.MathRandom(1, 8, -3)", DATA, ENV) == 3
    assert evaluate_intrinsic("States.MathRandom(0, 1000, 123456789.2)", DATA, ENV) == 965


@pytest.mark.parametrize("seed", [0, 1, 7, -3, 123456789])
def test_seeded_random_stays_in_bounds(seed: int) -> None:
    for low, high in ((1, 2), (0, 7), (-10, 10), (0, 2**40)):
        value = evaluate_intrinsic(f"States.MathRandom({low}, {high}, {seed})", DATA, ENV)
        assert low <= value < high


@pytest.mark.parametrize(
    "text",
    [
        "States.MathAdd('1', 2)",
        "States.MathAdd(true, 2)",
        "States.MathRandom(5, 5)",
        "States.MathRandom(1, 'x')",
        "States.ArrayRange(1, 1001, 1)",
        "States.ArrayRange(1, 5, 0.4)",
    ],
)
def test_numeric_failures(text: str) -> None:
    with pytest.raises(IntrinsicFailure):
        evaluate_intrinsic(text, DATA, ENV)
