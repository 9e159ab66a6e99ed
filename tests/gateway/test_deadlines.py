"""Deadlines: calls past their integration timeout are cancelled, in order, with one timer per timeout value."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from overcast.gateway.deadlines import Deadlines


class Backend:
    """Calls that wait until the test answers them."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[str]] = {}

    async def call(self, deadlines: Deadlines, name: str, seconds: float) -> str:
        future = self.waiting[name] = asyncio.get_running_loop().create_future()
        call = deadlines.start(seconds)
        try:
            return await future
        except asyncio.CancelledError:
            if deadlines.finish(call):
                return "timed out"
            raise
        finally:
            deadlines.finish(call)


def run_on_fake_time(scenario: Callable[[list[float]], Awaitable[None]]) -> None:
    """Run `scenario` on a fresh loop whose clock moves only when the scenario moves it (now[0])."""
    loop = asyncio.new_event_loop()
    now = [1000.0]
    loop.time = lambda: now[0]  # type: ignore[method-assign]
    try:
        loop.run_until_complete(scenario(now))
    finally:
        loop.close()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_call_past_its_deadline_times_out_and_one_answered_in_time_does_not() -> None:
    async def scenario(now: list[float]) -> None:
        deadlines, backend = Deadlines(), Backend()
        slow = asyncio.ensure_future(backend.call(deadlines, "slow", 29.0))
        await settle()
        now[0] += 10
        fast = asyncio.ensure_future(backend.call(deadlines, "fast", 29.0))
        await settle()
        backend.waiting["fast"].set_result("answered")
        assert await fast == "answered"
        now[0] += 19.5  # the first call's deadline has passed
        assert await slow == "timed out"
        assert not asyncio.current_task().cancelling()  # type: ignore[union-attr]

    run_on_fake_time(scenario)


def test_calls_expire_in_order_each_at_its_own_deadline() -> None:
    async def scenario(now: list[float]) -> None:
        deadlines, backend = Deadlines(), Backend()
        first = asyncio.ensure_future(backend.call(deadlines, "first", 5.0))
        await settle()
        now[0] += 3
        second = asyncio.ensure_future(backend.call(deadlines, "second", 5.0))
        short = asyncio.ensure_future(backend.call(deadlines, "short", 1.0))
        await settle()
        now[0] += 2.5  # past the first's and the short one's deadlines, not the second's
        assert await first == "timed out"
        assert await short == "timed out"
        await settle()
        assert not second.done()
        now[0] += 3
        assert await second == "timed out"

    run_on_fake_time(scenario)


def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    async def scenario(now: list[float]) -> None:
        deadlines, backend = Deadlines(), Backend()
        task = asyncio.ensure_future(backend.call(deadlines, "c", 29.0))
        await settle()
        task.cancel()  # e.g. the client went away
        with pytest.raises(asyncio.CancelledError):
            await task
        now[0] += 60  # its timer fires later and finds nothing to cancel
        await settle()
        other = asyncio.ensure_future(backend.call(deadlines, "d", 29.0))
        await settle()
        backend.waiting["d"].set_result("answered")
        assert await other == "answered"

    run_on_fake_time(scenario)
