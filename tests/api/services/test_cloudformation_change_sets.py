"""Change sets through boto3 and `aws cloudformation deploy` (the AWS CLI) against a real server."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.exceptions import ClientError, WaiterError

from tests.api.services.test_cloudformation import FAST, body, group, groups, unique, wait
from tests.conftest import ClientFactory, RunningServer


def ready(cf: Any, change_set: str) -> dict[str, Any]:
    waiter = cf.get_waiter("change_set_create_complete")
    with contextlib.suppress(WaiterError):  # a FAILED change set: the caller asserts its status
        waiter.wait(ChangeSetName=change_set, WaiterConfig=FAST)
    described: dict[str, Any] = cf.describe_change_set(ChangeSetName=change_set)
    return described


def test_a_create_change_set_reviews_a_new_stack_then_creates_it(cf: Any, logs: Any) -> None:
    name = unique()
    template = body({"G": group(LogGroupName={"Fn::Sub": "${AWS::StackName}-g"})})
    made = cf.create_change_set(StackName=name, ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=template)
    assert made["Id"].startswith("arn:aws:cloudformation:us-east-1:000000000000:changeSet/first/")
    review = cf.describe_stacks(StackName=name)["Stacks"][0]
    assert review["StackStatus"] == "REVIEW_IN_PROGRESS" and review["StackId"] == made["StackId"]
    described = ready(cf, made["Id"])
    assert (described["Status"], described["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert [c["ResourceChange"]["Action"] for c in described["Changes"]] == ["Add"]
    assert groups(logs, name) == {}  # nothing made while in review
    summaries = cf.list_change_sets(StackName=name)["Summaries"]
    assert [s["ChangeSetName"] for s in summaries] == ["first"]
    assert dict(cf.get_template(ChangeSetName="first", StackName=name)["TemplateBody"]) == json.loads(template)

    cf.execute_change_set(ChangeSetName="first", StackName=name)
    assert wait(cf, name, "stack_create_complete")["StackStatus"] == "CREATE_COMPLETE"
    assert groups(logs, name) == {f"{name}-g": None}
    assert cf.describe_change_set(ChangeSetName=made["Id"])["ExecutionStatus"] == "EXECUTE_COMPLETE"
    with pytest.raises(ClientError) as again:
        cf.execute_change_set(ChangeSetName=made["Id"])
    assert again.value.response["Error"]["Code"] == "InvalidChangeSetStatus"
    cf.delete_stack(StackName=name)
    wait(cf, name, "stack_delete_complete")


def test_an_update_change_set_shows_the_diff_and_an_empty_one_fails_as_aws(cf: Any, logs: Any) -> None:
    name = unique()
    before = {
        "Same": group(LogGroupName=f"{name}-same"),
        "Tuned": group(LogGroupName=f"{name}-tuned", RetentionInDays={"Ref": "Days"}),
        "Renamed": group(LogGroupName=f"{name}-old"),
        "Follows": group(LogGroupName={"Fn::Sub": "${Renamed}-follows"}),
        "Dropped": group(),
    }
    parameters = {"Days": {"Type": "Number", "Default": 1}}
    cf.create_stack(StackName=name, TemplateBody=body(before, Parameters=parameters))
    wait(cf, name, "stack_create_complete")
    after = {key: value for key, value in before.items() if key != "Dropped"}
    after["Renamed"] = group(LogGroupName=f"{name}-new")
    after["Added"] = group()
    made = cf.create_change_set(
        StackName=name, ChangeSetName="second", TemplateBody=body(after, Parameters=parameters),
        Parameters=[{"ParameterKey": "Days", "ParameterValue": "3"}],
    )  # fmt: skip
    described = ready(cf, made["Id"])
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]}
    assert sorted(changes) == ["Added", "Dropped", "Follows", "Renamed", "Tuned"]  # not Same
    assert changes["Added"]["Action"] == "Add" and changes["Dropped"]["Action"] == "Remove"
    assert (changes["Tuned"]["Action"], changes["Tuned"]["Replacement"]) == ("Modify", "False")
    assert changes["Tuned"]["Details"][0]["Target"] == {
        "Attribute": "Properties", "Name": "RetentionInDays", "RequiresRecreation": "Never",
    }  # fmt: skip
    tuned = changes["Tuned"]["Details"][0]  # the same text in both templates: the parameter's value changed
    assert (tuned["ChangeSource"], tuned["CausingEntity"]) == ("ParameterReference", "Days")
    assert (changes["Renamed"]["Replacement"], changes["Renamed"]["Scope"]) == ("True", ["Properties"])
    assert changes["Renamed"]["Details"][0]["Target"]["RequiresRecreation"] == "Always"
    follows = changes["Follows"]  # references a replaced resource: may be replaced in turn
    assert (follows["Replacement"], follows["Details"][0]["ChangeSource"]) == ("Conditional", "ResourceReference")
    assert follows["Details"][0]["Evaluation"] == "Dynamic"
    unchanged = {key: days for key, days in groups(logs, name).items() if "-Dropped-" not in key}
    assert unchanged == {f"{name}-same": None, f"{name}-tuned": 1, f"{name}-old": None, f"{name}-old-follows": None}

    empty = cf.create_change_set(
        StackName=name, ChangeSetName="nothing", TemplateBody=body(before, Parameters=parameters)
    )
    nothing = ready(cf, empty["Id"])
    assert nothing["Status"] == "FAILED"
    assert nothing["StatusReason"] == (
        "The submitted information didn't contain changes. Submit different information to create a change set."
    )
    cf.delete_change_set(ChangeSetName="nothing", StackName=name)
    assert [s["ChangeSetName"] for s in cf.list_change_sets(StackName=name)["Summaries"]] == ["second"]

    cf.execute_change_set(ChangeSetName=made["Id"])
    assert wait(cf, name, "stack_update_complete")["StackStatus"] == "UPDATE_COMPLETE"
    now = groups(logs, name)
    assert {k: v for k, v in now.items() if "Added" not in k} == {
        f"{name}-same": None, f"{name}-tuned": 3, f"{name}-new": None, f"{name}-new-follows": None,
    }  # fmt: skip
    cf.delete_stack(StackName=name)
    wait(cf, name, "stack_delete_complete")
    assert groups(logs, name) == {}


# The real AWS CLI, with its waiters' sleeps (5 s between change set polls, 30 s between stack polls) cut to
# 50 ms: the polls, their order and everything the CLI decides from the answers are its own. Its clock is set
# ahead by a different number of seconds in each run, since `deploy` names its change set after the current
# second and two deploys in the same second would name the same one (which AWS, too, refuses).
QUICK_CLI = (
    "import os, sys, time; sleep, now = time.sleep, time.time; ahead = float(os.environ['CLI_CLOCK_AHEAD']); "
    "time.sleep = lambda seconds: sleep(min(seconds, 0.05)); time.time = lambda: now() + ahead; "
    "from awscli.clidriver import main; sys.exit(main())"
)


@pytest.fixture
def cli(server: RunningServer) -> Callable[..., subprocess.CompletedProcess[str]]:
    runs = itertools.count()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", QUICK_CLI, "--endpoint-url", server.url, "--output", "json", *args]
        env = {**os.environ, "CLI_CLOCK_AHEAD": str(3600 * next(runs))}
        return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)

    return run


def test_aws_cloudformation_deploy_and_delete_stack(
    cf: Any, logs: Any, cli: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    name = unique("cli")
    template = tmp_path / "template.yaml"
    template.write_text(
        "Parameters:\n  Days:\n    Type: Number\n    Default: 7\n"
        "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n    Properties:\n"
        "      LogGroupName: !Sub '${AWS::StackName}-logs'\n      RetentionInDays: !Ref Days\n"
        "Outputs:\n  Name:\n    Value: !Ref Logs\n"
    )
    deployed = cli("cloudformation", "deploy", "--template-file", str(template), "--stack-name", name)
    assert deployed.returncode == 0, deployed.stderr
    assert f"Successfully created/updated stack - {name}" in deployed.stdout
    assert groups(logs, name) == {f"{name}-logs": 7}

    again = cli(
        "cloudformation", "deploy", "--template-file", str(template), "--stack-name", name,
        "--no-fail-on-empty-changeset",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "No changes to deploy" in again.stdout + again.stderr
    updated = cli(
        "cloudformation", "deploy", "--template-file", str(template), "--stack-name", name,
        "--parameter-overrides", "Days=14",
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    assert groups(logs, name) == {f"{name}-logs": 14}

    removed = cli("cloudformation", "delete-stack", "--stack-name", name)
    assert removed.returncode == 0, removed.stderr
    assert wait(cf, name, "stack_delete_complete")["StackStatus"] == "DELETE_COMPLETE"
    assert groups(logs, name) == {}


FUNCTION_AND_API = """
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cli
      Code:
        ZipFile: |
          def handler(event, context):
              return {"statusCode": 200, "body": "deployed by the aws cli"}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: !Sub ${AWS::StackName}-api
      ProtocolType: HTTP
      Target: !GetAtt Fn.Arn
  Allow:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Fn
      Action: lambda:InvokeFunction
      Principal: apigateway.amazonaws.com
      SourceArn: !Sub arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*
