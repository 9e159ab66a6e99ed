"""SNS's CloudFormation types through a real stack (Topic with inline subscriptions, Subscription with a filter
policy and raw delivery, TopicPolicy), a message published to what the stack made, and Step Functions'
sns:publish task."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory
from tests.events.conftest import FAST, deployed

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish",
                   "Resource": "*"}],
}  # fmt: skip


@pytest.fixture
def sns(aws: ClientFactory) -> Any:
    return aws("sns")


@pytest.fixture
def sqs(aws: ClientFactory) -> Any:
    return aws("sqs")


def _queue(sqs: Any) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"t-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _bodies(sqs: Any, url: str, count: int) -> list[str]:
    got: list[str] = []
    for _ in range(200):
        got += [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", ())]
        if len(got) >= count:
            return got
        time.sleep(0.02)
    return got


def _template(display: str, everything: str, filtered: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {
                "DisplayName": display, "Subscription": [{"Protocol": "sqs", "Endpoint": everything}],
                "Tags": [{"Key": "team", "Value": "red"}]}},
            "Filtered": {"Type": "AWS::SNS::Subscription", "Properties": {
                "TopicArn": {"Ref": "Topic"}, "Protocol": "sqs", "Endpoint": filtered, "RawMessageDelivery": True,
                "FilterPolicy": {"kind": ["order"]}}},
            "Policy": {"Type": "AWS::SNS::TopicPolicy",
                       "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": POLICY}},
        },
        "Outputs": {"Arn": {"Value": {"Ref": "Topic"}}, "Name": {"Value": {"Fn::GetAtt": ["Topic", "TopicName"]}},
                    "Subscription": {"Value": {"Ref": "Filtered"}}},
    }  # fmt: skip


def test_a_stack_makes_a_topic_that_delivers_to_its_subscriptions(cf: Any, sns: Any, sqs: Any) -> None:
    everything, everything_arn = _queue(sqs)
    filtered, filtered_arn = _queue(sqs)
    name = f"t-{uuid.uuid4().hex[:8]}"
    stack = deployed(cf, name, "stack_create_complete", _template("Orders", everything_arn, filtered_arn))
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    topic = out["Arn"]
    assert topic == f"arn:aws:sns:us-east-1:000000000000:{out['Name']}" and out["Name"].startswith(f"{name}-Topic-")
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["DisplayName"] == "Orders"
    assert json.loads(attributes["Policy"]) == POLICY
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "team", "Value": "red"}]
    subscription = sns.get_subscription_attributes(SubscriptionArn=out["Subscription"])["Attributes"]
    assert subscription["RawMessageDelivery"] == "true"
    assert json.loads(subscription["FilterPolicy"]) == {"kind": ["order"]}

    kind = {"kind": {"DataType": "String", "StringValue": "order"}}
    sns.publish(TopicArn=topic, Message="first", MessageAttributes=kind)
    sns.publish(TopicArn=topic, Message="second")
    assert sorted(json.loads(body)["Message"] for body in _bodies(sqs, everything, 2)) == ["first", "second"]
    assert _bodies(sqs, filtered, 1) == ["first"]  # raw, and only what the filter lets through

    # In place: the display name changes, the inline subscription moves to another queue.
    _, moved_arn = _queue(sqs)
    stack = deployed(cf, name, "stack_update_complete", _template("Orders!", moved_arn, filtered_arn), update=True)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", stack.get("StackStatusReason")
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "Orders!"
    endpoints = sorted(s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"])
    assert endpoints == sorted([moved_arn, filtered_arn])

    cf.delete_stack(StackName=name)
    cf.get_waiter("stack_delete_complete").wait(StackName=stack["StackId"], WaiterConfig=FAST)
    with pytest.raises(ClientError) as raised:
        sns.get_topic_attributes(TopicArn=topic)
    assert raised.value.response["Error"]["Code"] == "NotFound"


def test_step_functions_publishes_and_answers_the_message_id(aws: ClientFactory, sns: Any, sqs: Any) -> None:
    url, arn = _queue(sqs)
    topic = sns.create_topic(Name=f"sfn-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sfn = aws("stepfunctions")
    definition = {"StartAt": "Publish", "States": {"Publish": {
        "Type": "Task", "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {"TopicArn": topic, "Message": {"order.$": "$.order"}}, "End": True}}}  # fmt: skip
    machine = sfn.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition),
        roleArn="arn:aws:iam::000000000000:role/states",
    )["stateMachineArn"]  # fmt: skip
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"order": 7}))["executionArn"]
    for _ in range(400):
        done = sfn.describe_execution(executionArn=execution)
        if done["status"] != "RUNNING":
            break
        time.sleep(0.025)
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert output["MessageId"] and output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert [json.loads(body) for body in _bodies(sqs, url, 1)] == [{"order": 7}]
