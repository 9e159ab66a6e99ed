"""A batch gathers on the injected clock: the pollers over the real queues service (a real store and a real
embedded nats-server) with a FakeClock the tests advance, so a 5-second batching window takes no time."""

from __future__ import annotations

import asyncio

from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.events.mappings.pollers import Poller, SqsPollers
from overcast.events.mappings.records import Mapping, Settings, State
from overcast.events.queues.service import Queues

CTX = RequestContext("123456789012", "eu-west-1")


async def _poller(service: Queues, clock: FakeClock, **settings: int) -> tuple[Poller, str]:
    queue, _ = await service.definitions.create(CTX, "work", {}, {})
    mapping = Mapping(
        "3f8c2a4e-0000-4000-8000-000000000001", CTX.account_id, CTX.region, queue.arn,
        f"arn:aws:lambda:{CTX.region}:{CTX.account_id}:function:f", True, State.ENABLED, "USER_INITIATED",
        Settings(**settings), clock.now(), "",
    )  # fmt: skip
    # Gathering reaches only the queues: no function is invoked here.
    return Poller(mapping, SqsPollers(service, None, clock)), service.url(queue)


async def test_a_batch_waits_for_its_window_on_the_clock_then_goes_with_what_came(
    service: Queues, clock: FakeClock
) -> None:
    poller, url = await _poller(service, clock, batch_size=50, maximum_batching_window=5)
    assert await service.receive(CTX, url, wait_seconds=0) == []  # the queue's consumer and timers up first
    await service.send(CTX, url, "one")
    await service.send(CTX, url, "two")
    sleepers = clock.sleepers
    gathering = asyncio.create_task(poller.gather([]))
    # The window's receive waits on the clock, beside the queues' timers task (the received messages' visibility).
    await clock.sleeping(sleepers + 2)
    await clock.advance(4.5)
    assert not gathering.done()
    await service.send(CTX, url, "three")
    await clock.advance(0.6)
    batch, rest = await gathering
    assert [m.body for m in batch] == ["one", "two", "three"] and rest == []


async def test_a_full_batch_goes_before_its_window_ends(service: Queues, clock: FakeClock) -> None:
    poller, url = await _poller(service, clock, batch_size=3, maximum_batching_window=300)
    for body in ("a", "b", "c", "d"):
        await service.send(CTX, url, body)
    batch, rest = await poller.gather([])
    assert [m.body for m in batch] == ["a", "b", "c"] and rest == []
