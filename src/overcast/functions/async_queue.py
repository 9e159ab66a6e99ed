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
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
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


class AsyncQueue:
    """The events waiting for their functions, on the node's bus (started at the first event)."""

    def __init__(self, bus: OnDemandBus) -> None:
        self._on_demand = bus
        self._bus: Bus | None = None
        self._consumers: set[FunctionKey] = set()
        self._lock = asyncio.Lock()

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
                        max_msg_size=MAX_EVENT_BYTES + 64 * 1024,
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
        """Store the event (on disk when this returns). A full queue is refused, never acknowledged."""
        key = FunctionKey(event.account, event.region, event.function_name)
        try:
            bus = await self.consumer(key)
            await bus.publish(key.subject, event.payload, event.headers())
        except ServiceUnavailable as exc:
            raise ServiceException(
                f"The asynchronous invocation queue cannot take the event now: {exc.message}"
            ) from exc

    async def fetch(self, key: FunctionKey, batch: int, timeout: float) -> list[tuple[Message, AsyncEvent]]:
        bus = await self.consumer(key)
        messages = await bus.fetch(STREAM, key.durable, batch=batch, timeout=timeout)
        return [(m, AsyncEvent.of(key.account, key.region, m.headers, m.data)) for m in messages]

    async def queued(self) -> list[FunctionKey]:
        """The functions with events not yet done (pending or delivered and unacknowledged)."""
        bus = await self.bus()
        found = []
        for state in await bus.consumers(STREAM):
            key = FunctionKey.of_durable(state.name)
            if key is not None and state.num_pending + state.num_ack_pending > 0:
                found.append(key)
        return found
