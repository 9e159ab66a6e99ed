"""FakeClock: time moves only when advanced, and sleepers wake in deadline order."""

from __future__ import annotations

import asyncio

from overcast.clock import FakeClock


async def test_sleepers_wake_in_order_when_time_is_advanced() -> None:
    clock = FakeClock(start=1000.0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    tasks = [asyncio.create_task(sleeper("late", 120)), asyncio.create_task(sleeper("early", 5))]
    await asyncio.sleep(0)
    assert clock.sleepers == 2
    await clock.advance(60)
    assert woke == [("early", 1005.0)]
    await clock.advance(60)
    assert woke == [("early", 1005.0), ("late", 1120.0)]
    assert clock.monotonic() == 120.0
    await asyncio.gather(*tasks)


async def test_zero_sleep_yields_without_waiting() -> None:
    clock = FakeClock()
    await clock.sleep(0)
    assert clock.monotonic() == 0.0


async def test_sleeping_returns_once_tasks_have_reached_their_sleep() -> None:
    clock = FakeClock()
    reached = asyncio.Event()

    async def sleeper() -> None:
        await reached.wait()  # something slow before the sleep (a store write, say)
        await clock.sleep(10)

    task = asyncio.create_task(sleeper())
    waiting = asyncio.create_task(clock.sleeping(1))
    await asyncio.sleep(0)
    assert not waiting.done()
    reached.set()
    await asyncio.wait_for(waiting, 5)
    assert clock.sleepers == 1
    await clock.sleeping(1)  # already so: returns at once
    await clock.advance(10)
    await task
