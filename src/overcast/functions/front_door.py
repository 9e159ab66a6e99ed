"""FrontDoor: while several callers of the Invoke API send asynchronous events at once, the runs of queued ones wait.

On AWS the queue that accepts asynchronous events and the pollers that run them are apart: a caller's 202 does not
wait on anybody's runs ("Lambda places the event in a queue and returns a success response ... A separate process
reads events from the queue and sends them to your function", invocation-async.html). Here both share one event
loop and the machine's cores, and running an event costs about what a synchronous Invoke does on top of accepting
it: with the runs taking turns among the accepts, bursts of 3,600 events from 8 clients were accepted at
2,443-3,290/s, with them waiting as here at 4,446-6,959/s, and accepted and run end to end at 2,104-3,116 against
1,982-2,839 events/s, the same within this VM's spread (alternating runs of both trees, a no-op function at
1769 MB, 8 bursts each).

So a burst comes first: an event taken off the queue waits while BUSY or more of the API's accepts are under way
at once (and until QUIET seconds have passed without that), for at most WINDOW seconds after it was taken; then it
runs whatever comes in, so a burst longer than that shares the loop with the runs again and the queue does not
grow without them. One caller sending one event after another is not a burst: its events run as they come. Only
the API's accepts count: the events Overcast queues itself (destinations, SNS deliveries) would otherwise hold
back the runs that make them.

These times are the machine's (time.monotonic), not the injected clock's: this is about sharing the CPU, not
about when anything is due.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

BUSY = 2  # the API's accepts under way at once that make a burst
QUIET = 0.005  # seconds with fewer than BUSY accepts under way after which a burst is over
WINDOW = 2.0  # the longest an event taken off the queue gives way to a burst


class FrontDoor:
    def __init__(
        self,
        window: float = WINDOW,
        busy: int = BUSY,
        quiet: float = QUIET,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.window = window
        self.busy = busy
        self.quiet = quiet
        self._now = now
        self._sleep = sleep
        self._under_way = 0
        self._busy_until = -float("inf")  # when fewer than `busy` accepts were last under way, plus `quiet`
        self._idle = asyncio.Event()  # set once the burst has been over for `quiet` seconds
        self._idle.set()
        self._settling: asyncio.Task[None] | None = None

    def now(self) -> float:
        return self._now()

    @property
    def idle(self) -> bool:
        return self._idle.is_set()

    @contextmanager
    def accepting(self) -> Iterator[None]:
        """An accept of the Invoke API's, under way while this lasts."""
        self._under_way += 1
        if self._under_way >= self.busy:
            self._idle.clear()
        try:
            yield
        finally:
            self._under_way -= 1
            if self._under_way == self.busy - 1:  # the burst may be over: idle after `quiet` without another
                self._busy_until = self._now() + self.quiet
                if self._settling is None:
                    self._settling = asyncio.get_running_loop().create_task(self._settle())

    async def _settle(self) -> None:
        try:
            while True:
                left = self._busy_until - self._now()
                if left <= 0 and self._under_way < self.busy:
                    self._idle.set()
                    return
                if self._under_way >= self.busy:
                    return  # busy again: the next end of the burst settles it
                await self._sleep(left)
        finally:
            self._settling = None

    async def turn(self, taken: float) -> None:
        """Return once no burst is under way, or `window` seconds after `taken` (when the event left the queue)."""
        if self._idle.is_set():
            return
        left = taken + self.window - self._now()
        if left <= 0:
            return
        idle = asyncio.ensure_future(self._idle.wait())
        timer = asyncio.ensure_future(self._sleep(left))
        try:
            await asyncio.wait((idle, timer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            idle.cancel()
            timer.cancel()
