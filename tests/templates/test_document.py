"""Reading a template: JSON or YAML with short-form tags, and the top-level shape CloudFormation requires."""

from __future__ import annotations

import pytest

from overcast.templates.document import parse
from overcast.templates.errors import TemplateValidationError

YAML = """
AWSTemplateFormatVersion: 2010-09-09
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Role.Arn
      FunctionName: !Sub "${AWS::StackName}-fn"
      Description: !Join [":", [a, !Ref AWS::Region]]
      Tags: !If [IsProd, [{Key: a, Value: b}], !Ref AWS::NoValue]
      Code: {ZipFile: !Base64 "x"}
  Role:
    Type: AWS::IAM::Role
"""


def test_yaml_short_form_tags_read_as_their_long_form_and_dates_stay_strings() -> None:
    template = parse(YAML)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    properties = template["Resources"]["Fn"]["Properties"]
    assert properties["Role"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert properties["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-fn"}
    assert properties["Description"] == {"Fn::Join": [":", ["a", {"Ref": "AWS::Region"}]]}
    assert properties["Tags"] == {"Fn::If": ["IsProd", [{"Key": "a", "Value": "b"}], {"Ref": "AWS::NoValue"}]}
    assert properties["Code"] == {"ZipFile": {"Fn::Base64": "x"}}
    assert type(template["Resources"]) is dict  # plain data, not cfn-flip's ordered dicts


def test_json_reads_as_json() -> None:
    assert parse('{"Resources": {"A": {"Type": "AWS::SNS::Topic"}}}') == {
        "Resources": {"A": {"Type": "AWS::SNS::Topic"}}
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"Resources": ', "Template format error: JSON not well-formed. (line 1,  column 15)"),
        ("Resources:\n  A: [b\n", "Template format error: YAML not well-formed. (line 3, column 1)"),
        ("Description: nothing\n", "Template format error: At least one Resources member must be defined."),
        ("Resources: {}\n", "Template format error: At least one Resources member must be defined."),
        (
            "Resources:\n  my-fn:\n    Type: AWS::SNS::Topic\n",
            "Template format error: Resource name my-fn is non alphanumeric.",
        ),
        (
            "Resources:\n  A: {}\n",
            "Template format error: [/Resources/A] Every Resources object must contain a Type member.",
        ),
        (
            "Resourcez: {}\nResources:\n  A: {Type: X}\n",
            "Template format error: Invalid template property or properties [Resourcez]",
        ),
    ],
)
def test_a_malformed_template_is_refused_with_cloudformations_words(body: str, message: str) -> None:
    with pytest.raises(TemplateValidationError) as refused:
        parse(body)
    assert refused.value.code == "ValidationError" and refused.value.status == 400
    assert refused.value.message == message
