"""Streamed responses as their readers take them: a queue of chunks a streaming invocation fills as it runs."""

from __future__ import annotations

import asyncio


class QueueSink:
    """A ResponseSink (functions/instances.py) whose chunks a reader awaits one by one; None ends them.
    `begin` comes first (with the stream's content type), every chunk follows, `end` once the
    invocation is over (streamed or not)."""

    def __init__(self) -> None:
        self.content_type: str | None = None  # None until the runtime began to stream
        self.executed_version = "$LATEST"  # told before the invocation runs
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.started = asyncio.Event()  # set at `begin`, or at `end` when nothing was streamed

    def running(self, executed_version: str) -> None:
        self.executed_version = executed_version

    def begin(self, content_type: str) -> None:
        self.content_type = content_type
        self.started.set()

    def write(self, chunk: bytes) -> None:
        self._queue.put_nowait(chunk)

    def end(self) -> None:
        self._queue.put_nowait(None)
        self.started.set()

    async def get(self) -> bytes | None:
        return await self._queue.get()
