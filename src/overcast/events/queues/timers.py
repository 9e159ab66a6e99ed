"""Timers on the injected clock: when in-flight messages become visible again and delayed ones visible."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable

from overcast.clock import Clock

log = logging.getLogger(__name__)

Due = Callable[[str, str, float], Awaitable[None]]  # (queue id, ack subject or "" for delays, now)


async def first_of(clock: Clock, event: asyncio.Event, seconds: float) -> None:
    """Return when `event` is set or `seconds` have passed on the clock, whichever comes first."""
    waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(clock.sleep(seconds))]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class Timers:
    """One task for every queue's timers, started with the first one; `due` runs for each in time order."""

    def __init__(self, clock: Clock, due: Due) -> None:
        self.clock = clock
        self._due = due
        self._heap: list[tuple[float, int, str, str]] = []
        self._counter = itertools.count()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def schedule(self, when: float, queue_id: str, ack_subject: str = "") -> None:
        heapq.heappush(self._heap, (when, next(self._counter), queue_id, ack_subject))
        self._changed.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await self._next()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SQS timers failed; going on")
                await self.clock.sleep(1)

    async def _next(self) -> None:
        self._changed.clear()
        if not self._heap:
            await self._changed.wait()
            return
        now = self.clock.now()
        if self._heap[0][0] > now:
            await first_of(self.clock, self._changed, self._heap[0][0] - now)
            return
        _, _, queue_id, ack_subject = heapq.heappop(self._heap)
        await self._due(queue_id, ack_subject, now)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
