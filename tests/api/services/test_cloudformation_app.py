"""A SAM app's stack of every kind Overcast serves (a function and its role, an HTTP API, a state machine, a log
group): an update changes only what changed, a failure midway rolls back to the previous state, and delete leaves
nothing behind, each seen through the services' own APIs with boto3."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from tests.api.services.test_cloudformation import statuses, unique, wait
from tests.conftest import ClientFactory

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting: {Type: String, Default: hello}
  Retention: {Type: Number, Default: 7}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "import os\\ndef handler(event, context):\\n    return os.environ['GREETING']\\n"
      Environment: {Variables: {GREETING: !Ref Greeting}}
      Events:
        Get: {Type: HttpApi, Properties: {Path: /hi, Method: GET}}
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: Call, States: {Call: {Type: Task, Resource: !GetAtt Fn.Arn, End: true}}}
      Policies: [{LambdaInvokePolicy: {FunctionName: !Ref Fn}}]
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/apps/${AWS::StackName}", RetentionInDays: !Ref Retention}
  Broken:
    Type: AWS::Logs::LogGroup
    Condition: Break
    Properties: {LogGroupName: !Sub "/apps/${AWS::StackName}"}
Conditions:
  Break: !Equals [!Ref Retention, 99]
Outputs:
  Api: {Value: !Ref ServerlessHttpApi}
"""


def _resources(cf: Any, name: str) -> dict[str, tuple[str, str]]:
    listed = cf.list_stack_resources(StackName=name)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: (r["ResourceType"], r.get("PhysicalResourceId", "")) for r in listed}


def test_an_apps_stack_is_updated_in_place_rolled_back_and_deleted_without_a_trace(aws: ClientFactory) -> None:
    cf, lam, sfn, v2 = aws("cloudformation"), aws("lambda"), aws("stepfunctions"), aws("apigatewayv2")
    iam, logs = aws("iam"), aws("logs")
    name = unique("app")
    cf.create_stack(StackName=name, TemplateBody=TEMPLATE, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    assert wait(cf, name, "stack_create_complete")["StackStatus"] == "CREATE_COMPLETE"
    made = _resources(cf, name)
    function, role = made["Fn"][1], made["FnRole"][1]
    machine, api = made["Machine"][1], made["ServerlessHttpApi"][1]
    assert json.loads(lam.invoke(FunctionName=function)["Payload"].read()) == "hello"
    code_sha = lam.get_function(FunctionName=function)["Configuration"]["CodeSha256"]

    # An update of one parameter changes the function's environment in place and nothing else.
    cf.update_stack(
        StackName=name, TemplateBody=TEMPLATE, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "hej"}],
    )  # fmt: skip
    assert wait(cf, name, "stack_update_complete")["StackStatus"] == "UPDATE_COMPLETE"
    assert _resources(cf, name) == made  # the same physical resources
    assert json.loads(lam.invoke(FunctionName=function)["Payload"].read()) == "hej"
    assert lam.get_function(FunctionName=function)["Configuration"]["CodeSha256"] == code_sha
    updated = [logical for logical, status in statuses(cf, name) if status == "UPDATE_COMPLETE" and logical != name]
    assert updated == ["Fn"]

    # An update that fails midway (a second log group of the same name) rolls back to the state before it.
    cf.update_stack(
        StackName=name, TemplateBody=TEMPLATE, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters=[
            {"ParameterKey": "Greeting", "ParameterValue": "bye"},
            {"ParameterKey": "Retention", "ParameterValue": "99"},
        ],
    )  # fmt: skip
    assert wait(cf, name, "stack_update_complete")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert _resources(cf, name) == made
    assert json.loads(lam.invoke(FunctionName=function)["Payload"].read()) == "hej"
    assert logs.describe_log_groups(logGroupNamePrefix=f"/apps/{name}")["logGroups"][0]["retentionInDays"] == 7

    cf.delete_stack(StackName=name)
    assert wait(cf, name, "stack_delete_complete")["StackStatus"] == "DELETE_COMPLETE"
    gone = [
        lambda: lam.get_function(FunctionName=function),
        lambda: sfn.describe_state_machine(stateMachineArn=machine),
        lambda: v2.get_api(ApiId=api),
        lambda: iam.get_role(RoleName=role),
    ]
    for call in gone:
        try:
            call()
        except ClientError as error:
            assert error.response["Error"]["Code"] in (
                "ResourceNotFoundException", "StateMachineDoesNotExist", "NotFoundException", "NoSuchEntity",
            )  # fmt: skip
        else:
            raise AssertionError(f"{call} still answers after the stack's delete")
    assert logs.describe_log_groups(logGroupNamePrefix=f"/apps/{name}")["logGroups"] == []
