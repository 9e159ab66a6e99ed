"""The records of SQS queues and their messages, as the domain hands them to the API layer and to other services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from overcast.arn import format_arn, partition_of


@dataclass(frozen=True, slots=True)
class MessageAttribute:
    """A message attribute: `data_type` is String, Number or Binary, optionally with a `.custom` suffix."""

    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None


@dataclass(frozen=True, slots=True)
class SentMessage:
    message_id: str
    md5_of_body: str
    md5_of_message_attributes: str | None
    sequence_number: str | None
    md5_of_message_system_attributes: str | None = None


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """A message handed to a receiver: every system attribute and every message attribute (the API layer
    filters them by the request's AttributeNames / MessageAttributeNames)."""

    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str
    attributes: Mapping[str, str]
    message_attributes: Mapping[str, MessageAttribute]
    md5_of_message_attributes: str | None


@dataclass(frozen=True, slots=True)
class Queue:
    """A queue's definition, as the store keeps it. `attributes` holds every settable attribute's value."""

    id: str  # Overcast's own id: the queue's subject on the bus is `sqs.<id>`
    account: str
    region: str
    name: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    created: float = 0.0
    modified: float = 0.0

    @property
    def arn(self) -> str:
        return format_arn("sqs", self.region, self.account, self.name, partition_of(self.region))

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoQueue") == "true"

    def number(self, name: str) -> int:
        return int(self.attributes[name])
