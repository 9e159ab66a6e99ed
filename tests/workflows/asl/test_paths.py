"""Paths, reference paths and payload templates."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.workflows.asl.paths import (
    Env,
    NoMatch,
    PathError,
    ResultPathMismatch,
    TemplateFieldError,
    compile_path,
    evaluate_template,
    put,
    select,
)

DATA = {"a": {"b": [10, 20, {"c": "x"}]}, "list": [{"v": 1}, {"v": 2}], "dash-key": 7, "n": None}
ENV = Env({"Execution": {"Name": "e1"}}, {"var": {"k": [5, 6]}}, lambda: 0.5, lambda: "u")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DATA),
        ("$.a.b[1]", 20),
        ("$.a.b[2].c", "x"),
        ("$['a']['b'][0]", 10),
        ("$.dash-key", 7),
        ("$.n", None),
        ("$.list[*].v", [1, 2]),
        ("$.list[?(@.v > 1)].v", [2]),
        ("$$.Execution.Name", "e1"),
        ("$var.k[1]", 6),
    ],
)
def test_select(path: str, expected: Any) -> None:
    assert select(path, DATA, ENV) == expected


@pytest.mark.parametrize("path", ["$.missing", "$.a.b[7]", "$.a.b.c"])
def test_select_nothing(path: str) -> None:
    with pytest.raises(NoMatch):
        select(path, DATA, ENV)


def test_bad_paths() -> None:
    for text in ("a.b", "$.a[", ""):
        with pytest.raises(PathError):
            compile_path(text)


def test_put_merges_without_mutating() -> None:
    original = {"a": {"keep": 1}}
    assert put("$.a.b", original, 2) == {"a": {"keep": 1, "b": 2}}
    assert original == {"a": {"keep": 1}}
    assert put("$", original, 3) == 3
    assert put("$.new.deep", {}, 1) == {"new": {"deep": 1}}
    with pytest.raises(ResultPathMismatch):
        put("$.a.b", {"a": "text"}, 1)


def test_templates() -> None:
    template = {"static": [1, {"x.$": "$.a.b[0]"}], "ctx.$": "$$.Execution.Name",
                "f.$": "States.Format('{}-{}', $.dash-key, $var.k[0])", "plain": "$.not-a-path"}
    assert evaluate_template(template, DATA, ENV) == {
        "static": [1, {"x": 10}], "ctx": "e1", "f": "7-5", "plain": "$.not-a-path"}
    with pytest.raises(TemplateFieldError) as raised:
        evaluate_template({"y.$": "$.missing"}, DATA, ENV)
    assert (raised.value.field, raised.value.path) == ("y.$", "$.missing")


SPECIAL = {
    "it's": 1, 'say "hi"': 2, "a@b": 3, "why?": 4, "a*b": 5, "back\\slash": 6, "two\nlines": 7,
    "tab\there": 8, "é": 9, "a.b": 10, "with space": 11, "ünï😀": 12, "$dollar": 13,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # Dot notation takes every character up to '.', '[' or '(' literally (AWS's JsonPath is Jayway's).
        ("$.it's", 1),
        ('$.say "hi"', None),  # a space: not a path in dot notation
        ("$.a@b", 3),
        ("$.why?", 4),
        ("$.a*b", 5),
        ("$.back\\slash", 6),
        ("$.ünï😀", 12),
        ("$.$dollar", 13),
        # Bracket notation unescapes as Java does: \' \" \\ \n \t \uXXXX.
        ("$['it\\'s']", 1),
        ('$["say \\"hi\\""]', 2),
        ("$['say \"hi\"']", 2),
        ("$['back\\\\slash']", 6),
        ("$['two\\nlines']", 7),
        ("$['tab\\there']", 8),
        ("$['\\u00e9']", 9),
        ("$['a.b']", 10),
        ("$['with space']", 11),
    ],
)
def test_field_names_with_special_characters(path: str, expected: Any) -> None:
    # https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
    if expected is None:
        with pytest.raises(PathError):
            compile_path(path)
        return
    assert select(path, SPECIAL, ENV) == expected


def test_special_field_names_in_reference_paths_and_templates() -> None:
    assert put("$['two\\nlines']", {}, 1) == {"two\nlines": 1}
    assert evaluate_template({"v.$": "$['it\\'s']", "w.$": "$.a@b"}, SPECIAL, ENV) == {"v": 1, "w": 3}
