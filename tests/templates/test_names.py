"""Physical names for resources a template names not: `<stack>-<logical id>-<suffix>`, within the type's limit."""

from __future__ import annotations

import re

from overcast.templates.names import physical_name
from overcast.templates.providers.base import Providers


def test_a_physical_name_joins_stack_logical_id_and_a_random_suffix() -> None:
    name = physical_name("my-app", "HelloFunction")
    assert re.fullmatch(r"my-app-HelloFunction-[A-Z0-9]{12}", name)
    assert physical_name("my-app", "HelloFunction") != name


def test_a_long_stack_and_logical_id_are_cut_to_fit() -> None:
    name = physical_name("a-very-long-stack-name-for-a-team", "AVeryLongLogicalIdForAFunctionResource", 64)
    assert len(name) <= 64 and name.startswith("a-very-long") and re.search(r"-[A-Z0-9]{12}$", name)
    assert len(physical_name("s" * 200, "L" * 200, 40)) <= 40


def test_the_registry_names_the_types_it_lacks() -> None:
    providers = Providers()
    providers.add("AWS::Logs::LogGroup", object())  # type: ignore[arg-type]
    assert providers.missing(["AWS::Logs::LogGroup", "AWS::SQS::Queue", "AWS::SQS::Queue", "AWS::SNS::Topic"]) == [
        "AWS::SQS::Queue",
        "AWS::SNS::Topic",
    ]
