"""Fn::ForEach expansion stays within CloudFormation's quotas while it runs, so nested loops cannot multiply."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.templates import loops
from overcast.templates.document import check_shape
from overcast.templates.errors import TemplateValidationError
from tests.templates.scope import scope


def topic(name: str) -> dict[str, Any]:
    return {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": name}}


def test_a_loop_makes_one_entry_per_item() -> None:
    template = {"Resources": {"Fn::ForEach::Logs": ["N", ["a", "b"], {"Log${N}": topic("${N}")}]}}
    assert loops.expand(template, scope())["Resources"] == {"Loga": topic("a"), "Logb": topic("b")}


def test_a_loop_may_make_the_500_resources_cloudformation_allows_and_not_one_more() -> None:
    items = [str(n) for n in range(500)]
    template = {"Resources": {"Fn::ForEach::Logs": ["N", items, {"Log${N}": topic("${N}")}]}}
    assert len(loops.expand(template, scope())["Resources"]) == 500
    template["Resources"]["Extra"] = topic("extra")
    with pytest.raises(
        TemplateValidationError, match=r"Number of resources, 501, is greater than maximum allowed, 500"
    ):
        loops.expand(template, scope())


def test_outputs_are_held_to_200() -> None:
    items = [str(n) for n in range(201)]
    template = {"Resources": {"A": topic("a")}, "Outputs": {"Fn::ForEach::O": ["N", items, {"O${N}": {"Value": "x"}}]}}
    with pytest.raises(TemplateValidationError, match=r"Number of outputs, 201, is greater than maximum allowed, 200"):
        loops.expand(template, scope())


def test_nested_loops_stop_at_the_quota_before_multiplying_out() -> None:
    # 100 ** 4 = 100 million resources if expanded first and counted after: refused at once instead.
    items = [str(n) for n in range(100)]
    fragment: dict[str, Any] = {"R&{A}&{B}&{C}&{D}": topic("x")}
    for name in ("D", "C", "B", "A"):
        fragment = {f"Fn::ForEach::{name}": [name, items, fragment]}
    with pytest.raises(TemplateValidationError, match="Number of resources"):
        loops.expand({"Resources": fragment}, scope())


def test_conditions_are_bounded_by_what_all_loops_may_write() -> None:
    wide = [str(n) for n in range(1000)]
    body: dict[str, Any] = {"Fn::Equals": [["${A}${B}${C}"] * 10, ["x"] * 10]}
    fragment: dict[str, Any] = {"C&{A}&{B}&{C}": body}
    for name in ("C", "B", "A"):
        fragment = {f"Fn::ForEach::{name}": [name, wide, fragment]}
    with pytest.raises(TemplateValidationError, match="more than 1000000 values"):
        loops.expand({"Resources": {"A": topic("a")}, "Conditions": fragment}, scope())


def test_a_template_without_loops_is_held_to_the_same_quotas() -> None:
    template = {"Resources": {f"Log{n}": topic(str(n)) for n in range(501)}}
    with pytest.raises(TemplateValidationError, match="Number of resources, 501"):
        check_shape(template)
