"""What the mapping tests do with queues: a queue with a dead-letter queue, sending, and long-polling for results."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any


def arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def queue(sqs: Any, *, visibility: int = 2, **attributes: str) -> tuple[str, str]:
    """A queue (its URL and ARN) whose failed messages move to a dead-letter queue at their second receive;
    the dead-letter queue's URL is its `dlq` attribute."""
    dlq = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    redrive = json.dumps({"deadLetterTargetArn": arn(sqs, dlq), "maxReceiveCount": 1})
    url = sqs.create_queue(
        QueueName=f"work-{uuid.uuid4().hex[:8]}",
        Attributes={"VisibilityTimeout": str(visibility), "RedrivePolicy": redrive, **attributes},
    )["QueueUrl"]
    DLQ[url] = dlq
    return url, arn(sqs, url)


DLQ: dict[str, str] = {}


def bodies(sqs: Any, url: str, count: int) -> list[str]:
    """`count` messages' bodies from `url` (deleted), long-polling for them."""
    bodies: list[str] = []
    deadline = time.monotonic() + 60
    while len(bodies) < count and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=20).get("Messages", [])
        for message in got:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def batches(sqs: Any, seen: str, records: int) -> list[list[dict[str, Any]]]:
    """The events the function got, until `records` records in all."""
    batches: list[list[dict[str, Any]]] = []
    while sum(len(b) for b in batches) < records:
        got = bodies(sqs, seen, 1)  # a receive may bring several: each is a batch
        assert got, f"the function saw {batches}, not {records} records"
        batches += [json.loads(body) for body in got]
    return batches


def drained(sqs: Any, url: str) -> bool:
    """Whether the queue ends empty (visible and in flight) within a bounded wait."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        if all(counts[name] == "0" for name in names):
            return True
        sqs.receive_message(QueueUrl=DLQ.get(url, url), WaitTimeSeconds=1, VisibilityTimeout=0)
    return False


def send(sqs: Any, url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies[start : start + 10])]
        assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
