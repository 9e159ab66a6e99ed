"""The asynchronous event queue's group commit, on a real bus: events accepted while a publish is in flight go
out together as one message, and each comes back whole."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.functions.async_queue import MAX_EVENT_BYTES, STREAM, AsyncQueue, FunctionKey
from overcast.functions.invocation_records import AsyncEvent
from tests.functions.live import Live, live_server

KEY = FunctionKey("000000000000", "us-east-1", "grouped")  # no such function: nothing dispatches its events


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_server(tmp_path) as server:
        yield server


def _event(n: int, payload: bytes | None = None) -> AsyncEvent:
    body = payload if payload is not None else b'{"n": %d}' % n
    qualifier, trace = "live" if n % 2 else None, f"Root=1-{n:08x}" if n % 3 else None
    return AsyncEvent(f"request-{n}", KEY.account, KEY.region, KEY.name, qualifier, body, 1.7e9 + n / 4, trace)


async def test_events_accepted_while_a_publish_is_in_flight_are_stored_as_one_message(live: Live) -> None:
    assert live.system.bus is not None
    queue = AsyncQueue(live.system.bus)
    await queue.put(_event(0))  # alone: published at once, as itself
    await asyncio.gather(*(queue.put(_event(n)) for n in range(1, 25)))  # all arrive before that publish returns
    bus = await queue.bus()
    assert (await bus.stream_state(STREAM)).messages == 2
    taken = await queue.fetch(KEY, 10, 1.0)
    assert [len(events) for _, events in taken] == [1, 24]
    assert [event for _, events in taken for event in events] == [_event(n) for n in range(25)]
    for message, _ in taken:
        await message.ack()
    assert (await bus.stream_state(STREAM)).messages == 0


async def test_a_group_holds_at_most_a_maximum_events_worth_of_payloads(live: Live) -> None:
    assert live.system.bus is not None
    queue = AsyncQueue(live.system.bus)
    await queue.put(_event(0))
    big = b"x" * (MAX_EVENT_BYTES // 2 + 1)
    await asyncio.gather(*(queue.put(_event(n, big)) for n in range(1, 4)))
    taken = await queue.fetch(KEY, 10, 1.0)
    assert [len(events) for _, events in taken] == [1, 1, 1, 1]
    assert [event.payload for _, events in taken for event in events] == [_event(0).payload, big, big, big]
