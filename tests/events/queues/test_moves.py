"""Message move tasks through boto3: a dead-letter queue's messages go back to their source queues, or to another
queue, and the tasks are listed and cancelled as AWS does."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _dead(sqs: Any, count: int) -> tuple[str, str]:
    """A source queue whose `count` messages died into its dead-letter queue: (source URL, DLQ URL)."""
    tag = uuid.uuid4().hex[:8]
    dlq = sqs.create_queue(QueueName=f"dlq-{tag}")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": 1})
    source = sqs.create_queue(QueueName=f"src-{tag}", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    for n in range(count):
        sqs.send_message(QueueUrl=source, MessageBody=f"m{n}")
    while len(sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])):
        pass  # each message's second receive moves it to the dead-letter queue
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == str(count)
    return source, dlq


def _finished(sqs: Any, dlq: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while (task := sqs.list_message_move_tasks(SourceArn=_arn(sqs, dlq))["Results"][0])["Status"] == "RUNNING":
        assert time.monotonic() < deadline, task
        time.sleep(0.02)
    return dict(task)


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages"):
        got += batch
    return got


def test_move_back_to_the_source_queue(sqs: Any) -> None:
    source, dlq = _dead(sqs, 12)
    handle = sqs.start_message_move_task(SourceArn=_arn(sqs, dlq))["TaskHandle"]
    assert handle
    task = _finished(sqs, dlq)
    assert task["Status"] == "COMPLETED" and "TaskHandle" not in task
    assert (task["ApproximateNumberOfMessagesMoved"], task["ApproximateNumberOfMessagesToMove"]) == (12, 12)
    back = _drain(sqs, source)
    assert sorted(m["Body"] for m in back) == sorted(f"m{n}" for n in range(12))
    assert not any("DeadLetterQueueSourceArn" in m["Attributes"] for m in back)
    assert _drain(sqs, dlq) == []


def test_move_to_another_queue_at_a_rate(sqs: Any) -> None:
    _, dlq = _dead(sqs, 3)
    other = sqs.create_queue(QueueName=f"other-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.start_message_move_task(
        SourceArn=_arn(sqs, dlq), DestinationArn=_arn(sqs, other), MaxNumberOfMessagesPerSecond=100
    )
    task = _finished(sqs, dlq)
    assert (task["Status"], task["DestinationArn"], task["MaxNumberOfMessagesPerSecond"]) == (
        "COMPLETED",
        _arn(sqs, other),
        100,
    )
    moved = _drain(sqs, other)
    assert len(moved) == 3 and all(m["Attributes"]["DeadLetterQueueSourceArn"] == _arn(sqs, dlq) for m in moved)


def test_move_task_errors(sqs: Any) -> None:
    plain = sqs.create_queue(QueueName=f"plain-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    with pytest.raises(ClientError) as exc:
        sqs.start_message_move_task(SourceArn=_arn(sqs, plain))
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        sqs.cancel_message_move_task(TaskHandle="bm90IGEgdGFzaw==")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert sqs.list_message_move_tasks(SourceArn=_arn(sqs, plain))["Results"] == []
