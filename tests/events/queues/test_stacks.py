"""SQS's CloudFormation types through a real stack: AWS::SQS::Queue (Ref, GetAtt, attributes set, reset to their
defaults when dropped, tags), QueuePolicy and QueueInlinePolicy, and everything gone with the stack."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.events.conftest import FAST, deployed

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
                   "Resource": "*"}],
}  # fmt: skip


def _template(dead_letters: dict[str, Any], queue: dict[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {
            "Dead": {"Type": "AWS::SQS::Queue", "Properties": dead_letters},
            "Work": {"Type": "AWS::SQS::Queue", "Properties": queue},
            "Policy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {"Queues": [{"Ref": "Work"}], "PolicyDocument": POLICY},
            },
            "Ordered": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"FifoQueue": True, "ContentBasedDeduplication": True},
            },
        },
        "Outputs": {
            "Url": {"Value": {"Ref": "Work"}},
            "Arn": {"Value": {"Fn::GetAtt": ["Work", "Arn"]}},
            "Name": {"Value": {"Fn::GetAtt": ["Work", "QueueName"]}},
            "DeadUrl": {"Value": {"Fn::GetAtt": ["Dead", "QueueUrl"]}},
            "OrderedUrl": {"Value": {"Ref": "Ordered"}},
        },
    }


def test_a_stack_makes_changes_and_removes_its_queues(cf: Any, sqs: Any) -> None:
    name = f"q-{uuid.uuid4().hex[:8]}"
    queue = {
        "VisibilityTimeout": 45, "DelaySeconds": 2, "Tags": [{"Key": "team", "Value": "red"}],
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dead", "Arn"]}, "maxReceiveCount": 3},
    }  # fmt: skip
    dead_letters = {"MessageRetentionPeriod": 1209600}
    stack = deployed(cf, name, "stack_create_complete", _template(dead_letters, queue))
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert out["Name"].startswith(f"{name}-Work-") and out["Url"].endswith("/" + out["Name"])
    assert out["Arn"] == f"arn:aws:sqs:us-east-1:000000000000:{out['Name']}"
    assert out["OrderedUrl"].endswith(".fifo")
    attributes = sqs.get_queue_attributes(QueueUrl=out["Url"], AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "45" and attributes["DelaySeconds"] == "2"
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 3
    assert json.loads(attributes["Policy"]) == POLICY
    dead = sqs.get_queue_attributes(QueueUrl=out["DeadUrl"], AttributeNames=["All"])["Attributes"]
    assert dead["MessageRetentionPeriod"] == "1209600"
    ordered = sqs.get_queue_attributes(QueueUrl=out["OrderedUrl"], AttributeNames=["All"])["Attributes"]
    assert ordered["FifoQueue"] == "true" and ordered["ContentBasedDeduplication"] == "true"
    assert sqs.list_queue_tags(QueueUrl=out["Url"])["Tags"] == {"team": "red"}

    # Dropped properties go back to SQS's defaults; the tags change in place; the queue stays the same one.
    changed = {"VisibilityTimeout": 60, "Tags": [{"Key": "stage", "Value": "dev"}]}
    stack = deployed(cf, name, "stack_update_complete", _template(dead_letters, changed), update=True)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["Url"] == out["Url"]
    attributes = sqs.get_queue_attributes(QueueUrl=out["Url"], AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "60" and attributes["DelaySeconds"] == "0"
    assert "RedrivePolicy" not in attributes
    assert sqs.list_queue_tags(QueueUrl=out["Url"])["Tags"] == {"stage": "dev"}

    cf.delete_stack(StackName=name)
    cf.get_waiter("stack_delete_complete").wait(StackName=stack["StackId"], WaiterConfig=FAST)
    for url in (out["Url"], out["DeadUrl"], out["OrderedUrl"]):
        with pytest.raises(ClientError) as raised:
            sqs.get_queue_attributes(QueueUrl=url)
        assert raised.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_an_inline_policy_is_set_and_cleared_with_its_stack(cf: Any, sqs: Any) -> None:
    url = sqs.create_queue(QueueName=f"inline-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    name = f"p-{uuid.uuid4().hex[:8]}"
    template = {"Resources": {"P": {"Type": "AWS::SQS::QueueInlinePolicy",
                                    "Properties": {"Queue": url, "PolicyDocument": POLICY}}}}  # fmt: skip
    stack = deployed(cf, name, "stack_create_complete", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    assert (
        json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]) == POLICY
    )
    cf.delete_stack(StackName=name)
    cf.get_waiter("stack_delete_complete").wait(StackName=stack["StackId"], WaiterConfig=FAST)
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
