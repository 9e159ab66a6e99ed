"""FIFO queues through boto3 against a real server: order per message group with one group in flight at a time,
deduplication for 5 minutes by id or content, sequence numbers, high-throughput mode and FIFO's errors.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fifo-queues.html
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _fifo(sqs: Any, **attributes: str) -> str:
    name = f"f-{uuid.uuid4().hex[:10]}.fifo"
    return str(sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true", **attributes})["QueueUrl"])


def _bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in messages]


def test_order_per_group_with_one_group_in_flight(sqs: Any) -> None:
    url = _fifo(sqs)
    sequences = []
    for n in range(3):
        for group in ("a", "b"):
            sent = sqs.send_message(
                QueueUrl=url, MessageBody=f"{group}{n}", MessageGroupId=group, MessageDeduplicationId=f"{group}{n}"
            )
            sequences.append(int(sent["SequenceNumber"]))
    assert sequences == sorted(sequences) and len(set(sequences)) == 6
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, AttributeNames=["All"])["Messages"]
    assert _bodies(first) == ["a0", "a1"]
    assert first[0]["Attributes"]["MessageGroupId"] == "a" and first[0]["Attributes"]["MessageDeduplicationId"] == "a0"
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert _bodies(second) == ["b0", "b1", "b2"]  # group a is in flight
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first[1]["ReceiptHandle"], VisibilityTimeout=0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert _bodies(again) == ["a1", "a2"]  # a1 came back before a2
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_deduplication_by_id_and_by_content(sqs: Any) -> None:
    url = _fifo(sqs, ContentBasedDeduplication="true")
    one = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    two = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    assert (one["MessageId"], one["SequenceNumber"]) == (two["MessageId"], two["SequenceNumber"])
    three = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g", MessageDeduplicationId="other")
    assert three["MessageId"] != one["MessageId"]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 2
    for message in received:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # Deleted, but within the 5 minutes the same id is still a duplicate.
    assert sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")["MessageId"] == one["MessageId"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_high_throughput_mode_deduplicates_per_group(sqs: Any) -> None:
    url = _fifo(sqs, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    a = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="a", MessageDeduplicationId="d")
    b = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="b", MessageDeduplicationId="d")
    assert a["MessageId"] != b["MessageId"]
    again = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="a", MessageDeduplicationId="d")
    assert again["MessageId"] == a["MessageId"]
    with pytest.raises(ClientError) as exc:
        _fifo(sqs, DeduplicationScope="queue", FifoThroughputLimit="perMessageGroupId")
    assert _code(exc) == "InvalidAttributeValue"


def test_receive_request_attempt_id_answers_a_retry_alike(sqs: Any) -> None:
    url = _fifo(sqs, ContentBasedDeduplication="true")
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(n), MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-1")["Messages"]
    retry = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-1")["Messages"]
    assert [m["ReceiptHandle"] for m in retry] == [m["ReceiptHandle"] for m in first]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"MessageDeduplicationId": "d"}, "MissingParameter"),
        ({"MessageGroupId": "g"}, "InvalidParameterValue"),  # no dedup id, no content-based deduplication
        ({"MessageGroupId": "g", "MessageDeduplicationId": "d", "DelaySeconds": 5}, "InvalidParameterValue"),
    ],
)
def test_fifo_send_errors(sqs: Any, kwargs: dict[str, Any], code: str) -> None:
    url = _fifo(sqs)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", **kwargs)
    assert _code(exc) == code


def test_fifo_names_and_types(sqs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="not-fifo-suffix", Attributes={"FifoQueue": "true"})
    assert _code(exc) == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=f"s-{uuid.uuid4().hex[:6]}.fifo")
    assert _code(exc) == "InvalidParameterValue"
    url = _fifo(sqs)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["FifoQueue"], attributes["ContentBasedDeduplication"]) == ("true", "false")
    assert (attributes["DeduplicationScope"], attributes["FifoThroughputLimit"]) == ("queue", "perQueue")
    standard = sqs.create_queue(QueueName=f"s-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    fifo_arn = attributes["QueueArn"]
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(
            QueueUrl=standard,
            Attributes={"RedrivePolicy": f'{{"deadLetterTargetArn": "{fifo_arn}", "maxReceiveCount": 1}}'},
        )
    assert _code(exc) == "InvalidAttributeValue"
