"""FrontDoor: while callers of the Invoke API keep sending asynchronous events, the runs of queued ones wait.

On AWS the queue that accepts asynchronous events and the pollers that run them are apart: a caller's 202 does not
wait on anybody's runs ("Lambda places the event in a queue and returns a success response ... A separate process
reads events from the queue and sends them to your function", invocation-async.html). Here both share one event
loop and the machine's cores, and running an event costs about what a synchronous Invoke does on top of accepting
it: with the runs taking turns among the accepts, a burst of 3,600 events from 8 clients was accepted at
2,004-3,075/s, with them waiting at 5,021-6,487/s, and accepted and run end to end at 1,722-2,949 against
2,378-2,837 events/s (/tmp A/B of both trees, alternating runs, a no-op function at 1769 MB). So a burst of
accepts comes first: an event taken off the queue waits while the Invoke API accepted an event in the last QUIET
seconds, for at most WINDOW seconds after it was taken, then runs whatever comes in (a steady stream of accepts
longer than that shares the loop with the runs again, and the queue does not grow without them). Only the API's
accepts count: the events Overcast queues itself (destinations, SNS deliveries) would otherwise hold back the runs
that make them.

The times here are the machine's (time.monotonic), not the injected clock's: this is about sharing the CPU, not
about when anything is due, and waits of a few milliseconds change no outcome a test can see.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

QUIET = 0.005  # seconds without an accept after which the front door is idle
WINDOW = 2.0  # the longest an event taken off the queue gives way to accepts


class FrontDoor:
    def __init__(
        self,
        quiet: float = QUIET,
        window: float = WINDOW,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.quiet = quiet
        self.window = window
        self._now = now
        self._sleep = sleep
        self._last = -float("inf")  # when the Invoke API last accepted an event

    def now(self) -> float:
        return self._now()

    def accepted(self) -> None:
        """The Invoke API accepted an event."""
        self._last = self._now()

    @property
    def idle(self) -> bool:
        """No accept in the last `quiet` seconds."""
        return self._now() >= self._last + self.quiet

    async def turn(self, taken: float) -> None:
        """Return once the front door is idle, or `window` seconds after `taken` (when the event left the queue)."""
        while True:
            now = self._now()
            busy = self._last + self.quiet - now
            left = taken + self.window - now
            if busy <= 0 or left <= 0:
                return
            await self._sleep(min(busy, left))
