"""Step Functions' sqs:sendMessage task (and its .waitForTaskToken form) against real queues, through boto3.

https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from tests.conftest import ClientFactory

ROLE = "arn:aws:iam::000000000000:role/states"


@pytest.fixture
def sfn(aws: ClientFactory) -> Any:
    return aws("stepfunctions")


def _run(sfn: Any, definition: dict[str, Any], given: dict[str, Any]) -> str:
    machine = sfn.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    return str(sfn.start_execution(stateMachineArn=machine, input=json.dumps(given))["executionArn"])


def _finished(sfn: Any, execution: str) -> dict[str, Any]:
    for _ in range(400):
        got: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        if got["status"] != "RUNNING":
            return got
        time.sleep(0.025)
    raise AssertionError(f"{execution} still running")


def _task(resource: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "Send", "States": {"Send": {"Type": "Task", "Resource": resource, "Parameters": parameters,
                                                   "End": True}}}  # fmt: skip


def test_send_message_sends_an_object_as_its_json_and_answers_the_api_output(sfn: Any, sqs: Any, queue: str) -> None:
    parameters = {
        "QueueUrl": queue, "MessageBody": {"order.$": "$.order", "fixed": 1},
        "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "order"}},
    }  # fmt: skip
    done = _finished(sfn, _run(sfn, _task("arn:aws:states:::sqs:sendMessage", parameters), {"order": 42}))
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    got = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"][0]
    assert json.loads(got["Body"]) == {"order": 42, "fixed": 1}
    assert got["MessageAttributes"]["kind"]["StringValue"] == "order"
    assert output["MessageId"] == got["MessageId"]
    assert output["MD5OfMessageBody"] == got["MD5OfBody"]
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert output["SdkResponseMetadata"]["RequestId"]


def test_wait_for_task_token_waits_for_the_token_the_message_carries(sfn: Any, sqs: Any, queue: str) -> None:
    parameters = {"QueueUrl": queue, "MessageBody": {"Input.$": "$", "TaskToken.$": "$$.Task.Token"}}
    execution = _run(sfn, _task("arn:aws:states:::sqs:sendMessage.waitForTaskToken", parameters), {"n": 1})
    message = None
    for _ in range(400):
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages")
        if messages:
            message = json.loads(messages[0]["Body"])
            break
    assert message is not None and message["Input"] == {"n": 1}
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=message["TaskToken"], output=json.dumps({"worked": True}))
    done = _finished(sfn, execution)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"worked": True}


def test_a_missing_queue_fails_the_task_with_the_sdks_exception(sfn: Any, sqs: Any, queue: str) -> None:
    missing = queue.rsplit("/", 1)[0] + "/no-such-queue"
    done = _finished(sfn, _run(sfn, _task("arn:aws:states:::sqs:sendMessage", {"QueueUrl": missing,
                                                                            "MessageBody": "x"}), {}))  # fmt: skip
    assert done["status"] == "FAILED"
    assert done["error"] == "SQS.QueueDoesNotExistException"
    assert "Service: AmazonSQS; Status Code: 400; Error Code: AWS.SimpleQueueService.NonExistentQueue" in done["cause"]
