"""MachineTime: a stand-in for time.monotonic and asyncio.sleep (the front door's), moved by the test."""

from __future__ import annotations

import asyncio


class MachineTime:
    def __init__(self, start: float = 0.0) -> None:
        self.t = start
        self.moved = asyncio.Event()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        """Return once the test has moved the time `seconds` on."""
        until = self.t + seconds
        while self.t < until:
            self.moved.clear()
            await self.moved.wait()

    def advance(self, seconds: float) -> None:
        self.t += seconds
        self.moved.set()

    async def passed(self, seconds: float) -> None:
        """Move the time on, and let what waited on it go on (a few turns of the loop)."""
        self.advance(seconds)
        for _ in range(20):
            await asyncio.sleep(0)
