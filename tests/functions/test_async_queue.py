"""The asynchronous event queue's group commit, on a real bus: events accepted while a publish is in flight go
out together as one message, and each comes back whole."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from overcast.clock import FakeClock, SystemClock
from overcast.errors import ServiceUnavailable
from overcast.functions.async_dispatch import AsyncDispatch
from overcast.functions.async_queue import MAX_EVENT_BYTES, STREAM, AsyncQueue, FunctionKey
from overcast.functions.front_door import FrontDoor
from overcast.functions.invocation_records import AsyncEvent
from tests.functions.live import Live, live_server
from tests.functions.machine_time import MachineTime

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


class _Blocking:
    """An invoker whose invocations wait until released, counting how many have started."""

    def __init__(self) -> None:
        self.started = 0
        self.release = asyncio.Semaphore(0)

    async def invoke(self, ctx: object, name: str, payload: bytes, **_: object) -> object:
        self.started += 1
        await self.release.acquire()
        return SimpleNamespace(status_code=200, executed_version="$LATEST", function_error=None, payload=b"null")


class _Defaults:
    async def settings(self, ctx: object, name: str, qualifier: str | None) -> object:
        return SimpleNamespace(
            maximum_retry_attempts=None, maximum_event_age_in_seconds=None, on_success=None, on_failure=None
        )


async def _settled(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never settled")


async def test_a_dispatcher_holds_at_most_max_in_flight_messages_and_takes_more_as_they_finish(live: Live) -> None:
    assert live.system.bus is not None
    invoker = _Blocking()
    dispatch = AsyncDispatch(
        AsyncQueue(live.system.bus),
        invoker,
        _Defaults(),
        SystemClock(),
        max_in_flight=2,
        max_running=10,  # type: ignore[arg-type]
    )
    try:
        for n in range(5):  # one after another: each its own message, received now (young enough to run)
            await dispatch.accept(dataclasses.replace(_event(n), received=time.time()))
        await _settled(lambda: invoker.started == 2)
        await asyncio.sleep(0.2)
        assert invoker.started == 2  # two messages held, no more taken
        invoker.release.release()
        await _settled(lambda: invoker.started == 3)
        for _ in range(4):
            invoker.release.release()
        await _settled(lambda: invoker.started == 5)
        bus = await dispatch.queue.bus()
        await _settled(lambda: dispatch.running == 0)
        assert (await bus.stream_state(STREAM)).messages == 0  # every message acknowledged
    finally:
        await dispatch.close()


class _DownQueue(AsyncQueue):
    """A queue whose bus is gone when a deleted function's events are dropped."""

    async def drop(self, key: FunctionKey) -> None:
        raise ServiceUnavailable("the message bus is not connected")


async def test_forgetting_a_deleted_function_with_the_bus_down_fails_nothing(live: Live) -> None:
    """DeleteFunction has deleted the function when its queue is dropped: a bus that cannot drop it now leaves the
    events to be dropped when they come up, and the deletion still answers."""
    assert live.system.bus is not None
    dispatch = AsyncDispatch(_DownQueue(live.system.bus), _Blocking(), _Defaults(), SystemClock())  # type: ignore[arg-type]
    dispatch.metrics.count(("000000000000", "us-east-1", "gone"), "AsyncEventsReceived")
    await dispatch.forget("000000000000", "us-east-1", "gone")
    assert dispatch.metrics.snapshot(("000000000000", "us-east-1", "gone"))["AsyncEventsReceived"] == 0


async def test_events_wait_while_a_burst_of_the_apis_accepts_is_under_way_for_their_window_at_most(live: Live) -> None:
    assert live.system.bus is not None
    invoker, time_ = _Blocking(), MachineTime()
    door = FrontDoor(window=10.0, busy=2, quiet=1.0, now=time_.now, sleep=time_.sleep)
    dispatch = AsyncDispatch(
        AsyncQueue(live.system.bus),
        invoker,
        _Defaults(),
        SystemClock(),
        front_door=door,  # type: ignore[arg-type]
    )
    try:
        await dispatch.accept(dataclasses.replace(_event(0), received=time.time()), from_api=True)  # one caller
        await _settled(lambda: invoker.started == 1)
        invoker.release.release()

        with door.accepting():  # another caller's accept under way: with this one, a burst
            await dispatch.accept(dataclasses.replace(_event(1), received=time.time()), from_api=True)
            await asyncio.sleep(0.2)
            assert invoker.started == 1  # taken off the queue, waiting for the burst to end
        await asyncio.sleep(0.1)
        assert invoker.started == 1  # over, but not for a quiet second yet
        time_.advance(1.0)
        await _settled(lambda: invoker.started == 2)
        invoker.release.release()

        with door.accepting():  # one caller's accept under way, and an event of Overcast's own: no burst
            await dispatch.accept(dataclasses.replace(_event(2), received=time.time()))
            await _settled(lambda: invoker.started == 3)
        invoker.release.release()

        with door.accepting(), door.accepting():  # a burst that goes on
            await dispatch.accept(dataclasses.replace(_event(3), received=time.time()), from_api=True)
            for _ in range(3):
                await asyncio.sleep(0.05)
                assert invoker.started == 3
                time_.advance(3.0)
            time_.advance(1.0)  # event 3's window is over, the burst is not
            await _settled(lambda: invoker.started == 4)
            assert not door.idle
        invoker.release.release()
        await _settled(lambda: dispatch.running == 0)
    finally:
        await dispatch.close()


async def test_an_events_age_at_its_attempt_counts_its_wait_behind_a_burst(live: Live) -> None:
    """AsyncEventAge is from queueing to the attempt: a wait at the front door is part of it."""
    assert live.system.bus is not None
    invoker, clock = _Blocking(), FakeClock(start=time.time())
    door = FrontDoor(window=3600.0, busy=1, quiet=0.0)
    dispatch = AsyncDispatch(
        AsyncQueue(live.system.bus),
        invoker,
        _Defaults(),
        clock,
        front_door=door,  # type: ignore[arg-type]
    )
    try:
        with door.accepting():  # a burst under way
            await dispatch.accept(dataclasses.replace(_event(0), received=clock.now()))
            await asyncio.sleep(0.2)
            assert invoker.started == 0
            await clock.advance(30.0)
        await _settled(lambda: invoker.started == 1)
        function = (KEY.account, KEY.region, KEY.name)
        assert dispatch.metrics.snapshot(function)["AsyncEventAge.Maximum"] >= 30_000
        invoker.release.release()
        await _settled(lambda: dispatch.running == 0)
    finally:
        await dispatch.close()
