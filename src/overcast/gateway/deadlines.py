"""Deadlines: the integration timeout of every call in flight, kept with one timer per timeout value.

A timer per request (asyncio.timeout) costs a heap push and a cancellation on every call. Calls with
the same timeout end their deadlines in the order they started (the loop's clock only goes
forward), so a queue per timeout value and one timer armed for its oldest open call do the same:
a call that ends leaves the queue when it reaches the front, and the timer, when it fires, cancels
the calls past their deadline and re-arms for the next one. A cancelled call then raises
IntegrationTimeout where it was awaiting the backend, as `asyncio.timeout` would raise TimeoutError.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["Call", "Deadlines"]


class Call:
    """One backend call under a deadline."""

    __slots__ = ("deadline", "done", "expired", "seconds", "task")

    def __init__(self, task: asyncio.Task[object], seconds: float, deadline: float) -> None:
        self.task = task
        self.seconds = seconds
        self.deadline = deadline
        self.done = False
        self.expired = False  # the deadline passed and the task was cancelled for it


class Deadlines:
    def __init__(self) -> None:
        self._queues: dict[float, deque[Call]] = {}  # timeout -> open calls, oldest first
        self._armed: set[float] = set()  # timeouts whose queue has a timer set

    def start(self, seconds: float) -> Call:
        """Put the current task's call under a deadline `seconds` from now; `finish` it however it ends."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None
        call = Call(task, seconds, loop.time() + seconds)
        queue = self._queues.get(seconds)
        if queue is None:
            queue = self._queues[seconds] = deque()
        queue.append(call)
        if seconds not in self._armed:
            self._armed.add(seconds)
            loop.call_at(call.deadline, self._expire, seconds)
        return call

    def finish(self, call: Call) -> bool:
        """The call ended (answered, failed, or cancelled); True if it was cancelled for its deadline."""
        if not call.done:
            call.done = True
            queue = self._queues.get(call.seconds)
            while queue and queue[0].done:
                queue.popleft()
            if call.expired:
                call.task.uncancel()  # the cancellation was ours, and becomes IntegrationTimeout
        return call.expired

    def _expire(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        queue = self._queues.get(seconds)
        while queue and (queue[0].done or queue[0].deadline <= now):
            call = queue.popleft()
            if not call.done:
                call.expired = True
                call.task.cancel()
        if queue:
            loop.call_at(queue[0].deadline, self._expire, seconds)
        else:
            self._armed.discard(seconds)
            self._queues.pop(seconds, None)
