"""SAM's event sources and asynchronous settings through CloudFormation's API: an `SQS` event (an event source
mapping), an `SNS` event with a filter policy (a subscription and a permission), `DeadLetterQueue` and
`EventInvokeConfig` with an OnFailure destination; a message and a publish reach the function, and a failed
asynchronous invocation leaves its record at the destination and the event in the dead-letter queue."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import WaiterError

from tests.conftest import ClientFactory

FAST = {"Delay": 0.05, "MaxAttempts": 600}
CODE = """import json

def handler(event, context):
    for record in event.get("Records", []):
        if record.get("EventSource") == "aws:sns" and record["Sns"]["Message"] == "fail":
            raise ValueError("told to fail")
        print("GOT " + json.dumps(record.get("body") or record["Sns"]["Message"]))
    return "ok"
"""


def arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


TEMPLATE = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {
        "Dead": {"Type": "AWS::SQS::Queue"},
        "Records": {"Type": "AWS::SQS::Queue"},
        "Work": {"Type": "AWS::SQS::Queue"},
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.12", "Handler": "index.handler", "InlineCode": CODE, "Timeout": 10,
                "DeadLetterQueue": {"Type": "SQS", "TargetArn": arn("Dead")},
                "EventInvokeConfig": {
                    "MaximumRetryAttempts": 0,
                    "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": arn("Records")}},
                },
                "Events": {
                    "FromQueue": {"Type": "SQS", "Properties": {"Queue": arn("Work"), "BatchSize": 5}},
                    "FromTopic": {"Type": "SNS", "Properties": {"Topic": {"Ref": "Topic"},
                                                                "FilterPolicy": {"kind": ["order", "fail"]}}},
                },
            },
        },
    },
}  # fmt: skip


def _messages(sqs: Any, url: str) -> list[dict[str, Any]]:
    for _ in range(400):
        got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10)
        if got.get("Messages"):
            return list(got["Messages"])
        time.sleep(0.05)
    raise AssertionError(f"nothing arrived in {url}")


def _lines(logs: Any, function: str) -> list[str]:
    try:
        return [e["message"] for e in logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return []


def _logged(logs: Any, function: str, needle: str) -> bool:
    for _ in range(400):
        if any(needle in line for line in _lines(logs, function)):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def stack(aws: ClientFactory) -> Any:
    cf = aws("cloudformation")
    name = f"sam-events-{uuid.uuid4().hex[:6]}"
    cf.create_stack(
        StackName=name, TemplateBody=json.dumps(TEMPLATE), Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    )
    try:
        cf.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=FAST)
    except WaiterError:
        reasons = [e.get("ResourceStatusReason") for e in cf.describe_stack_events(StackName=name)["StackEvents"]]
        raise AssertionError(reasons) from None
    found = cf.describe_stack_resources(StackName=name)["StackResources"]
    yield {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in found}
    cf.delete_stack(StackName=name)
    cf.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)


def test_sam_event_sources_and_async_settings_work_end_to_end(aws: ClientFactory, stack: dict[str, str]) -> None:
    sqs, sns, logs, lam = aws("sqs"), aws("sns"), aws("logs"), aws("lambda")
    function = stack["Fn"]
    config = lam.get_function_configuration(FunctionName=function)
    assert config["DeadLetterConfig"]["TargetArn"].endswith(":" + stack["Dead"].rsplit("/", 1)[-1])
    mappings = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
    assert [m["BatchSize"] for m in mappings] == [5]

    sqs.send_message(QueueUrl=stack["Work"], MessageBody="from the queue")
    assert _logged(logs, function, 'GOT "from the queue"')
    order = {"kind": {"DataType": "String", "StringValue": "order"}}
    sns.publish(TopicArn=stack["Topic"], Message="from the topic", MessageAttributes=order)
    sns.publish(TopicArn=stack["Topic"], Message="filtered out")  # no kind: the filter policy drops it
    assert _logged(logs, function, 'GOT "from the topic"')

    sns.publish(TopicArn=stack["Topic"], Message="fail", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "fail"}})  # fmt: skip
    record = json.loads(_messages(sqs, stack["Records"])[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    dead = _messages(sqs, stack["Dead"])[0]
    assert json.loads(dead["Body"])["Records"][0]["Sns"]["Message"] == "fail"
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"]
    assert not any("filtered out" in line for line in _lines(logs, function))  # the filter policy dropped it
