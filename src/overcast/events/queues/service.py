"""Queues: SQS's domain service. Queue definitions live in the store, messages on the bus (see backlog.py).

Methods take the caller's `RequestContext` and a queue named by URL (any form boto3 produces), ARN or
name. Other services (SNS, event source mappings, Lambda's dead-letter queues and destinations, Step
Functions) call these methods as the SQS API does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import heapq
import itertools
import json
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from overcast.bus.on_demand import OnDemandBus
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.events.queues import contents, digests
from overcast.events.queues.backlog import Backlog, InFlight, parse_receipt, receipt_of, subject_of
from overcast.events.queues.definitions import Definitions
from overcast.events.queues.errors import InvalidParameterValue, MessageNotInflight, OverLimit
from overcast.events.queues.records import MessageAttribute, Queue, ReceivedMessage, SentMessage

if TYPE_CHECKING:  # nats-py is imported when the bus starts, not with this module
    from overcast.bus.connection import Bus
    from overcast.bus.messages import Message

log = logging.getLogger(__name__)

STREAM = "SQS"
ACK_WAIT = 15 * 86_400.0  # longer than any message lives (14 days): the bus never redelivers on its own
MOST_IN_FLIGHT = 120_000  # a standard queue's in-flight limit
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
PUMP_LIMIT = 10_000  # messages GetQueueAttributes reads ahead to count the delayed ones
ID, SENT, SENDER, DUE, ATTRIBUTES, SYSTEM, SOURCE = (
    "Sqs-Id",
    "Sqs-Sent",
    "Sqs-Sender",
    "Sqs-Due",
    "Sqs-Attributes",
    "Sqs-System",
    "Sqs-Source",
)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _encode_attributes(values: Mapping[str, MessageAttribute]) -> str:
    return json.dumps(
        {
            name: [a.data_type, "b", base64.b64encode(a.binary_value).decode()]
            if a.binary_value is not None and a.data_type.startswith("Binary")
            else [a.data_type, "s", a.string_value or ""]
            for name, a in values.items()
        },
        separators=(",", ":"),
    )


def _decode_attributes(text: str | None) -> dict[str, MessageAttribute]:
    if not text:
        return {}
    return {
        name: MessageAttribute(kind, binary_value=base64.b64decode(value))
        if form == "b"
        else MessageAttribute(kind, string_value=value)
        for name, (kind, form, value) in json.loads(text).items()
    }


class Queues:
    """SQS queues and their messages."""

    def __init__(self, definitions: Definitions, bus: OnDemandBus, clock: Clock, base_url: str) -> None:
        self.definitions = definitions
        self.clock = clock
        self.base_url = base_url
        self._bus_holder = bus
        self._bus: Bus | None = None
        self._backlogs: dict[str, Backlog] = {}
        self._opening: dict[str, asyncio.Lock] = {}
        self._timers: list[tuple[float, int, str, str]] = []  # (due, n, queue id, ack subject or "" for delays)
        self._counter = itertools.count()
        self._changed = asyncio.Event()
        self._timer_task: asyncio.Task[None] | None = None

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
            await bus.ensure_stream(STREAM, ["sqs.>"], retention="workqueue")
            self._bus = bus
        return self._bus

    async def _backlog(self, queue: Queue) -> Backlog:
        """The queue's backlog on this node; the first use recreates its consumer, so that whatever an earlier
        run left unacknowledged is delivered again."""
        backlog = self._backlogs.get(queue.id)
        if backlog is not None:
            return backlog
        lock = self._opening.setdefault(queue.id, asyncio.Lock())
        async with lock:
            backlog = self._backlogs.get(queue.id)
            if backlog is None:
                bus = await self._connected()
                backlog = Backlog(queue.id)
                await bus.delete_consumer(STREAM, backlog.durable)
                await bus.ensure_consumer(
                    STREAM,
                    backlog.durable,
                    filter_subject=backlog.subject,
                    ack_wait=ACK_WAIT,
                    max_ack_pending=MOST_IN_FLIGHT,
                )
                self._backlogs[queue.id] = backlog
                if self._timer_task is None:
                    self._timer_task = asyncio.get_running_loop().create_task(self._run_timers())
        return backlog

    async def forget(self, queue: Queue) -> None:
        """Drop a deleted queue's messages and consumer."""
        bus = await self._connected()
        backlog = self._backlogs.pop(queue.id, None)
        if backlog is not None:
            backlog.clear()
        await bus.purge_stream(STREAM, subject_of(queue.id))
        await bus.delete_consumer(STREAM, f"q{queue.id}")

    async def purge(self, ctx: RequestContext, queue: str) -> None:
        found = await self.find(ctx, queue)
        backlog = await self._backlog(found)
        bus = await self._connected()
        await bus.purge_stream(STREAM, backlog.subject)
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
        return await self._publish(
            found, body, attributes, delay_seconds, sender_id or ctx.account_id, system_attributes, source_arn
        )

    def check(
        self,
        queue: Queue,
        body: str,
        attributes: Mapping[str, MessageAttribute],
        delay_seconds: int | None,
        group_id: str | None,
        system_attributes: Mapping[str, MessageAttribute] = {},
    ) -> None:
        """Refuse what SendMessage refuses, before anything is stored."""
        contents.check_body(body)
        contents.check_attributes(attributes)
        contents.check_attributes(system_attributes, "system")
        contents.check_size(body, attributes, queue.number("MaximumMessageSize"))
        if delay_seconds is not None and not 0 <= delay_seconds <= 900:
            raise InvalidParameterValue(
                f"Value {delay_seconds} for parameter DelaySeconds is invalid. "
                "Reason: must be between 0 and 900, if provided."
            )
        if group_id is not None and not queue.fifo:
            # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
            raise InvalidParameterValue(
                "Value " + group_id + " for parameter MessageGroupId is invalid. Reason: The request include parameter "
                "that is not valid for this queue type."
            )

    async def _publish(
        self,
        queue: Queue,
        body: str,
        attributes: Mapping[str, MessageAttribute],
        delay_seconds: int | None,
        sender_id: str,
        system_attributes: Mapping[str, MessageAttribute],
        source_arn: str | None,
    ) -> SentMessage:
        bus = await self._connected()
        now = self.clock.now()
        message_id = str(uuid.uuid4())
        headers = {ID: message_id, SENT: str(_ms(now)), SENDER: sender_id}
        delay = queue.number("DelaySeconds") if delay_seconds is None else delay_seconds
        if delay > 0:
            headers[DUE] = str(_ms(now + delay))
        if attributes:
            headers[ATTRIBUTES] = _encode_attributes(attributes)
        if system_attributes:
            headers[SYSTEM] = _encode_attributes(system_attributes)
        if source_arn:
            headers[SOURCE] = source_arn
        try:
            await bus.publish(subject_of(queue.id), body.encode(), headers)
        except AwsError as exc:
            if "JetStream error 100" in exc.message and exc.status >= 500:
                # The stream refuses more (its max_bytes or the node's storage): AWS's answer for a full queue.
                raise OverLimit(f"The queue {queue.name} holds as much as this node's message store allows.") from exc
            raise
        backlog = self._backlogs.get(queue.id)
        if backlog is not None and delay <= 0:
            backlog.arrived.set()
        return SentMessage(
            message_id,
            digests.md5_of_body(body),
            digests.md5_of_attributes(attributes),
            None,
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
    ) -> list[ReceivedMessage]:
        found = await self.find(ctx, queue)
        # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
        if not 1 <= max_messages <= 10:
            raise InvalidParameterValue(
                f"Value {max_messages} for parameter MaxNumberOfMessages is invalid. "
                "Reason: Must be between 1 and 10, if provided."
            )
        if wait_seconds is not None and not 0 <= wait_seconds <= 20:
            raise InvalidParameterValue(
                f"Value {wait_seconds} for parameter WaitTimeSeconds is invalid. "
                "Reason: Must be >= 0 and <= 20, if provided."
            )
        if visibility_timeout is not None and not 0 <= visibility_timeout <= 43_200:
            raise InvalidParameterValue(
                f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. "
                "Reason: Must be >= 0 and <= 43200, if provided."
            )
        wait = found.number("ReceiveMessageWaitTimeSeconds") if wait_seconds is None else wait_seconds
        visibility = found.number("VisibilityTimeout") if visibility_timeout is None else visibility_timeout
        backlog = await self._backlog(found)
        deadline = self.clock.now() + wait
        while True:
            backlog.arrived.clear()
            got = await self._take(found, backlog, max_messages, visibility)
            remaining = deadline - self.clock.now()
            if got or remaining <= 0:
                return got
            await self._wait(backlog.arrived, remaining)

    async def _wait(self, event: asyncio.Event, seconds: float) -> None:
        waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(self.clock.sleep(seconds))]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _take(self, queue: Queue, backlog: Backlog, most: int, visibility: int) -> list[ReceivedMessage]:
        bus = await self._connected()
        now = self.clock.now()
        backlog.release(now)
        chosen: list[Message] = []
        while backlog.ready and len(chosen) < most:
            message = backlog.ready.popleft()
            if await self._admit(queue, backlog, message, now):
                chosen.append(message)
        if len(chosen) < most:
            for message in await bus.fetch(STREAM, backlog.durable, batch=most - len(chosen)):
                if await self._admit(queue, backlog, message, now):
                    chosen.append(message)
        out = [self._hand_out(queue, backlog, message, now, visibility) for message in chosen]
        if visibility == 0:  # visible again at once
            for message in chosen:
                backlog.inflight.pop(message.ack_subject, None)
                await bus.nak(message.ack_subject)
        return out

    async def _admit(self, queue: Queue, backlog: Backlog, message: Message, now: float) -> bool:
        """Whether a delivered message may be handed out now; retires expired ones, moves ones past the
        redrive policy's maxReceiveCount to the dead-letter queue, and holds delayed ones."""
        bus = await self._connected()
        sent = int(message.headers.get(SENT, "0")) / 1000
        if sent + queue.number("MessageRetentionPeriod") <= now:
            await bus.ack(message.ack_subject)  # past its retention period: AWS deletes it
            backlog.first_received.pop(message.sequence, None)
            return False
        policy = queue.attributes.get("RedrivePolicy")
        if policy:
            redrive = json.loads(policy)
            if message.num_delivered > int(redrive["maxReceiveCount"]) and await self._dead_letter(
                queue, message, redrive["deadLetterTargetArn"]
            ):
                backlog.first_received.pop(message.sequence, None)
                return False
        due = int(message.headers.get(DUE, "0")) / 1000
        if due > now:
            backlog.delay(due, message)
            self._schedule(due, queue.id, "")
            return False
        return True

    async def _dead_letter(self, queue: Queue, message: Message, target_arn: str) -> bool:
        """Move a message to its dead-letter queue: publish a copy there, then delete it here.
        https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"""
        target = await self.definitions.by_arn(target_arn)
        if target is None:
            log.warning("queue %s: dead-letter queue %s does not exist; the message stays", queue.arn, target_arn)
            return False
        bus = await self._connected()
        headers = {k: v for k, v in message.headers.items() if k not in (DUE,)}
        headers[SOURCE] = queue.arn
        await bus.publish(subject_of(target.id), message.data, headers)
        await bus.ack(message.ack_subject)
        moved = self._backlogs.get(target.id)
        if moved is not None:
            moved.arrived.set()
        return True

    def _hand_out(
        self, queue: Queue, backlog: Backlog, message: Message, now: float, visibility: int
    ) -> ReceivedMessage:
        first = backlog.first_received.setdefault(message.sequence, _ms(now))
        backlog.inflight[message.ack_subject] = InFlight(message, now + visibility)
        if visibility > 0:
            self._schedule(now + visibility, queue.id, message.ack_subject)
        headers = message.headers
        system: dict[str, str] = {
            "SenderId": headers.get(SENDER, ""),
            "SentTimestamp": headers.get(SENT, "0"),
            "ApproximateReceiveCount": str(message.num_delivered),
            "ApproximateFirstReceiveTimestamp": str(first),
        }
        trace = _decode_attributes(headers.get(SYSTEM)).get("AWSTraceHeader")
        if trace is not None and trace.string_value:
            system["AWSTraceHeader"] = trace.string_value
        if headers.get(SOURCE):
            system["DeadLetterQueueSourceArn"] = headers[SOURCE]
        body = message.data.decode()
        message_attributes = _decode_attributes(headers.get(ATTRIBUTES))
        return ReceivedMessage(
            message_id=headers.get(ID, ""),
            receipt_handle=receipt_of(queue.id, message.ack_subject),
            body=body,
            md5_of_body=digests.md5_of_body(body),
            attributes=system,
            message_attributes=message_attributes,
            md5_of_message_attributes=digests.md5_of_attributes(message_attributes),
        )

    # --- settling ---

    async def delete(self, ctx: RequestContext, queue: str, receipt_handle: str) -> None:
        """Delete a received message. A receipt of an earlier receive of it succeeds, as on AWS (the message
        may then stay)."""
        found = await self.find(ctx, queue)
        ack_subject = parse_receipt(receipt_handle, found.id)
        backlog = await self._backlog(found)
        held = backlog.inflight.pop(ack_subject, None)
        bus = await self._connected()
        if held is None:
            with contextlib.suppress(AwsError):  # a delivery of an earlier run: its consumer is gone
                await bus.ack(ack_subject)
            return
        await bus.ack(ack_subject)
        backlog.first_received.pop(held.message.sequence, None)

    async def change_visibility(self, ctx: RequestContext, queue: str, receipt_handle: str, timeout: int) -> None:
        found = await self.find(ctx, queue)
        ack_subject = parse_receipt(receipt_handle, found.id)
        if not 0 <= timeout <= 43_200:
            raise InvalidParameterValue(
                f"Value {timeout} for parameter VisibilityTimeout is invalid. "
                "Reason: Must be >= 0 and <= 43200, if provided."
            )
        backlog = await self._backlog(found)
        held = backlog.inflight.get(ack_subject)
        if held is None:
            raise MessageNotInflight()
        if timeout == 0:
            backlog.inflight.pop(ack_subject, None)
            await (await self._connected()).nak(ack_subject)
            backlog.arrived.set()
            return
        held.visible_at = self.clock.now() + timeout
        self._schedule(held.visible_at, found.id, ack_subject)

    # --- visibility on the clock ---

    def _schedule(self, due: float, queue_id: str, ack_subject: str) -> None:
        heapq.heappush(self._timers, (due, next(self._counter), queue_id, ack_subject))
        self._changed.set()

    async def _run_timers(self) -> None:
        while True:
            try:
                await self._next_timer()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SQS visibility timers failed; retrying")
                await self.clock.sleep(1)

    async def _next_timer(self) -> None:
        self._changed.clear()
        if not self._timers:
            await self._changed.wait()
            return
        due = self._timers[0][0]
        now = self.clock.now()
        if due > now:
            await self._wait(self._changed, due - now)
            return
        _, _, queue_id, ack_subject = heapq.heappop(self._timers)
        backlog = self._backlogs.get(queue_id)
        if backlog is None:
            return
        if not ack_subject:
            if backlog.release(now):
                backlog.arrived.set()
            return
        held = backlog.inflight.get(ack_subject)
        if held is None or held.visible_at > now:
            return  # deleted, or its visibility was changed since
        del backlog.inflight[ack_subject]
        await (await self._connected()).nak(ack_subject)
        backlog.arrived.set()

    # --- counting ---

    async def attributes(self, ctx: RequestContext, queue: str) -> Mapping[str, str]:
        """Every attribute of the queue, the approximate counts included."""
        found = await self.find(ctx, queue)
        return {**found.attributes, **await self.counts(found), **self._own(found)}

    def _own(self, queue: Queue) -> dict[str, str]:
        return {
            "QueueArn": queue.arn,
            "CreatedTimestamp": str(int(queue.created)),
            "LastModifiedTimestamp": str(int(queue.modified)),
        }

    async def counts(self, queue: Queue) -> dict[str, str]:
        """ApproximateNumberOfMessages (visible), ...NotVisible (in flight) and ...Delayed: the messages not
        fetched yet are read ahead (up to PUMP_LIMIT) so that delayed ones are told from visible ones."""
        backlog = await self._backlog(queue)
        bus = await self._connected()
        now = self.clock.now()
        backlog.release(now)
        while len(backlog.ready) + len(backlog.delayed) < PUMP_LIMIT:
            fetched = await bus.fetch(STREAM, backlog.durable, batch=256)
            if not fetched:
                break
            for message in fetched:
                if await self._admit(queue, backlog, message, now):
                    backlog.ready.append(message)
        state = await bus.consumer_state(STREAM, backlog.durable)
        return {
            "ApproximateNumberOfMessages": str(len(backlog.ready) + state.num_pending),
            "ApproximateNumberOfMessagesNotVisible": str(len(backlog.inflight)),
            "ApproximateNumberOfMessagesDelayed": str(len(backlog.delayed)),
        }

    async def close(self) -> None:
        if self._timer_task is not None:
            self._timer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer_task


def describe(queue: Queue, values: Mapping[str, str], names: Any) -> dict[str, str]:
    """The attributes GetQueueAttributes answers for `names` (All, or a list)."""
    wanted = set(names or ())
    if "All" in wanted:
        return dict(values)
    return {name: values[name] for name in wanted if name in values}
