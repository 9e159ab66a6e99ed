"""Clock: the one source of time (wall clock, monotonic clock, sleeping) for all of Overcast.

Everything that waits (timeouts, retries, schedules, Wait states, metric periods) asks a Clock,
so tests drive a FakeClock forward instead of sleeping for real.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch (wall clock)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for measuring durations)."""

    async def sleep(self, seconds: float) -> None:
        """Wait for `seconds` of this clock's time."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told to. `advance` wakes every sleeper whose time has come."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._mono = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._ids = itertools.count()
        self._watchers: list[asyncio.Future[None]] = []

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._ids), future))
        watchers, self._watchers = self._watchers, []
        for watcher in watchers:
            if not watcher.done():
                watcher.set_result(None)
        await future

    async def sleeping(self, count: int = 1) -> None:
        """Return once at least `count` tasks sleep on this clock: how a test waits for a task to reach
        its sleep before it advances time (instead of sleeping for real and hoping)."""
        while self.sleepers < count:
            watcher: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._watchers.append(watcher)
            await watcher

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking sleepers in deadline order and letting each of them run."""
        target = self._mono + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._now += deadline - self._mono
            self._mono = deadline
            if not future.done():
                future.set_result(None)
            for _ in range(3):  # let woken tasks run up to their next await
                await asyncio.sleep(0)
        self._now += target - self._mono
        self._mono = target

    @property
    def sleepers(self) -> int:
        return sum(1 for _, _, f in self._sleepers if not f.done())
