"""MemoryEffects: the interpreter's Effects with no outside work (an in-memory journal, a fake clock).

Results are journaled under their effect keys and events under their event keys, so a second
run over the same journal replays: journaled effects answer from it and already-recorded events
keep their ids, as the engine does after a crash.
"""

from __future__ import annotations

import hashlib
import uuid as uuidlib
from collections.abc import Awaitable, Callable
from typing import Any

from overcast.workflows.asl import EventStamp, HistoryEvent, TaskRequest, TaskResult

TaskHandler = Callable[[TaskRequest], Awaitable[TaskResult] | TaskResult]
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class MemoryEffects:
    def __init__(self, tasks: TaskHandler | None = None, *, start: float = START) -> None:
        self.clock = start
        self.tasks = tasks
        self.journal: dict[str, Any] = {}
        self.events: list[HistoryEvent] = []
        self.stamps: dict[str, EventStamp] = {}
        self.requests: list[tuple[str, TaskRequest]] = []
        self.waits: list[tuple[str, float]] = []
        self.replayed = 0

    # -- the protocol -------------------------------------------------------------------

    async def task(self, key: str, request: TaskRequest) -> TaskResult:
        if key in self.journal:
            result: TaskResult = self.journal[key]
            return result
        self.requests.append((key, request))
        if self.tasks is None:
            result = TaskResult(error="States.TaskFailed", cause=f"no task handler for {request.resource}")
        else:
            answer = self.tasks(request)
            result = answer if isinstance(answer, TaskResult) else await answer
        self.journal[key] = result
        return result

    async def wait_until(self, key: str, epoch_seconds: float) -> None:
        if key in self.journal:
            return
        self.waits.append((key, epoch_seconds))
        self.clock = max(self.clock, epoch_seconds)
        self.journal[key] = epoch_seconds

    def now(self) -> float:
        return self.clock

    def random(self, key: str) -> float:
        value = self.journal.get(key)
        if value is None:
            digest = hashlib.sha256(key.encode()).digest()
            value = int.from_bytes(digest[:7], "big") / 2**56
            self.journal[key] = value
        return float(value)

    def uuid(self, key: str) -> str:
        value = self.journal.get(key)
        if value is None:
            value = str(uuidlib.UUID(bytes=hashlib.md5(key.encode()).digest(), version=4))
            self.journal[key] = value
        return str(value)

    def task_token(self, key: str) -> str:
        return "token-" + hashlib.sha1(key.encode()).hexdigest()

    def emit(self, event: HistoryEvent) -> EventStamp:
        known = self.stamps.get(event.key)
        if known is not None:
            self.replayed += 1
            return known
        stamp = EventStamp(len(self.events) + 1, self.clock)
        self.events.append(event)
        self.stamps[event.key] = stamp
        return stamp

    # -- reading -----------------------------------------------------------------------

    @property
    def types(self) -> list[str]:
        return [event.type for event in self.events]
