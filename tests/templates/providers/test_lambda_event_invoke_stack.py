"""AWS::Lambda::EventInvokeConfig through CloudFormation on a real server: created, updated in place, deleted."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory

FAST = {"Delay": 0.05, "MaxAttempts": 400}  # the waiters' polls: operations here take milliseconds
QUEUE = "arn:aws:sqs:us-east-1:000000000000:failures"


def template(function_name: str, **config: Any) -> str:
    return json.dumps(
        {
            "Resources": {
                "Fn": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "FunctionName": function_name,
                        "Runtime": "python3.13",
                        "Handler": "index.handler",
                        "Role": "arn:aws:iam::000000000000:role/r",
                        "Code": {"ZipFile": "def handler(e, c): return e"},
                    },
                },
                "Async": {
                    "Type": "AWS::Lambda::EventInvokeConfig",
                    "Properties": {"FunctionName": {"Ref": "Fn"}, "Qualifier": "$LATEST", **config},
                },
            },
            "Outputs": {"Config": {"Value": {"Ref": "Async"}}},
        }
    )


def _status(cf: Any, name: str, waiter: str) -> dict[str, Any]:
    cf.get_waiter(waiter).wait(StackName=name, WaiterConfig=FAST)
    stack: dict[str, Any] = cf.describe_stacks(StackName=name)["Stacks"][0]
    return stack


def test_a_stack_creates_updates_in_place_and_deletes_an_event_invoke_config(aws: ClientFactory) -> None:
    cf, lam = aws("cloudformation"), aws("lambda")
    stack, function = f"eic-{uuid.uuid4().hex[:8]}", f"eic-fn-{uuid.uuid4().hex[:8]}"
    cf.create_stack(StackName=stack, TemplateBody=template(function, MaximumRetryAttempts=1))
    created = _status(cf, stack, "stack_create_complete")
    assert created["StackStatus"] == "CREATE_COMPLETE"
    # Ref: `FunctionName|Qualifier` (the template reference names no Ref value; CloudFormation's two-part id).
    assert created["Outputs"][0]["OutputValue"] == f"{function}|$LATEST"
    config = lam.get_function_event_invoke_config(FunctionName=function)
    assert config["MaximumRetryAttempts"] == 1 and config["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}

    cf.update_stack(
        StackName=stack,
        TemplateBody=template(
            function, MaximumEventAgeInSeconds=120, DestinationConfig={"OnFailure": {"Destination": QUEUE}}
        ),
    )
    assert _status(cf, stack, "stack_update_complete")["StackStatus"] == "UPDATE_COMPLETE"
    events = cf.describe_stack_events(StackName=stack)["StackEvents"]
    assert not [e for e in events if e["LogicalResourceId"] == "Async" and e["ResourceStatus"] == "DELETE_COMPLETE"]
    config = lam.get_function_event_invoke_config(FunctionName=function, Qualifier="$LATEST")
    assert "MaximumRetryAttempts" not in config  # the template's whole config: a removed property is removed
    assert config["MaximumEventAgeInSeconds"] == 120
    assert config["DestinationConfig"]["OnFailure"] == {"Destination": QUEUE}

    # The resource removed from the template: the config goes, the function stays.
    without = json.loads(template(function))
    del without["Resources"]["Async"], without["Outputs"]
    cf.update_stack(StackName=stack, TemplateBody=json.dumps(without))
    assert _status(cf, stack, "stack_update_complete")["StackStatus"] == "UPDATE_COMPLETE"
    with pytest.raises(ClientError) as removed:
        lam.get_function_event_invoke_config(FunctionName=function)
    assert "doesn't have an EventInvokeConfig" in removed.value.response["Error"]["Message"]

    cf.update_stack(StackName=stack, TemplateBody=template(function, MaximumRetryAttempts=2))
    assert _status(cf, stack, "stack_update_complete")["StackStatus"] == "UPDATE_COMPLETE"
    cf.delete_stack(StackName=stack)
    stack_id = created["StackId"]
    cf.get_waiter("stack_delete_complete").wait(StackName=stack_id, WaiterConfig=FAST)
    with pytest.raises(ClientError) as gone:
        lam.get_function_event_invoke_config(FunctionName=function)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
