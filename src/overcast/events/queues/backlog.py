"""A queue's messages as this node holds them between the bus and receivers: fetched but delayed, fetched and
visible, and in flight (received, invisible until their visibility timeout passes on the injected clock).

The bus stores every message (stream SQS, subject `sqs.<queue id>`, workqueue retention: an ack deletes it
durably) and delivers it once through the queue's durable pull consumer, whose ack_wait is longer than any
message lives, so the bus never redelivers on its own. This node keeps what it fetched until it is deleted
(ack): a message whose visibility timeout passes goes back among the visible ones, here. After a crash the
consumer is recreated, so every unacknowledged message is delivered again (at least once, never lost).

A FIFO queue's visible messages are kept per message group in sequence order, and a group with a message
in flight hands out nothing else until that message is deleted or visible again.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import heapq
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from overcast.events.queues.envelopes import group_of
from overcast.events.queues.errors import ReceiptHandleIsInvalid
from overcast.events.queues.records import ReceivedMessage

if TYPE_CHECKING:
    from overcast.bus.messages import Message


@dataclass(slots=True)
class InFlight:
    message: Message
    visible_at: float  # epoch seconds on the injected clock


@dataclass(slots=True)
class Backlog:
    queue_id: str
    fifo: bool = False
    ready: deque[Message] = field(default_factory=deque)  # a standard queue's visible messages
    groups: dict[str, list[Message]] = field(default_factory=dict)  # a FIFO queue's, by group, in order
    busy: Counter[str] = field(default_factory=Counter)  # FIFO groups with messages in flight
    delayed: list[tuple[float, int, Message]] = field(default_factory=list)  # heap by when each becomes visible
    inflight: dict[str, InFlight] = field(default_factory=dict)  # by ack subject
    receives: dict[int, int] = field(default_factory=dict)  # stream sequence -> times received
    first_received: dict[int, int] = field(default_factory=dict)  # stream sequence -> epoch ms
    attempts: dict[str, tuple[float, list[ReceivedMessage]]] = field(default_factory=dict)  # FIFO receive attempts
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # something may have become visible

    def remember_attempt(self, attempt_id: str, until: float, messages: list[ReceivedMessage], now: float) -> None:
        """Keep a FIFO receive's answer for its ReceiveRequestAttemptId until `until`, dropping those past theirs
        first: every attempt is kept for the same window, so the oldest are at the front (a client naming a new
        attempt id on every receive grows this by the attempts of one window only)."""
        attempts = self.attempts
        attempts.pop(attempt_id, None)  # a retried id goes to the back, with its new deadline
        while attempts:
            oldest = next(iter(attempts))
            if attempts[oldest][0] > now:
                break
            del attempts[oldest]
        attempts[attempt_id] = (until, messages)

    @property
    def durable(self) -> str:
        return f"q{self.queue_id}"

    @property
    def subject(self) -> str:
        return subject_of(self.queue_id)

    @property
    def visible(self) -> int:
        return len(self.ready) + sum(len(messages) for messages in self.groups.values())

    @property
    def available(self) -> int:
        """Visible messages a receive may take now (for FIFO: of groups with nothing in flight)."""
        if not self.fifo:
            return len(self.ready)
        return sum(len(messages) for group, messages in self.groups.items() if not self.busy[group])

    def put(self, message: Message) -> None:
        """Make a message visible (again)."""
        if not self.fifo:
            self.ready.append(message)
            return
        messages = self.groups.setdefault(group_of(message), [])
        bisect.insort(messages, message, key=lambda m: m.sequence)

    def take(self, most: int) -> list[Message]:
        """Up to `most` visible messages, oldest first; for FIFO, only from groups with nothing in flight."""
        if not self.fifo:
            return [self.ready.popleft() for _ in range(min(most, len(self.ready)))]
        taken: list[Message] = []
        free = sorted((m[0].sequence, g) for g, m in self.groups.items() if m and not self.busy[g])
        for _, group in free:
            messages = self.groups[group]
            count = min(most - len(taken), len(messages))
            taken += messages[:count]
            del messages[:count]
            if not messages:
                del self.groups[group]
            if len(taken) >= most:
                break
        return taken

    def hold(self, ack_subject: str, message: Message, visible_at: float) -> None:
        self.inflight[ack_subject] = InFlight(message, visible_at)
        if self.fifo:
            self.busy[group_of(message)] += 1

    def release_flight(self, ack_subject: str) -> InFlight | None:
        """Take a message out of flight (deleted, or visible again)."""
        held = self.inflight.pop(ack_subject, None)
        if held is not None and self.fifo:
            group = group_of(held.message)
            self.busy[group] -= 1
            if self.busy[group] <= 0:
                del self.busy[group]
        return held

    def forget(self, message: Message) -> None:
        self.receives.pop(message.sequence, None)
        self.first_received.pop(message.sequence, None)

    def delay(self, due: float, message: Message) -> None:
        heapq.heappush(self.delayed, (due, message.sequence, message))

    def release(self, now: float) -> bool:
        """Make the delayed messages whose time has come visible; whether any were."""
        moved = False
        while self.delayed and self.delayed[0][0] <= now:
            self.put(heapq.heappop(self.delayed)[2])
            moved = True
        return moved

    def clear(self) -> None:
        self.ready.clear()
        self.groups.clear()
        self.busy.clear()
        self.delayed.clear()
        self.inflight.clear()
        self.receives.clear()
        self.first_received.clear()
        self.attempts.clear()


def subject_of(queue_id: str) -> str:
    return f"sqs.{queue_id}"


def receipt_of(queue_id: str, ack_subject: str, receive_count: int) -> str:
    """A receipt handle: the queue, which receive of the message it was, and its delivery on the bus."""
    return base64.urlsafe_b64encode(f"{queue_id} {receive_count} {ack_subject}".encode()).decode()


def parse_receipt(receipt: str, queue_id: str) -> tuple[str, int]:
    """The ack subject and receive count inside a receipt handle of this queue."""
    try:
        owner, count, ack_subject = base64.urlsafe_b64decode(receipt.encode()).decode().split(" ", 2)
        number = int(count)
    except (binascii.Error, UnicodeError, ValueError):
        owner, number, ack_subject = "", 0, ""
    if owner != queue_id or not ack_subject.startswith("$JS.ACK."):
        raise ReceiptHandleIsInvalid(f'The input receipt handle "{receipt}" is not a valid receipt handle.')
    return ack_subject, number
