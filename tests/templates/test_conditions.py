"""Conditions: evaluated from parameters, mappings and each other, never from resources, never in a circle."""

from __future__ import annotations

import pytest

from overcast.templates import conditions
from overcast.templates.document import parse
from overcast.templates.errors import TemplateValidationError
from tests.templates.scope import scope

TEMPLATE = """
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsUsEast: !Equals [!Ref AWS::Region, us-east-1]
  ProdInUsEast: !And [{Condition: IsProd}, {Condition: IsUsEast}]
  NotProd: !Not [{Condition: IsProd}]
  Either: !Or [{Condition: NotProd}, !Equals [!FindInMap [Sizes, !Ref Env, Big], 'yes']]
Resources:
  A: {Type: T}
"""


def evaluate(text: str, env: str = "prod") -> dict[str, bool]:
    template = parse(text)
    return conditions.evaluate(
        template["Conditions"],
        scope(parameters={"Env": env}, mappings={"Sizes": {"prod": {"Big": "yes"}, "dev": {"Big": "no"}}}),
    )


def test_conditions_combine_parameters_pseudo_parameters_mappings_and_each_other() -> None:
    assert evaluate(TEMPLATE) == {
        "IsProd": True,
        "IsUsEast": True,
        "ProdInUsEast": True,
        "NotProd": False,
        "Either": True,
    }
    assert evaluate(TEMPLATE, "dev") == {
        "IsProd": False, "IsUsEast": True, "ProdInUsEast": False, "NotProd": True, "Either": True,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("conditions_yaml", "message"),
    [
        (
            "  A: !And [{Condition: B}, !Equals [a, a]]\n  B: {Condition: A}\n",
            "Template format error: Circular dependency between conditions: [A, B]",
        ),
        (
            "  A: !Equals [!Ref Bucket, x]\n",
            "Template error: Unresolved dependencies [Bucket]. Cannot reference resources in the Conditions block",
        ),
        (
            "  A: !Ref Env\n",
            "Template format error: Conditions can only be boolean operations on parameters and other conditions",
        ),
        ("  A: {Condition: Missing}\n", "Template error: unresolved condition dependency Missing in Condition"),
    ],
)
def test_bad_conditions_are_refused_before_anything_is_made(conditions_yaml: str, message: str) -> None:
    with pytest.raises(TemplateValidationError) as refused:
        evaluate(f"Conditions:\n{conditions_yaml}Resources:\n  Bucket: {{Type: T}}\n")
    assert refused.value.message.startswith(message)
