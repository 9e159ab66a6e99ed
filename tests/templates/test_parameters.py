"""Parameters: given values checked against their declarations (types, constraints), defaults applied."""

from __future__ import annotations

import pytest

from overcast.templates.document import parse
from overcast.templates.errors import TemplateValidationError
from overcast.templates.parameters import resolve_parameters

TEMPLATE = parse(
    """
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Name:
    Type: String
    AllowedPattern: '[a-z][a-z0-9-]*'
    MinLength: 3
    MaxLength: 10
  Size:
    Type: Number
    Default: 128
    MinValue: 128
    MaxValue: 10240
  Ports:
    Type: List<Number>
    Default: '80, 443'
  Subnets:
    Type: CommaDelimitedList
    Default: 'a,b'
  Secret:
    Type: String
    NoEcho: true
    Default: hunter2
  Flag:
    Type: String
    AllowedValues: [true, false]
    Default: false
    ConstraintDescription: Must specify 'true' or 'false'
Resources:
  A: {Type: T}
"""
)


def test_given_values_and_defaults_resolve_to_their_types() -> None:
    resolved = resolve_parameters(TEMPLATE, {"Name": "my-app", "Size": "1024"})
    assert {name: p.value for name, p in resolved.items()} == {
        "Env": "dev", "Name": "my-app", "Size": "1024", "Ports": ["80", "443"], "Subnets": ["a", "b"],
        "Secret": "hunter2", "Flag": "false",
    }  # fmt: skip
    assert resolved["Secret"].shown == "****" and resolved["Subnets"].shown == "a,b"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "Parameters: [Name] must have values"),
        ({"Name": "app", "Nope": "x"}, "Parameters: [Nope] do not exist in the template"),
        ({"Name": "app", "Env": "test"}, "Parameter 'Env' must be one of AllowedValues"),
        ({"Name": "App"}, "Parameter 'Name' must match pattern [a-z][a-z0-9-]*"),
        ({"Name": "ab"}, "Parameter 'Name' must contain at least 3 characters"),
        ({"Name": "abcdefghijk"}, "Parameter 'Name' must contain at most 10 characters"),
        ({"Name": "app", "Size": "big"}, "Parameter 'Size' must be a number"),
        ({"Name": "app", "Size": "64"}, "Parameter 'Size' must be a number not less than 128"),
        ({"Name": "app", "Ports": "80,http"}, "Parameter 'Ports' must be a number"),
        (
            {"Name": "app", "Flag": "maybe"},
            "Parameter Flag failed to satisfy constraint: Must specify 'true' or 'false'",
        ),
    ],
)
def test_bad_values_are_refused_with_cloudformations_words(given: dict[str, str], message: str) -> None:
    with pytest.raises(TemplateValidationError) as refused:
        resolve_parameters(TEMPLATE, given)
    assert refused.value.code == "ValidationError" and refused.value.message == message


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ("Type: Strin", "Template format error: Unrecognized parameter type: Strin"),
        ("{Type: String, AllowedValues: a}", "Template format error: Every AllowedValues member must be a list."),
        ("Type: AWS::SSM::Parameter::Value<String>\n    Default: /app/x", "which reads SSM Parameter Store"),
    ],
)
def test_bad_declarations_are_refused(declaration: str, message: str) -> None:
    template = parse(f"Parameters:\n  P:\n    {declaration}\nResources:\n  A: {{Type: T}}\n")
    with pytest.raises(TemplateValidationError, match=message.replace("[", r"\[").replace("(", r"\(")):
        resolve_parameters(template, {"P": "x"} if "SSM" not in declaration else {})


def test_aws_specific_types_take_their_values_as_written() -> None:
    template = parse(
        "Parameters:\n  Vpc: {Type: 'AWS::EC2::VPC::Id'}\n  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>'}\n"
        "Resources:\n  A: {Type: T}\n"
    )
    resolved = resolve_parameters(template, {"Vpc": "vpc-1", "Subnets": "subnet-1,subnet-2"})
    assert resolved["Vpc"].value == "vpc-1" and resolved["Subnets"].value == ["subnet-1", "subnet-2"]
