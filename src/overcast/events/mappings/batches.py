"""What a queue's mapping does with one batch, pure: the event a function gets, which records a filter keeps, and
which messages a function's answer failed.

The event is Lambda's for SQS (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, shaped as the
conformance fixture sqsEvent.json); the answer's rules are those of partial batch responses
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from overcast.events.patterns import Pattern

# The system attributes Lambda passes in a record's `attributes` (those SQS has for the message).
RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp", "SequenceNumber",
    "MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader", "DeadLetterQueueSourceArn",
)  # fmt: skip


class AttributeValue(Protocol):
    @property
    def data_type(self) -> str: ...
    @property
    def string_value(self) -> str | None: ...
    @property
    def binary_value(self) -> bytes | None: ...


class QueueMessage(Protocol):
    """A received message, as the queues service gives it (events/queues/records.py's ReceivedMessage)."""

    @property
    def message_id(self) -> str: ...
    @property
    def receipt_handle(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def md5_of_body(self) -> str: ...
    @property
    def attributes(self) -> Mapping[str, str]: ...
    @property
    def message_attributes(self) -> Mapping[str, AttributeValue]: ...


def record(message: QueueMessage, queue_arn: str, region: str) -> dict[str, Any]:
    """One message as a record of the SQS event."""
    attributes = {name: message.attributes[name] for name in RECORD_ATTRIBUTES if name in message.attributes}
    return {
        "messageId": message.message_id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": {name: _attribute(value) for name, value in message.message_attributes.items()},
        "md5OfBody": message.md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _attribute(value: AttributeValue) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if value.string_value is not None:
        out["stringValue"] = value.string_value
    if value.binary_value is not None:
        out["binaryValue"] = base64.b64encode(value.binary_value).decode()
    out["stringListValues"] = []
    out["binaryListValues"] = []
    out["dataType"] = value.data_type
    return out


def kept(records: Sequence[dict[str, Any]], filters: Sequence[Pattern]) -> list[bool]:
    """Whether each record passes the mapping's filters (any of them; all pass when there are none). A filter
    sees the body parsed when it is JSON, else the body's text
    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html#filtering-sqs)."""
    if not filters:
        return [True] * len(records)
    return [any(f.matches(_filtered(r)) for f in filters) for r in records]


def _filtered(record: dict[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(record["body"])
    except ValueError:
        body = record["body"]
    return {**record, "body": body}


@dataclass(frozen=True, slots=True)
class Outcome:
    """Which of a batch's messages failed; `whole` when the batch as a whole did."""

    failed: frozenset[str]
    whole: bool
    reason: str = ""


def outcome(ids: Sequence[str], payload: bytes, function_error: str | None, report_item_failures: bool) -> Outcome:
    """The messages a function's answer failed. Without ReportBatchItemFailures an error fails the batch and
    anything else succeeds it. With it, an empty or null batchItemFailures (or an empty or null answer) succeeds
    the batch; an itemIdentifier that is null, empty, unknown or under another key, or an answer that is not
    JSON, fails the whole batch."""
    everything = frozenset(ids)
    if function_error is not None:
        return Outcome(everything, True, "PROBLEM: Function call failed")
    if not report_item_failures:
        return Outcome(frozenset(), False)
    try:
        answer = json.loads(payload) if payload.strip() else None
    except ValueError:
        return Outcome(everything, True, "PROBLEM: Function response is not valid JSON")
    if answer is None or answer == {}:
        return Outcome(frozenset(), False)
    items = answer.get("batchItemFailures") if isinstance(answer, dict) else _MALFORMED
    if items is None:
        return Outcome(frozenset(), False)
    if not isinstance(items, list):
        return Outcome(everything, True, "PROBLEM: Invalid batchItemFailures")
    failed = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or not identifier or identifier not in everything:
            return Outcome(everything, True, "PROBLEM: Invalid batchItemFailures")
        failed.add(identifier)
    return Outcome(frozenset(failed), False)


_MALFORMED: Any = object()
