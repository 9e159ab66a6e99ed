"""SQS messages through boto3 against a real server: send, receive, delete, visibility, batches, purge, redrive.

boto3 checks MD5OfMessageBody and MD5OfMessageAttributes itself on every send and receive, so each test
here also checks that the digests are AWS's.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory

ATTRIBUTES = {
    "colour": {"DataType": "String", "StringValue": "blue"},
    "count": {"DataType": "Number", "StringValue": "42"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"},
    "custom.kind": {"DataType": "String.custom", "StringValue": "c"},
}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _counts(sqs: Any, queue: str) -> tuple[int, int, int]:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    got = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
    return int(got[names[0]]), int(got[names[1]]), int(got[names[2]])


def test_send_receive_delete_with_attributes(sqs: Any, queue: str) -> None:
    sent = sqs.send_message(QueueUrl=queue, MessageBody="héllo", MessageAttributes=ATTRIBUTES)
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo".encode()).hexdigest()
    # AWS's documented example digest for these bytes is computed by botocore, which checked it already.
    assert len(sent["MD5OfMessageAttributes"]) == 32
    got = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"]
    assert len(got) == 1
    message = got[0]
    assert message["Body"] == "héllo" and message["MessageId"] == sent["MessageId"]
    assert message["MessageAttributes"] == ATTRIBUTES
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    system = message["Attributes"]
    assert system["ApproximateReceiveCount"] == "1" and system["SenderId"] == "000000000000"
    assert int(system["ApproximateFirstReceiveTimestamp"]) >= int(system["SentTimestamp"])
    assert _counts(sqs, queue) == (0, 1, 0)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    assert _counts(sqs, queue) == (0, 0, 0)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)


def test_attribute_names_select_what_comes_back(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="x", MessageAttributes=ATTRIBUTES)
    got = sqs.receive_message(
        QueueUrl=queue,
        MessageSystemAttributeNames=["SentTimestamp"],
        MessageAttributeNames=["custom.*", "colour"],
        VisibilityTimeout=0,
    )["Messages"][0]
    assert set(got["Attributes"]) == {"SentTimestamp"}
    assert set(got["MessageAttributes"]) == {"custom.kind", "colour"}
    plain = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert "Attributes" not in plain and "MessageAttributes" not in plain


def test_visibility_timeout_zero_and_change_visibility(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="again")
    first = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0, AttributeNames=["All"])["Messages"][0]
    second = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=300, AttributeNames=["All"])["Messages"][0]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"])["Messages"][0]
    assert third["Attributes"]["ApproximateReceiveCount"] == "3"
    with pytest.raises(ClientError) as exc:
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=10)
    assert _code(exc) == "AWS.SimpleQueueService.MessageNotInflight"
    with pytest.raises(ClientError) as exc:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle="garbage")
    assert _code(exc) == "ReceiptHandleIsInvalid"


def test_delayed_messages_are_counted_and_withheld(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=900)
    sqs.send_message(QueueUrl=queue, MessageBody="now")
    assert _counts(sqs, queue) == (1, 0, 1)
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["now"]


def test_long_polling_returns_when_a_message_arrives(aws: ClientFactory, sqs: Any, queue: str) -> None:
    sender = aws("sqs")
    timer = threading.Timer(0.5, lambda: sender.send_message(QueueUrl=queue, MessageBody="arrived"))
    timer.start()
    try:
        got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=20)
    finally:
        timer.join()
    assert [m["Body"] for m in got["Messages"]] == ["arrived"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"MaxNumberOfMessages": 11}, "InvalidParameterValue"),
        ({"MaxNumberOfMessages": 0}, "InvalidParameterValue"),
        ({"WaitTimeSeconds": 21}, "InvalidParameterValue"),
        ({"VisibilityTimeout": 43201}, "InvalidParameterValue"),
    ],
)
def test_receive_parameters_outside_aws_ranges(sqs: Any, queue: str, kwargs: dict[str, int], code: str) -> None:
    with pytest.raises(ClientError) as exc:
        sqs.receive_message(QueueUrl=queue, **kwargs)
    assert _code(exc) == code


def test_message_size_and_contents(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="x" * (1024 * 1024))
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=queue, MessageBody="x" * (1024 * 1024 + 1))
    assert _code(exc) == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=queue, MessageBody="bad \x01")
    assert _code(exc) == "InvalidMessageContents"
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=queue, MessageBody="x", MessageGroupId="g")
    assert _code(exc) == "InvalidParameterValue"
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"MaximumMessageSize": "1024"})
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=queue, MessageBody="x" * 1025)
    assert _code(exc) == "InvalidParameterValue"


def test_batches(sqs: Any, queue: str) -> None:
    entries = [{"Id": f"m{i}", "MessageBody": f"body {i}"} for i in range(9)] + [{"Id": "bad", "MessageBody": "\x01"}]
    sent = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert sorted(e["Id"] for e in sent["Successful"]) == sorted(f"m{i}" for i in range(9))
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in sent["Failed"]] == [("bad", "InvalidMessageContents", True)]
    received: list[dict[str, Any]] = []
    while len(received) < 9:
        received += sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert sorted(m["Body"] for m in received) == sorted(f"body {i}" for i in range(9))
    handles = [{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)]
    changed = sqs.change_message_visibility_batch(
        QueueUrl=queue, Entries=[{**h, "VisibilityTimeout": 100} for h in handles[:2]]
    )
    assert len(changed["Successful"]) == 2
    deleted = sqs.delete_message_batch(QueueUrl=queue, Entries=[*handles, {"Id": "junk", "ReceiptHandle": "junk"}])
    assert len(deleted["Successful"]) == 9
    assert [(f["Id"], f["Code"]) for f in deleted["Failed"]] == [("junk", "ReceiptHandleIsInvalid")]
    assert _counts(sqs, queue) == (0, 0, 0)


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (
            [{"Id": f"m{i}", "MessageBody": "x"} for i in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        ([{"Id": "same", "MessageBody": "x"}] * 2, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
        ([{"Id": "not ok", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        (
            [{"Id": f"m{i}", "MessageBody": "x" * 200_000} for i in range(6)],
            "AWS.SimpleQueueService.BatchRequestTooLong",
        ),
    ],
)
def test_batch_errors(sqs: Any, queue: str, entries: list[dict[str, str]], code: str) -> None:
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert _code(exc) == code


def test_purge_queue(sqs: Any, queue: str) -> None:
    for i in range(5):
        sqs.send_message(QueueUrl=queue, MessageBody=str(i))
    sqs.receive_message(QueueUrl=queue)
    sqs.purge_queue(QueueUrl=queue)
    assert _counts(sqs, queue) == (0, 0, 0)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    with pytest.raises(ClientError) as exc:  # one purge a minute (tests/events/queues/test_clock.py: on the clock)
        sqs.purge_queue(QueueUrl=queue)
    assert _code(exc) == "AWS.SimpleQueueService.PurgeQueueInProgress"  # the query-compatible code, as boto3 reads it
    assert "is allowed every 60 seconds" in exc.value.response["Error"]["Message"]


def test_redrive_to_a_dead_letter_queue_after_max_receive_count(sqs: Any, queue: str, queue_name: str) -> None:
    dlq = sqs.create_queue(QueueName=queue_name + "-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedrivePolicy": json.dumps(policy)})
    stored = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(stored["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [queue]
    sqs.send_message(QueueUrl=queue, MessageBody="poison", MessageAttributes={"k": ATTRIBUTES["colour"]})
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0)["Messages"][0]["Body"] == "poison"
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    moved = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"][0]
    assert moved["Body"] == "poison" and moved["MessageAttributes"] == {"k": ATTRIBUTES["colour"]}
    assert moved["Attributes"]["DeadLetterQueueSourceArn"].endswith(":" + queue_name)
    assert moved["Attributes"]["ApproximateReceiveCount"] == "1"
