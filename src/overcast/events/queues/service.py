"""Queues: SQS's domain service. Queue definitions live in the store, messages on the bus (see backlog.py).

Methods take the caller's `RequestContext` and a queue named by URL (any form boto3 produces), ARN or
name. Other services (SNS, event source mappings, Lambda's dead-letter queues and destinations, Step
Functions) call these methods as the SQS API does.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from overcast.bus.on_demand import OnDemandBus
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.events.queues import contents, digests, envelopes, fifo
from overcast.events.queues.backlog import Backlog, parse_receipt, receipt_of, subject_of
from overcast.events.queues.definitions import Definitions
from overcast.events.queues.envelopes import DEDUPLICATION, DUE, GROUP, SEQUENCE, SOURCE, ms
from overcast.events.queues.errors import InvalidParameterValue, MessageNotInflight, OverLimit, PurgeQueueInProgress
from overcast.events.queues.records import MessageAttribute, Queue, ReceivedMessage, SentMessage
from overcast.events.queues.timers import Timers, first_of

if TYPE_CHECKING:  # nats-py is imported when the bus starts, not with this module
    from overcast.bus.connection import Bus
    from overcast.bus.messages import Message
    from overcast.events.queues.moves import MoveTasks

log = logging.getLogger(__name__)

STREAM = "SQS"
ACK_WAIT = 15 * 86_400.0  # longer than any message lives (14 days): the bus never redelivers on its own
MOST_IN_FLIGHT = 120_000  # a queue's in-flight limit
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
PUMP_LIMIT = 10_000  # messages GetQueueAttributes reads ahead to tell delayed ones from visible ones
FIFO_READ_AHEAD = 100
# nats-server's answers to a publish that does not fit: the stream's max_bytes or max_msgs (10077, 10076),
# the account's storage (10047), measured with nats-server 2.15.1.
FULL_CODES = (10077, 10076, 10047)
ATTEMPT_WINDOW = 300.0  # a FIFO ReceiveRequestAttemptId is answered alike for 5 minutes
PURGE_INTERVAL = 60.0  # one PurgeQueue per queue this often


def _range(name: str, value: float, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InvalidParameterValue(
            f"Value {value} for parameter {name} is invalid. Reason: Must be >= {low} and <= {high}, if provided."
        )


class Queues:
    """SQS queues and their messages."""

    def __init__(self, definitions: Definitions, bus: OnDemandBus, clock: Clock, base_url: str) -> None:
        self.definitions = definitions
        self.clock = clock
        self.base_url = base_url
        self._bus_holder = bus
        self._bus: Bus | None = None
        self._backlogs: dict[str, Backlog] = {}
        self._locks: dict[str, asyncio.Lock] = {}  # a queue's first use; a FIFO queue's sends, one at a time
        self._timers = Timers(clock, self._due)
        self._purged: dict[str, float] = {}  # queue id -> when it was last purged (this node, since it started)

    # --- addresses ---

    def url(self, queue: Queue) -> str:
        from overcast.events.queues.addresses import url_of

        return url_of(self.base_url, queue.region, queue.account, queue.name)

    async def find(self, ctx: RequestContext, queue: str) -> Queue:
        return await self.definitions.find(ctx, queue)

    async def queue_arn(self, ctx: RequestContext, queue: str) -> str:
        return (await self.find(ctx, queue)).arn

    # --- the bus ---

    async def _connected(self) -> Bus:
        if self._bus is None:
            bus = await self._bus_holder.get()
            await bus.ensure_stream(STREAM, ["sqs.>"], retention="workqueue", max_bytes=bus.message_stream_bytes)
            self._bus = bus
        return self._bus

    def _lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    async def _backlog(self, queue: Queue) -> Backlog:
        """The queue's backlog on this node; the first use recreates its consumer, so that whatever an earlier
        run left unacknowledged is delivered again."""
        backlog = self._backlogs.get(queue.id)
        if backlog is not None:
            return backlog
        async with self._lock("open " + queue.id):
            backlog = self._backlogs.get(queue.id)
            if backlog is None:
                bus = await self._connected()
                backlog = Backlog(queue.id, queue.fifo)
                await bus.delete_consumer(STREAM, backlog.durable)
                await bus.ensure_consumer(
                    STREAM,
                    backlog.durable,
                    filter_subject=backlog.subject,
                    ack_wait=ACK_WAIT,
                    max_ack_pending=MOST_IN_FLIGHT,
                )
                self._backlogs[queue.id] = backlog
        return backlog

    async def forget(self, queue: Queue) -> None:
        """Drop a deleted queue's messages, consumer and deduplication ids."""
        bus = await self._connected()
        backlog = self._backlogs.pop(queue.id, None)
        self._purged.pop(queue.id, None)
        if backlog is not None:
            backlog.clear()
        await bus.purge_stream(STREAM, subject_of(queue.id))
        await bus.delete_consumer(STREAM, f"q{queue.id}")
        await fifo.forget(self.definitions.store, queue)

    async def purge(self, ctx: RequestContext, queue: str) -> None:
        """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_PurgeQueue.html: one purge
        per queue every 60 seconds ("the time it can take to delete the messages"); here the deletion is done
        when this returns, but a second purge within the minute is refused as AWS refuses it."""
        found = await self.find(ctx, queue)
        now = self.clock.now()
        last = self._purged.get(found.id)
        if last is not None and now - last < PURGE_INTERVAL:
            raise PurgeQueueInProgress(f"Only one PurgeQueue operation on {found.name} is allowed every 60 seconds.")
        self._purged[found.id] = now
        backlog = await self._backlog(found)
        await (await self._connected()).purge_stream(STREAM, backlog.subject)
        backlog.clear()

    # --- sending ---

    async def send(
        self,
        ctx: RequestContext,
        queue: str,
        body: str,
        *,
        attributes: Mapping[str, MessageAttribute] = {},
        delay_seconds: int | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        sender_id: str | None = None,
        system_attributes: Mapping[str, MessageAttribute] = {},
        source_arn: str | None = None,
    ) -> SentMessage:
        found = await self.find(ctx, queue)
        self.check(found, body, attributes, delay_seconds, group_id, system_attributes)
        headers = {envelopes.ID: str(uuid.uuid4()), envelopes.SENDER: sender_id or ctx.account_id}
        if attributes:
            headers[envelopes.ATTRIBUTES] = envelopes.encode_attributes(attributes)
        if system_attributes:
            headers[envelopes.SYSTEM] = envelopes.encode_attributes(system_attributes)
        if source_arn:
            headers[SOURCE] = source_arn
        if not found.fifo:
            delay = found.number("DelaySeconds") if delay_seconds is None else delay_seconds
            return await self._publish(found, body, headers, attributes, system_attributes, delay)
        dedup, key = fifo.deduplication_key(found, body, group_id, deduplication_id)
        headers.update({GROUP: str(group_id), DEDUPLICATION: dedup})
        store = self.definitions.store
        async with self._lock("send " + found.id):  # one at a time: the stream's order is the queue's
            now = self.clock.now()
            before = await fifo.earlier(store, found, key, now)
            if before is not None:
                return before
            sent = await self._publish(
                found, body, headers, attributes, system_attributes, found.number("DelaySeconds")
            )
            await fifo.remember(store, found, key, sent, now)
        return sent

    def check(
        self,
        queue: Queue,
        body: str,
        attributes: Mapping[str, MessageAttribute],
        delay_seconds: int | None,
        group_id: str | None,
        system_attributes: Mapping[str, MessageAttribute] = {},
    ) -> None:
        """Refuse what SendMessage refuses, before anything is stored.
        https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html"""
        contents.check_body(body)
        contents.check_attributes(attributes)
        contents.check_attributes(system_attributes, "system")
        contents.check_size(body, attributes, queue.number("MaximumMessageSize"))
        if delay_seconds is not None:
            _range("DelaySeconds", delay_seconds, 0, 900)
        wrong = (
            ("MessageGroupId", group_id)
            if group_id is not None and not queue.fifo
            else ("DelaySeconds", delay_seconds)
            if delay_seconds and queue.fifo  # a FIFO queue's delay is its own
            else None
        )
        if wrong is not None:
            raise InvalidParameterValue(
                f"Value {wrong[1]} for parameter {wrong[0]} is invalid. Reason: The request include parameter that is "
                "not valid for this queue type."
            )

    async def _publish(
        self,
        queue: Queue,
        body: str,
        headers: dict[str, str],
        attributes: Mapping[str, MessageAttribute],
        system_attributes: Mapping[str, MessageAttribute],
        delay: int,
    ) -> SentMessage:
        bus = await self._connected()
        now = self.clock.now()
        headers[envelopes.SENT] = str(ms(now))
        if delay > 0:
            headers[DUE] = str(ms(now + delay))
        try:
            sequence = await bus.publish(subject_of(queue.id), body.encode(), headers)
        except AwsError as exc:
            if any(f"(JetStream error {code})" in exc.message for code in FULL_CODES):
                # The stream refuses more (its max_bytes or the node's storage): AWS's answer for a full queue.
                raise OverLimit(f"The queue {queue.name} holds as much as this node's message store allows.") from exc
            raise
        backlog = self._backlogs.get(queue.id)
        if backlog is not None and delay <= 0:
            backlog.arrived.set()
        return SentMessage(
            headers[envelopes.ID],
            digests.md5_of_body(body),
            digests.md5_of_attributes(attributes),
            fifo.sequence_number(sequence) if queue.fifo else None,
            digests.md5_of_attributes(system_attributes),
        )

    # --- receiving ---

    async def receive(
        self,
        ctx: RequestContext,
        queue: str,
        *,
        max_messages: int = 1,
        wait_seconds: float | None = None,
        visibility_timeout: int | None = None,
        attempt_id: str | None = None,
    ) -> list[ReceivedMessage]:
        """Up to `max_messages` messages, waiting up to `wait_seconds` for the first. `attempt_id` (FIFO's
        ReceiveRequestAttemptId) answers a retried receive with the same messages while they are in flight.
        https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html"""
        found = await self.find(ctx, queue)
        _range("MaxNumberOfMessages", max_messages, 1, 10)
        if wait_seconds is not None:
            _range("WaitTimeSeconds", wait_seconds, 0, 20)
        if visibility_timeout is not None:
            _range("VisibilityTimeout", visibility_timeout, 0, 43_200)
        wait = found.number("ReceiveMessageWaitTimeSeconds") if wait_seconds is None else wait_seconds
        visibility = found.number("VisibilityTimeout") if visibility_timeout is None else visibility_timeout
        backlog = await self._backlog(found)
        if attempt_id and found.fifo:
            earlier = backlog.attempts.get(attempt_id)
            if earlier is not None and earlier[0] > self.clock.now():
                receipts = [parse_receipt(m.receipt_handle, found.id) for m in earlier[1]]
                if all(self._current_receipt(backlog, *receipt) for receipt in receipts):
                    return earlier[1]
        deadline = self.clock.now() + wait
        while True:
            backlog.arrived.clear()
            got = await self._take(found, backlog, max_messages, visibility)
            remaining = deadline - self.clock.now()
            if got or remaining <= 0:
                break
            await first_of(self.clock, backlog.arrived, remaining)
        if attempt_id and found.fifo:
            now = self.clock.now()
            backlog.remember_attempt(attempt_id, now + ATTEMPT_WINDOW, got, now)
        return got

    async def _fill(self, queue: Queue, backlog: Backlog, most: int, now: float) -> int:
        """Fetch up to `most` more messages from the bus into the backlog; how many came."""
        bus = await self._connected()
        fetched = await bus.fetch(STREAM, backlog.durable, batch=most)
        for message in fetched:
            if await self._current(queue, backlog, message, now):
                due = envelopes.due_at(message)
                if due > now:
                    backlog.delay(due, message)
                    self._timers.schedule(due, queue.id)
                else:
                    backlog.put(message)
        return len(fetched)

    async def _current(self, queue: Queue, backlog: Backlog, message: Message, now: float) -> bool:
        """False for a message past the queue's retention period, which is deleted as AWS deletes it."""
        if envelopes.sent_at(message) + queue.number("MessageRetentionPeriod") > now:
            return True
        await (await self._connected()).ack(message.ack_subject)
        backlog.forget(message)
        return False

    async def _take(self, queue: Queue, backlog: Backlog, most: int, visibility: int) -> list[ReceivedMessage]:
        now = self.clock.now()
        backlog.release(now)
        # FIFO reads ahead, so that a receive finds a group's next messages (AWS hands out as many of one group
        # as it can) and the messages of groups not in flight behind a busy group's.
        ahead = FIFO_READ_AHEAD if queue.fifo else most
        came = await self._fill(queue, backlog, ahead, now) if backlog.available < most else -1
        redrive = json.loads(queue.attributes.get("RedrivePolicy") or "{}")
        out: list[ReceivedMessage] = []
        while len(out) < most:
            taken = backlog.take(most - len(out))
            if not taken:  # what was here went to a dead-letter queue or expired: read on, while there is more
                came = 0 if came == 0 else await self._fill(queue, backlog, ahead, now)
                if not came:
                    break
                continue
            for message in taken:
                count = backlog.receives.get(message.sequence, message.num_delivered - 1) + 1
                if not await self._current(queue, backlog, message, now):
                    continue
                past = redrive and count > int(redrive["maxReceiveCount"])
                if past and await self._dead_letter(queue, backlog, message, redrive["deadLetterTargetArn"]):
                    continue
                out.append(self._hand_out(queue, backlog, message, count, now, visibility))
        if visibility == 0:  # visible again at once
            for received in out:
                self._make_visible(backlog, parse_receipt(received.receipt_handle, queue.id)[0])
        return out

    async def _dead_letter(self, queue: Queue, backlog: Backlog, message: Message, target_arn: str) -> bool:
        """Move a message to its dead-letter queue: publish a copy there, then delete it here.
        https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"""
        target = await self.definitions.by_arn(target_arn)
        if target is None:
            log.warning("queue %s: dead-letter queue %s does not exist; the message stays", queue.arn, target_arn)
            return False
        await self.move(message, target, queue.arn)
        backlog.forget(message)
        return True

    async def move(self, message: Message, target: Queue, source_arn: str | None) -> None:
        """Publish a copy of a taken message to `target`, then delete it where it was (redrive and move tasks).
        `source_arn`: the queue it died in, for DeadLetterQueueSourceArn (None: a move back, which drops it)."""
        bus = await self._connected()
        headers = {k: v for k, v in message.headers.items() if k not in (DUE, SEQUENCE, SOURCE)}
        if source_arn:
            headers[SOURCE] = source_arn
        if target.fifo and GROUP not in headers:
            headers[GROUP] = headers[DEDUPLICATION] = headers[envelopes.ID]
        await bus.publish(subject_of(target.id), message.data, headers)
        await bus.ack(message.ack_subject)
        source = self._backlogs.get(message.subject.removeprefix("sqs."))
        if source is not None:
            source.release_flight(message.ack_subject)
            source.forget(message)
        moved = self._backlogs.get(target.id)
        if moved is not None:
            moved.arrived.set()

    async def lift(self, queue: Queue, most: int) -> list[Message]:
        """Up to `most` visible messages taken out of sight (in flight, with no timer) to be moved, or put back."""
        backlog = await self._backlog(queue)
        now = self.clock.now()
        backlog.release(now)
        if backlog.available < most:
            await self._fill(queue, backlog, most, now)
        taken = backlog.take(most)
        for message in taken:
            backlog.hold(message.ack_subject, message, float("inf"))
        return taken

    def put_back(self, queue: Queue, message: Message) -> None:
        backlog = self._backlogs.get(queue.id)
        if backlog is not None:
            self._make_visible(backlog, message.ack_subject)

    def _hand_out(
        self, queue: Queue, backlog: Backlog, message: Message, count: int, now: float, visibility: int
    ) -> ReceivedMessage:
        backlog.receives[message.sequence] = count
        first = backlog.first_received.setdefault(message.sequence, ms(now))
        backlog.hold(message.ack_subject, message, now + visibility)
        if visibility > 0:
            self._timers.schedule(now + visibility, queue.id, message.ack_subject)
        return envelopes.received(message, receipt_of(queue.id, message.ack_subject, count), count, first)

    @staticmethod
    def _current_receipt(backlog: Backlog, ack_subject: str, count: int) -> bool:
        """Whether a receipt is of the message's latest receive, and the message still in flight."""
        held = backlog.inflight.get(ack_subject)
        return held is not None and backlog.receives.get(held.message.sequence) == count

    def _make_visible(self, backlog: Backlog, ack_subject: str) -> None:
        held = backlog.release_flight(ack_subject)
        if held is not None:
            backlog.put(held.message)
            backlog.arrived.set()

    async def _due(self, queue_id: str, ack_subject: str, now: float) -> None:
        backlog = self._backlogs.get(queue_id)
        if backlog is None:
            return
        if not ack_subject:
            if backlog.release(now):
                backlog.arrived.set()
            return
        held = backlog.inflight.get(ack_subject)
        if held is not None and held.visible_at <= now:  # not deleted, nor its visibility changed since
            self._make_visible(backlog, ack_subject)

    # --- settling ---

    async def delete(self, ctx: RequestContext, queue: str, receipt_handle: str) -> None:
        """Delete a received message. A receipt of an earlier receive of it succeeds, as on AWS (the message
        may then stay)."""
        found = await self.find(ctx, queue)
        ack_subject, _ = parse_receipt(receipt_handle, found.id)
        backlog = await self._backlog(found)
        bus = await self._connected()
        held = backlog.release_flight(ack_subject)
        if held is None:
            with contextlib.suppress(AwsError):  # a delivery of an earlier run: its consumer is gone
                await bus.ack(ack_subject)
            return
        await bus.ack(ack_subject)
        backlog.forget(held.message)
        backlog.arrived.set()  # a FIFO group may be free again

    async def change_visibility(self, ctx: RequestContext, queue: str, receipt_handle: str, timeout: int) -> None:
        found = await self.find(ctx, queue)
        ack_subject, count = parse_receipt(receipt_handle, found.id)
        _range("VisibilityTimeout", timeout, 0, 43_200)
        backlog = await self._backlog(found)
        held = backlog.inflight.get(ack_subject)
        if held is None or not self._current_receipt(backlog, ack_subject, count):
            raise MessageNotInflight()
        if timeout == 0:
            self._make_visible(backlog, ack_subject)
            return
        held.visible_at = self.clock.now() + timeout
        self._timers.schedule(held.visible_at, found.id, ack_subject)

    # --- counting ---

    async def attributes(self, ctx: RequestContext, queue: str) -> Mapping[str, str]:
        """Every attribute of the queue, the approximate counts included."""
        found = await self.find(ctx, queue)
        own = {
            "QueueArn": found.arn,
            "CreatedTimestamp": str(int(found.created)),
            "LastModifiedTimestamp": str(int(found.modified)),
        }
        stored = {k: v for k, v in found.attributes.items() if v != ""}  # "" removes a policy, as on AWS
        return {**stored, **await self.counts(found), **own}

    async def counts(self, queue: Queue) -> dict[str, str]:
        """ApproximateNumberOfMessages (visible), ...NotVisible (in flight) and ...Delayed: the messages not
        fetched yet are read ahead (up to PUMP_LIMIT) so that delayed ones are told from visible ones."""
        backlog = await self._backlog(queue)
        now = self.clock.now()
        backlog.release(now)
        while backlog.visible + len(backlog.delayed) < PUMP_LIMIT:
            before = backlog.visible + len(backlog.delayed)
            await self._fill(queue, backlog, 256, now)
            if backlog.visible + len(backlog.delayed) == before:
                break
        state = await (await self._connected()).consumer_state(STREAM, backlog.durable)
        return {
            "ApproximateNumberOfMessages": str(backlog.visible + state.num_pending),
            "ApproximateNumberOfMessagesNotVisible": str(len(backlog.inflight)),
            "ApproximateNumberOfMessagesDelayed": str(len(backlog.delayed)),
        }

    @functools.cached_property
    def moves(self) -> MoveTasks:
        """Message move tasks (StartMessageMoveTask and its kin), made on first use."""
        from overcast.events.queues.moves import MoveTasks

        return MoveTasks(self)

    async def close(self) -> None:
        if "moves" in self.__dict__:
            await self.moves.close()
        await self._timers.close()


def describe(values: Mapping[str, str], names: Any) -> dict[str, str]:
    """The attributes GetQueueAttributes answers for `names` (All, or a list)."""
    wanted = set(names or ())
    if "All" in wanted:
        return dict(values)
    return {name: values[name] for name in wanted if name in values}