Outputs:
  Url:
    Value: !Sub https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/
"""


def test_aws_cloudformation_deploy_of_a_function_and_an_http_api_and_delete_stack_removes_them(
    cf: Any, aws: ClientFactory, server: RunningServer, cli: Callable[..., subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:  # fmt: skip
    name = unique("fnapi")
    template = tmp_path / "template.yaml"
    template.write_text(FUNCTION_AND_API)
    deployed = cli("cloudformation", "deploy", "--template-file", str(template), "--stack-name", name)
    assert deployed.returncode == 0, deployed.stderr
    stack = cf.describe_stacks(StackName=name)["Stacks"][0]
    api_id = stack["Outputs"][0]["OutputValue"].split("//")[1].split(".")[0]
    function = cf.describe_stack_resource(StackName=name, LogicalResourceId="Fn")["StackResourceDetail"]
    port = urlsplit(server.url).port
    answer = httpx.get(f"{server.url}/", headers={"host": f"{api_id}.execute-api.localhost:{port}"}, timeout=60)
    assert (answer.status_code, answer.text) == (200, "deployed by the aws cli")

    removed = cli("cloudformation", "delete-stack", "--stack-name", name)
    assert removed.returncode == 0, removed.stderr
    assert wait(cf, name, "stack_delete_complete")["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        aws("lambda").get_function(FunctionName=function["PhysicalResourceId"])
    with pytest.raises(ClientError):
        aws("apigatewayv2").get_api(ApiId=api_id)
