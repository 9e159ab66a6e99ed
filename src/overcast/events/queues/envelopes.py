"""A message as the bus stores it: the body as the data, everything else SQS keeps about it in headers."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from overcast.events.queues import digests
from overcast.events.queues.records import MessageAttribute, ReceivedMessage

if TYPE_CHECKING:  # nats-py is imported when the bus starts, not with this module
    from overcast.bus.messages import Message

ID, SENT, SENDER, DUE = "Sqs-Id", "Sqs-Sent", "Sqs-Sender", "Sqs-Due"
ATTRIBUTES, SYSTEM, SOURCE = "Sqs-Attributes", "Sqs-System", "Sqs-Source"
GROUP, DEDUPLICATION, SEQUENCE = "Sqs-Group", "Sqs-Dedup", "Sqs-Sequence"


def ms(seconds: float) -> int:
    return int(seconds * 1000)


def encode_attributes(values: Mapping[str, MessageAttribute]) -> str:
    return json.dumps(
        {
            name: [a.data_type, "b", base64.b64encode(a.binary_value).decode()]
            if a.binary_value is not None and a.data_type.startswith("Binary")
            else [a.data_type, "s", a.string_value or ""]
            for name, a in values.items()
        },
        separators=(",", ":"),
    )


def decode_attributes(text: str | None) -> dict[str, MessageAttribute]:
    if not text:
        return {}
    return {
        name: MessageAttribute(kind, binary_value=base64.b64decode(value))
        if form == "b"
        else MessageAttribute(kind, string_value=value)
        for name, (kind, form, value) in json.loads(text).items()
    }


def sent_at(message: Message) -> float:
    return int(message.headers.get(SENT, "0")) / 1000


def due_at(message: Message) -> float:
    return int(message.headers.get(DUE, "0")) / 1000


def group_of(message: Message) -> str:
    return message.headers.get(GROUP, "")


def received(message: Message, receipt: str, receive_count: int, first_received: int) -> ReceivedMessage:
    """The message as a receiver gets it, with every system attribute it has."""
    headers = message.headers
    system: dict[str, str] = {
        "SenderId": headers.get(SENDER, ""),
        "SentTimestamp": headers.get(SENT, "0"),
        "ApproximateReceiveCount": str(receive_count),
        "ApproximateFirstReceiveTimestamp": str(first_received),
    }
    trace = decode_attributes(headers.get(SYSTEM)).get("AWSTraceHeader")
    if trace is not None and trace.string_value:
        system["AWSTraceHeader"] = trace.string_value
    for header, name in (
        (SOURCE, "DeadLetterQueueSourceArn"),
        (GROUP, "MessageGroupId"),
        (DEDUPLICATION, "MessageDeduplicationId"),
        (SEQUENCE, "SequenceNumber"),
    ):
        if headers.get(header):
            system[name] = headers[header]
    body = message.data.decode()
    message_attributes = decode_attributes(headers.get(ATTRIBUTES))
    return ReceivedMessage(
        message_id=headers.get(ID, ""),
        receipt_handle=receipt,
        body=body,
        md5_of_body=digests.md5_of_body(body),
        attributes=system,
        message_attributes=message_attributes,
        md5_of_message_attributes=digests.md5_of_attributes(message_attributes),
    )
