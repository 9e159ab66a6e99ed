"""The dependency graph: who waits for whom, in waves; unknown names and circles refused before any change."""

from __future__ import annotations

import pytest

from overcast.templates.document import parse
from overcast.templates.errors import TemplateValidationError
from overcast.templates.graph import dependencies, waves

APP = parse(
    """
Parameters:
  Env: {Type: String}
Resources:
  Role: {Type: AWS::IAM::Role}
  Logs: {Type: AWS::Logs::LogGroup}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Role.Arn
      Description: !Sub '${Env} in ${AWS::Region}, literal ${!Api}'
      Environment: {Variables: {X: !Sub ['${V}', {V: !Ref Logs}]}}
  Api:
    Type: AWS::ApiGatewayV2::Api
    DependsOn: Fn
  Permission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Fn
      SourceArn: !Sub 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*'
Outputs:
  Url: {Value: !Sub 'https://${Api}.execute-api.${AWS::URLSuffix}'}
"""
)


def test_dependencies_come_from_ref_get_att_sub_and_depends_on() -> None:
    assert dependencies(APP) == {
        "Role": set(), "Logs": set(), "Fn": {"Role", "Logs"}, "Api": {"Fn"}, "Permission": {"Fn", "Api"},
    }  # fmt: skip


def test_independent_resources_come_in_the_same_wave() -> None:
    assert waves(dependencies(APP)) == [["Role", "Logs"], ["Fn"], ["Api"], ["Permission"]]


def test_a_sub_variable_given_in_its_map_is_not_a_dependency() -> None:
    template = parse(
        "Resources:\n  A:\n    Type: T\n    Properties: {X: !Sub ['${B}', {B: literal}]}\n  B: {Type: T}\n"
    )
    assert dependencies(template)["A"] == set()


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            "  A:\n    Type: T\n    Properties: {X: !Ref Missing, Y: !GetAtt Gone.Arn}\n",
            "Template format error: Unresolved resource dependencies [Gone, Missing] in the Resources block",
        ),
        (
            "  A:\n    Type: T\n    DependsOn: [Nope]\n",
            "Template format error: Unresolved resource dependencies [Nope] in the Resources block",
        ),
        (
            "  A:\n    Type: T\n    Properties: {X: !Ref B}\n  B:\n    Type: T\n    Properties: {X: !GetAtt C.Arn}\n"
            "  C:\n    Type: T\n    DependsOn: A\n  D:\n    Type: T\n    Properties: {X: !Ref A}\n",
            "Circular dependency between resources: [A, B, C]",
        ),
        ("  A:\n    Type: T\n    Properties: {X: !Sub '${A.Arn}'}\n", "Circular dependency between resources: [A]"),
    ],
)
def test_unknown_names_and_circles_are_refused_naming_the_logical_ids(resources: str, message: str) -> None:
    with pytest.raises(TemplateValidationError) as refused:
        dependencies(parse(f"Resources:\n{resources}"))
    assert refused.value.code == "ValidationError" and refused.value.message.startswith(message)


def test_outputs_may_name_only_what_the_template_declares() -> None:
    template = parse("Resources:\n  A: {Type: T}\nOutputs:\n  O: {Value: !GetAtt B.Arn}\n")
    with pytest.raises(TemplateValidationError, match=r"Unresolved resource dependencies \[B\] in the Outputs block"):
        dependencies(template)


def test_a_long_chain_is_no_problem() -> None:
    chain = "".join(f"  R{i}:\n    Type: T\n    Properties: {{X: !Ref R{i + 1}}}\n" for i in range(400))
    template = parse(f"Resources:\n{chain}  R400: {{Type: T}}\n")
    assert [wave for wave in waves(dependencies(template))][:2] == [["R400"], ["R399"]]
