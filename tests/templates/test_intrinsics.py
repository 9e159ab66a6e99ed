"""Intrinsic functions evaluated as CloudFormation documents them, on the examples of its reference pages
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html)."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.templates.document import parse
from overcast.templates.errors import TemplateValidationError
from overcast.templates.intrinsics import NO_VALUE, resolve
from tests.templates.scope import Created, scope

RESOURCES = Created(
    refs={"MyVPC": "vpc-0abc", "MyBucket": "my-bucket", "Role": "app-role"},
    atts={("Role", "Arn"): "arn:aws:iam::123456789012:role/app-role", ("Db", "Endpoint.Address"): "db.local"},
)


def value(yaml_value: str, **fields: Any) -> Any:
    """The value of `X: <yaml_value>` in a template, evaluated."""
    template = parse(f"Resources:\n  R:\n    Type: T\n    Properties:\n      X: {yaml_value}\n")
    fields.setdefault("resources", RESOURCES)
    return resolve(template["Resources"]["R"]["Properties"], scope(**fields)).get("X", NO_VALUE)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # Ref: a parameter, a pseudo parameter, a resource
        ("!Ref Env", "prod"),
        ("!Ref AWS::Region", "us-east-1"),
        ("!Ref MyVPC", "vpc-0abc"),
        # Fn::GetAtt, both forms, and an attribute with a dot in it
        ("!GetAtt Role.Arn", "arn:aws:iam::123456789012:role/app-role"),
        ("{'Fn::GetAtt': [Role, Arn]}", "arn:aws:iam::123456789012:role/app-role"),
        ("!GetAtt Db.Endpoint.Address", "db.local"),
        ("{'Fn::GetAtt': [Role, !Ref Attribute]}", "arn:aws:iam::123456789012:role/app-role"),
        # Fn::Sub: pseudo parameters, a resource's Ref and attribute, a literal, a variable map
        (
            "!Sub 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc/${MyVPC}'",
            "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0abc",
        ),
        ("!Sub '${Role.Arn}/x'", "arn:aws:iam::123456789012:role/app-role/x"),
        ("!Sub '${!Literal}-${Env}'", "${Literal}-prod"),
        ("!Sub ['www.${Domain}', {Domain: !Ref Env}]", "www.prod"),
        ("!Sub 'no variables'", "no variables"),
        # Fn::Join, Fn::Split, Fn::Select, Fn::Base64
        ("!Join [':', [a, b, c]]", "a:b:c"),
        ("!Join ['', ['arn:', !Ref AWS::Partition, ':s3:::', !Ref MyBucket]]", "arn:aws:s3:::my-bucket"),
        ("!Join [',', !Ref Subnets]", "a,b"),
        ("!Split ['|', 'a|b|c']", ["a", "b", "c"]),
        ("!Split ['|', 'a||c|']", ["a", "", "c", ""]),
        ("!Select ['1', [apples, grapes, oranges, mangoes]]", "grapes"),
        ("!Select [0, !GetAZs '']", "us-east-1a"),
        ("!Select [2, !Split [',', 'x,y,z']]", "z"),
        ("!Base64 'AWS CloudFormation'", "QVdTIENsb3VkRm9ybWF0aW9u"),
        # Fn::GetAZs: the stack's Region for "" and for a Ref to AWS::Region
        ("!GetAZs ''", ["us-east-1a", "us-east-1b", "us-east-1c"]),
        ("!GetAZs {Ref: 'AWS::Region'}", ["us-east-1a", "us-east-1b", "us-east-1c"]),
        ("!GetAZs eu-west-1", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        # Fn::Cidr: 6 blocks of 5 host bits (/27) from a /24; IPv6 /64s from a /56
        (
            "!Cidr ['192.168.0.0/24', 6, 5]",
            [f"192.168.0.{32 * i}/27" for i in range(6)],
        ),
        (
            "!Cidr ['2001:db8:1234:1a00::/56', 2, 64]",
            ["2001:db8:1234:1a00::/64", "2001:db8:1234:1a01::/64"],
        ),
        # Fn::FindInMap
        ("!FindInMap [RegionMap, !Ref AWS::Region, HVM64]", "ami-0ff8a91507f77f867"),
        # Fn::If, with AWS::NoValue removing the property
        ("!If [IsProd, big, small]", "big"),
        ("!If [IsDev, big, !Ref AWS::NoValue]", NO_VALUE),
        ("[a, !If [IsDev, b, !Ref AWS::NoValue], c]", ["a", "c"]),
        # condition functions evaluate to booleans, comparing as strings
        ("!Equals [!Ref Env, prod]", True),
        ("!Equals ['1', 1]", True),
        ("!And [!Equals [a, a], !Not [!Equals [a, b]]]", True),
        ("!Or [!Equals [a, b], {Condition: IsProd}]", True),
        # a policy statement's Condition block is data, not the Condition function
        (
            "{Condition: {StringEquals: {'aws:SourceAccount': '1'}}}",
            {"Condition": {"StringEquals": {"aws:SourceAccount": "1"}}},
        ),
    ],
)
def test_intrinsic_functions_evaluate_as_documented(expression: str, expected: Any) -> None:
    assert (
        value(
            expression,
            parameters={"Env": "prod", "Attribute": "Arn", "Subnets": ["a", "b"]},
            mappings={"RegionMap": {"us-east-1": {"HVM64": "ami-0ff8a91507f77f867"}}},
            conditions={"IsProd": True, "IsDev": False},
        )
        == expected
    )


def test_language_extensions_add_length_to_json_string_and_find_in_map_defaults() -> None:
    assert value("!Length [a, b, c]", language_extensions=True) == 3
    assert value("{'Fn::ToJsonString': {a: [1, 2], b: !Ref AWS::Region}}", language_extensions=True) == (
        '{"a":[1,2],"b":"us-east-1"}'
    )
    assert value("!FindInMap [M, a, b, {DefaultValue: fallback}]", mappings={"M": {}}, language_extensions=True) == (
        "fallback"
    )
    with pytest.raises(TemplateValidationError, match="requires the AWS::LanguageExtensions transform"):
        value("!Length [a, b]")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("!Select [4, [a, b]]", "Template error: Fn::Select  cannot select nonexistent value at index 4"),
        ("!FindInMap [M, a, b]", "Template error: Unable to get mapping for M::a::b"),
        ("!Join [',']", "Template error: every Fn::Join object requires two parameters"),
        ("!Split ['', abc]", "Template error: every Fn::Split object requires two parameters"),
        ("!Sub '${bad name}'", "Template error: variable names in Fn::Sub syntax must contain only alphanumeric"),
        ("!GetAtt Role", "Template error: every Fn::GetAtt object requires two non-empty parameters"),
        ("!ImportValue shared-vpc", "No export named shared-vpc found."),
        ("!If [Unknown, a, b]", "Template error: unresolved condition dependency Unknown in Fn::If"),
        ("!Cidr ['10.0.0.0/24', 300, 5]", "Template error: Fn::Cidr cannot make"),
    ],
)
def test_bad_arguments_are_refused_with_cloudformations_words(expression: str, message: str) -> None:
    with pytest.raises(TemplateValidationError) as refused:
        value(expression, mappings={"M": {}})
    assert refused.value.code == "ValidationError"
    assert refused.value.message.startswith(message)


def test_import_value_reads_the_exports() -> None:
    exports = {"shared-vpc": "vpc-1"}
    assert value("!ImportValue shared-vpc", exports=exports.get) == "vpc-1"
    assert value("{'Fn::ImportValue': !Sub '${AWS::StackName}-vpc'}", exports={"app-vpc": "vpc-2"}.get) == "vpc-2"
