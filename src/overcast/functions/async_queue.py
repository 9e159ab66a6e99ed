"""AsyncQueue: the durable queue of events accepted for asynchronous invocation, on the bus.

One JetStream stream for every function (`LAMBDA_ASYNC`, workqueue retention, file storage, synced
on every write), a subject per function (`async.<account>.<region>.<name>`) and one durable pull
consumer per function filtered on it (issue 14's contract 1: a stream per function would reserve
64 MiB of the node's store each). `put` returns once the event is on disk, so the 202 that follows
it is a promise kept across a crash; an event leaves the stream only when its dispatcher acks it,
after its last attempt and destination. The consumer is created before a function's first event is
published, so at start `queued` finds every function with events left (each consumer's pending and
unacknowledged count) and their dispatchers resume.

The consumer's ack_wait is longer than an event may live (MaximumEventAgeInSeconds is at most six
hours): retries wait on Overcast's clock, never on nats-server's timers (contract 2), and a delivery
is delivered again only after a restart, when the consumer is made anew and hands out again
everything unacknowledged (at least once).

Group commit. nats-server syncs every write on its own, and so does each ack, which deletes the message: a
confirmed publish took 0.48 ms p50 on a file stream against 0.21 ms on a memory one, a bare write + fsync of
this disk 0.26 ms. One message per event held accepts to 855-930/s against 4,856-5,038 synchronous Invokes/s
(0.18x, the `_async_throughput` of `python -m bench invoke`, 8 clients, load 1.3-3.5). So while a publish of a
function's events is in flight, the events that arrive meanwhile form one group, published as one message when
it returns (no timer: an event that finds nothing in flight goes out at once, as itself, so an idle function
pays nothing). A group holds at most MAX_GROUP_EVENTS events and about MAX_EVENT_BYTES of payloads; its
message (header `Overcast-Events`) frames each event's headers (JSON) and payload. The dispatcher
acknowledges a message once every event in it is done, so a group costs one write to store it and one to
delete it; after a crash all of its events run again, those that had finished too (at least once). With 8
clients a group held ~4 events and accepts reached 1,850-2,024/s against 4,703-4,937 (0.39-0.41x, alternating
runs, load 3.2-4.3; with the dispatcher's config reads cached too). What is left is the wait itself: with
nothing drained (reserved concurrency 0) accepts reach 2,000-3,500/s, the rest of a round trip being ~1.5
publishes (the one in flight, then the event's own); two publishes in flight per function instead of one
measured the same (2,005-2,958 against 2,062-3,548/s throttled), so one it is. JetStream's atomic batch
publish (nats-server 2.12's `allow_atomic`) was not measured: it would still store, and delete, each event as a
message of its own. Since then the publish itself takes a lean path (bus/publisher.py): sequential accepts with
nothing draining went from 1.20 to 1.05 ms p50 (alternating runs of both trees, 2,000 each). Spreading a
function's groups over 4 streams, so that their fsyncs overlap, was measured and left: groups halved and each
publish took longer on the busy machine (3,621-4,205 against 3,683-4,052 accepts/s, throttled).
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from overcast.errors import AwsError, ServiceUnavailable
from overcast.functions.invocation_records import AsyncEvent

if TYPE_CHECKING:
    from overcast.bus.connection import Bus
    from overcast.bus.messages import Message
    from overcast.bus.on_demand import OnDemandBus

STREAM = "LAMBDA_ASYNC"
_PREFIX = "async"
ACK_WAIT = 12 * 3600.0 + 3600.0  # the longest an event may wait (6 h), twice, and a 15-minute run: never reached
MAX_EVENT_BYTES = 1024 * 1024  # https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: 1 MB asynchronous
MAX_GROUP_EVENTS = 32  # events one bus message holds at most (all of them run again if a crash comes before its ack)
GROUP_HEADER = "Overcast-Events"  # on a message holding several events: how many
_LENGTH = struct.Struct(">I")


class ServiceException(AwsError):
    code, status = "ServiceException", 500
    sender_fault = False


@dataclass(frozen=True, slots=True)
class FunctionKey:
    """A function whose events share a subject and a consumer."""

    account: str
    region: str
    name: str

    @property
    def subject(self) -> str:
        return f"{_PREFIX}.{self.account}.{self.region}.{self.name}"

    @property
    def durable(self) -> str:
        # Account ids and Regions have no "_": the name (which may) is what follows the second one.
        return f"{self.account}_{self.region}_{self.name}"

    @classmethod
    def of_durable(cls, durable: str) -> FunctionKey | None:
        parts = durable.split("_", 2)
        return cls(*parts) if len(parts) == 3 else None


@dataclass(slots=True)
class _Group:
    """Events accepted together: published as one message, each caller answered once it is on disk."""

    stored: asyncio.Future[None]
    events: list[AsyncEvent] = field(default_factory=list)
    size: int = 0

    def fits(self, size: int) -> bool:
        return not self.events or (len(self.events) < MAX_GROUP_EVENTS and self.size + size <= MAX_EVENT_BYTES)

    def fail(self, exc: BaseException) -> None:
        if not self.stored.done():
            self.stored.set_exception(exc)
            self.stored.exception()  # retrieved here too: callers that gave up waiting leave no warning


class AsyncQueue:
    """The events waiting for their functions, on the node's bus (started at the first event)."""

    def __init__(self, bus: OnDemandBus) -> None:
        self._on_demand = bus
        self._bus: Bus | None = None
        self._consumers: set[FunctionKey] = set()
        self._lock = asyncio.Lock()
        self._groups: dict[FunctionKey, deque[_Group]] = {}  # per function: events waiting for their publish
        self._publishers: dict[FunctionKey, asyncio.Task[None]] = {}

    @property
    def started(self) -> bool:
        return self._on_demand.started

    async def bus(self) -> Bus:
        if self._bus is None:
            async with self._lock:
                if self._bus is None:
                    bus = await self._on_demand.get()
                    await bus.ensure_stream(
                        STREAM, [f"{_PREFIX}.>"], retention="workqueue", storage="file",
                        max_msg_size=MAX_EVENT_BYTES + 64 * 1024, max_bytes=bus.message_stream_bytes,
                    )  # fmt: skip
                    self._bus = bus
        return self._bus

    async def consumer(self, key: FunctionKey) -> Bus:
        """The bus, with the function's consumer made anew by this process (once): a consumer an earlier run left
        would hand out what that run held unacknowledged only after its ack_wait, so it is deleted and made again,
        and the new one delivers every event still on the stream (at least once). The events stay on the stream
        meanwhile: a workqueue stream removes a message only when it is acknowledged."""
        bus = await self.bus()
        if key not in self._consumers:
            async with self._lock:
                if key not in self._consumers:
                    await bus.delete_consumer(STREAM, key.durable)
                    await bus.ensure_consumer(STREAM, key.durable, filter_subject=key.subject, ack_wait=ACK_WAIT)
                    self._consumers.add(key)
        return bus

    async def put(self, event: AsyncEvent) -> None:
        """Store the event (on disk when this returns). A full queue is refused, never acknowledged.

        Group commit: while a publish of the function's events is in flight, the events that arrive join one
        group, published as one message when it returns (no timer: an event that finds nothing in flight goes
        out at once)."""
        key = FunctionKey(event.account, event.region, event.function_name)
        try:
            bus = await self.consumer(key)
        except ServiceUnavailable as exc:
            raise _cannot_take(exc) from exc
        groups = self._groups.setdefault(key, deque())
        size = _framed_size(event)
        if not groups or not groups[-1].fits(size):
            groups.append(_Group(asyncio.get_running_loop().create_future()))
        group = groups[-1]
        group.events.append(event)
        group.size += size
        if key not in self._publishers:
            self._publishers[key] = asyncio.get_running_loop().create_task(self._publish(bus, key, groups))
        await group.stored

    async def _publish(self, bus: Bus, key: FunctionKey, groups: deque[_Group]) -> None:
        """Publish the function's groups one after another, each on disk before the next goes."""
        try:
            while groups:
                group = groups.popleft()
                data, headers = _pack(group.events)
                try:
                    await bus.publish(key.subject, data, headers)
                except ServiceUnavailable as exc:
                    group.fail(_cannot_take(exc))
                except BaseException as exc:
                    group.fail(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                else:
                    group.stored.set_result(None)
        finally:
            del self._publishers[key]
            for group in groups:  # cancelled: nothing more goes out
                group.fail(ServiceException("The asynchronous invocation queue is closing."))

    async def fetch(self, key: FunctionKey, batch: int, timeout: float) -> list[tuple[Message, list[AsyncEvent]]]:
        """Up to `batch` messages of the function's, each with its events (one message may hold several)."""
        bus = await self.consumer(key)
        messages = await bus.fetch(STREAM, key.durable, batch=batch, timeout=timeout)
        return [(m, _unpack(key, m)) for m in messages]

    async def drop(self, key: FunctionKey) -> None:
        """A deleted function's queue: its events purged and its consumer deleted, as AWS drops a deleted function's
        queued events (left, the consumer would stay on the bus for every name ever invoked asynchronously). Nothing
        to do if this run has not used the queue: an earlier run's events would have started it at start."""
        if self._bus is None:
            return
        async with self._lock:
            self._consumers.discard(key)
            await self._bus.purge_stream(STREAM, key.subject)
            await self._bus.delete_consumer(STREAM, key.durable)

    async def queued(self) -> list[FunctionKey]:
        """The functions with events not yet done (pending or delivered and unacknowledged)."""
        bus = await self.bus()
        found = []
        for state in await bus.consumers(STREAM):
            key = FunctionKey.of_durable(state.name)
            if key is not None and state.num_pending + state.num_ack_pending > 0:
                found.append(key)
        return found


def _cannot_take(exc: ServiceUnavailable) -> ServiceException:
    return ServiceException(f"The asynchronous invocation queue cannot take the event now: {exc.message}")


def _framed_size(event: AsyncEvent) -> int:
    # The payload and its headers' frame (request id, name, time, qualifier, trace id: a few hundred bytes), counted
    # as 256: a group's payloads stay under MAX_EVENT_BYTES, and its frames within the stream's 64 KiB to spare.
    return len(event.payload) + 256


def _pack(events: list[AsyncEvent]) -> tuple[bytes, dict[str, str]]:
    """One event as itself (its headers and payload); several as frames of (headers as JSON, payload)."""
    if len(events) == 1:
        return events[0].payload, events[0].headers()
    frames = []
    for event in events:
        headers = json.dumps(event.headers(), separators=(",", ":")).encode()
        frames += [_LENGTH.pack(len(headers)), headers, _LENGTH.pack(len(event.payload)), event.payload]
    return b"".join(frames), {GROUP_HEADER: str(len(events))}


def _unpack(key: FunctionKey, message: Message) -> list[AsyncEvent]:
    if GROUP_HEADER not in message.headers:
        return [AsyncEvent.of(key.account, key.region, message.headers, message.data)]
    events, data, at = [], memoryview(message.data), 0
    for _ in range(int(message.headers[GROUP_HEADER])):
        (size,) = _LENGTH.unpack_from(data, at)
        headers = json.loads(data[at + 4 : at + 4 + size].tobytes())
        at += 4 + size
        (size,) = _LENGTH.unpack_from(data, at)
        events.append(AsyncEvent.of(key.account, key.region, headers, data[at + 4 : at + 4 + size].tobytes()))
        at += 4 + size
    return events
