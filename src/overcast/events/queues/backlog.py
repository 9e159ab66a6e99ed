"""A queue's messages as this node holds them between the bus and receivers: fetched but delayed, fetched and
visible, and in flight (received, invisible until their visibility timeout passes on the injected clock).

The bus stores every message (stream SQS, subject `sqs.<queue id>`, workqueue retention: an ack deletes it
durably) and delivers it through the queue's durable pull consumer, whose ack_wait is longer than any
message lives, so the bus never redelivers on its own: this node decides on its clock when an in-flight
message becomes visible again (nak) or is deleted (ack). After a crash the consumer is recreated, so every
unacknowledged message is delivered again (at least once, never lost).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import heapq
from collections import deque
from dataclasses import dataclass, field

from overcast.bus.messages import Message
from overcast.events.queues.errors import ReceiptHandleIsInvalid


@dataclass(slots=True)
class InFlight:
    message: Message
    visible_at: float  # epoch seconds on the injected clock


@dataclass(slots=True)
class Backlog:
    queue_id: str
    ready: deque[Message] = field(default_factory=deque)  # fetched, visible, not handed out
    delayed: list[tuple[float, int, Message]] = field(default_factory=list)  # heap by when each becomes visible
    inflight: dict[str, InFlight] = field(default_factory=dict)  # by ack subject
    first_received: dict[int, int] = field(default_factory=dict)  # stream sequence -> epoch ms
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # something may have become visible

    @property
    def durable(self) -> str:
        return f"q{self.queue_id}"

    @property
    def subject(self) -> str:
        return subject_of(self.queue_id)

    def delay(self, due: float, message: Message) -> None:
        heapq.heappush(self.delayed, (due, message.sequence, message))

    def release(self, now: float) -> bool:
        """Move the delayed messages whose time has come to `ready`; whether any moved."""
        moved = False
        while self.delayed and self.delayed[0][0] <= now:
            self.ready.append(heapq.heappop(self.delayed)[2])
            moved = True
        return moved

    def clear(self) -> None:
        self.ready.clear()
        self.delayed.clear()
        self.inflight.clear()
        self.first_received.clear()


def subject_of(queue_id: str) -> str:
    return f"sqs.{queue_id}"


def receipt_of(queue_id: str, ack_subject: str) -> str:
    return base64.urlsafe_b64encode(f"{queue_id} {ack_subject}".encode()).decode()


def parse_receipt(receipt: str, queue_id: str) -> str:
    """The ack subject inside a receipt handle of this queue."""
    try:
        owner, _, ack_subject = base64.urlsafe_b64decode(receipt.encode()).decode().partition(" ")
    except (binascii.Error, UnicodeError, ValueError):
        owner, ack_subject = "", ""
    if owner != queue_id or not ack_subject.startswith("$JS.ACK."):
        raise ReceiptHandleIsInvalid(f'The input receipt handle "{receipt}" is not a valid receipt handle.')
    return ack_subject
