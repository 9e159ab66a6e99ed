"""Create-only properties as the CloudFormation resource schemas (cfn-lint's data, extracted) list them."""

from __future__ import annotations

from overcast.templates.schemas import create_only


def test_create_only_properties_come_from_the_types_schemas() -> None:
    assert create_only("AWS::Logs::LogGroup") == {"LogGroupName"}
    assert {"FunctionName", "PackageType"} <= create_only("AWS::Lambda::Function")
    assert "Description" not in create_only("AWS::Lambda::Function")  # changes in place
    assert "StateMachineName" in create_only("AWS::StepFunctions::StateMachine")
    assert "RoleName" in create_only("AWS::IAM::Role")


def test_a_type_no_schema_knows_has_no_create_only_property() -> None:
    assert create_only("Test::Made::Up") == frozenset()
