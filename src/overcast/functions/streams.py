"""Streamed responses as their readers take them: a bounded queue of chunks a streaming invocation fills as it
runs, paced past its first 6 MB as AWS paces a stream.

Bounded: once HIGH_WATER bytes wait for the reader, `write` says so and the writer (the Runtime API's
connection) stops reading from the runtime until the reader has taken all but LOW_WATER of them, so a
function that streams faster than its client reads is held back by its own socket, not buffered in
Overcast's memory. Paced: "The first 6 MB of your function's response payload has uncapped bandwidth.
After this initial burst, Lambda streams your response at a maximum rate of 2 MBps"
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html), on the injected clock.
A reader that stops caring (its client went away) goes on taking chunks: on AWS a broken client connection
does not stop the stream's function either.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from overcast.clock import Clock

HIGH_WATER = 1 << 20  # bytes waiting for the reader past which the writer is paused
LOW_WATER = 1 << 18  # ...and below which it goes on
UNCAPPED_BYTES = 6 * 1024 * 1024  # AWS's MB are MiB here, as the 6 MB buffered limit (6,291,556 bytes) is
CAPPED_RATE = 2 * 1024 * 1024  # bytes a second past UNCAPPED_BYTES


class QueueSink:
    """A ResponseSink (functions/instances.py) whose chunks a reader awaits one by one; None ends them.
    `begin` comes first (with the stream's content type), every chunk follows, `end` once the
    invocation is over (streamed or not). Without a clock the stream is not paced (bounded all the same)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.content_type: str | None = None  # None until the runtime began to stream
        self.executed_version = "$LATEST"  # told before the invocation runs
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.started = asyncio.Event()  # set at `begin`, or at `end` when nothing was streamed
        self._clock = clock
        self._queued = 0  # bytes written and not yet taken
        self._taken = 0  # bytes taken by the reader
        self._capped_at: float | None = None  # when the reader went past UNCAPPED_BYTES
        self._resume: Callable[[], None] | None = None

    @property
    def waiting(self) -> int:
        """Bytes written and not yet taken by the reader."""
        return self._queued

    def running(self, executed_version: str) -> None:
        self.executed_version = executed_version

    def begin(self, content_type: str) -> None:
        self.content_type = content_type
        self.started.set()

    def write(self, chunk: bytes) -> bool:
        """Queue a chunk; False once HIGH_WATER bytes wait: the writer should pause (see `when_drained`)."""
        self._queue.put_nowait(chunk)
        self._queued += len(chunk)
        return self._queued < HIGH_WATER

    def when_drained(self, resume: Callable[[], None]) -> None:
        """Call `resume` once no more than LOW_WATER bytes wait (at once if that is so already)."""
        if self._queued <= LOW_WATER:
            resume()
        else:
            self._resume = resume

    def end(self) -> None:
        self._queue.put_nowait(None)
        self.started.set()

    async def get(self) -> bytes | None:
        chunk = await self._queue.get()
        if chunk:
            self._queued -= len(chunk)
            await self._pace(len(chunk))
            resume = self._resume
            if resume is not None and self._queued <= LOW_WATER:
                self._resume = None
                resume()
        return chunk

    async def _pace(self, size: int) -> None:
        """Hold a chunk that would take the stream past CAPPED_RATE since it passed UNCAPPED_BYTES."""
        self._taken += size
        clock = self._clock
        if clock is None or self._taken <= UNCAPPED_BYTES:
            return
        now = clock.monotonic()
        if self._capped_at is None:
            self._capped_at = now
        due = self._capped_at + (self._taken - UNCAPPED_BYTES) / CAPPED_RATE
        if due > now:
            await clock.sleep(due - now)
