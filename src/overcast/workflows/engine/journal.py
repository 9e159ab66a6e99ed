"""Journal: the Effects a run of an execution uses — every result journaled, so a replay repeats nothing.

A Standard execution runs the pure interpreter with a Journal. Each effect result (task results,
random draws, uuids, task tokens) is kept under the effect's deterministic key, each history event
under its key. `emit` and the draws are synchronous, so they collect in memory and are written in
one transaction at the next asynchronous effect: before a task starts its work, before a timer
sleeps, and with the final status. After a crash, the engine replays the interpreter from the start
with the journal loaded: journaled tasks answer at once (never re-run), persisted events keep their
ids and timestamps and are not written twice, timers that have passed return at once and pending
ones sleep only for what remains. Express executions use a Journal with `durable=False`: the same
code, nothing written. Time comes only from the injected Clock.
"""

from __future__ import annotations

import asyncio
import json
import random as random_module
import sys
import uuid as uuid_module
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from overcast.clock import Clock
from overcast.store import Queries, Store
from overcast.workflows.asl import EventStamp, HistoryEvent, TaskRequest, TaskResult
from overcast.workflows.engine import history
from overcast.workflows.engine.records import Event

# Runs one task attempt: (journal, key, request) -> result. The integrations module provides it.
TaskRunner = Callable[["Journal", str, TaskRequest], Awaitable[TaskResult]]
# Receives each batch of new events as the journal flushes them (see overcast.workflows.engine.logging).
# (events, the transaction persisting them for a Standard execution, None for an Express one).
EventLog = Callable[[Sequence[Event], Queries | None], Awaitable[None]]


class HistoryLimitExceeded(BaseException):
    """The history would pass 25,000 events. A BaseException so no state's Catch can handle it."""


class Journal:
    def __init__(
        self,
        store: Store | None,
        clock: Clock,
        execution_arn: str,
        run_task: TaskRunner,
        durable: bool = True,
        max_events: int = history.MAX_EVENTS,
        log: EventLog | None = None,
        role_arn: str = "",
    ) -> None:
        self.store = store
        self.clock = clock
        self.execution_arn = execution_arn
        self.run_task = run_task
        self.durable = durable and store is not None
        # The 25,000-event cap is a Standard quota; Express executions keep no history in AWS,
        # so theirs (kept only for logging) has none.
        # https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
        self.max_events = max_events if self.durable else sys.maxsize
        self.events: dict[str, Event] = {}
        self.values: dict[str, str] = {}
        self.pending_events: list[tuple[Event, str]] = []
        self.pending_values: list[tuple[str, str]] = []
        self.next_id = 1
        self.replayed_tasks = 0
        self.redriven_id = 0
        self.loaded = False  # True: nothing to read (a new execution), or read already
        self.log = log  # where events go besides the history (a CloudWatch Logs destination)
        self.keep_events = log is not None
        self.role_arn = role_arn  # the execution role: whom the tasks call other services as
        # Written in the first transaction that writes anything (a Map Run child's row: see map_children.py).
        self.opening: Callable[[Queries], Awaitable[None]] | None = None
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Read what a previous run of this execution persisted (nothing for a new execution)."""
        if not self.durable or self.loaded:
            return
        assert self.store is not None
        self.loaded = True
        self.events = await history.keyed(self.store, self.execution_arn)
        self.next_id = max((e.id for e in self.events.values()), default=0) + 1
        # After a redrive, what runs again follows the ExecutionRedriven event, not the replayed ones.
        self.redriven_id = max((e.id for e in self.events.values() if e.type == "ExecutionRedriven"), default=0)
        rows = await self.store.fetch_all(
            "SELECT effect_key, value FROM sfn_journal WHERE execution_arn = ?", self.execution_arn
        )
        self.values = {r["effect_key"]: r["value"] for r in rows}

    # --- history -------------------------------------------------------------------------------------

    def emit(self, event: HistoryEvent) -> EventStamp:
        record = self._record(event.key, event.type, event.previous_event_id, event.details)
        return EventStamp(record.id, record.timestamp)

    def _record(self, key: str, event_type: str, previous_id: int, details: dict[str, Any]) -> Event:
        if self.durable:
            known = self.events.get(key)
            if known is not None:
                return known
        if self.next_id > self.max_events:
            raise HistoryLimitExceeded()
        if previous_id < self.redriven_id:
            previous_id = self.redriven_id
        record = Event(self.next_id, event_type, self.clock.now(), previous_id, details)
        self.next_id += 1
        # An Express run never replays: it keeps its events only for a log destination.
        if self.durable:
            self.events[key] = record
            self.pending_events.append((record, key))
        elif self.keep_events:
            self.pending_events.append((record, key))
        return record

    def append_event(self, key: str, event_type: str, previous_id: int, details: dict[str, Any] | None) -> Event:
        """An engine-made event (task, abort, ...) under `key`; returns it (the persisted one on replay)."""
        return self._record(key, event_type, previous_id, details or {})

    @property
    def last_event_id(self) -> int:
        return self.next_id - 1

    # --- draws ------------------------------------------------------------------------------------------

    def _draw(self, key: str, make: Callable[[], Any]) -> Any:
        if key in self.values:
            return json.loads(self.values[key])
        value = make()
        text = json.dumps(value)
        self.values[key] = text
        self.pending_values.append((key, text))
        return value

    def random(self, key: str) -> float:
        return float(self._draw("random:" + key, random_module.random))

    def uuid(self, key: str) -> str:
        return str(self._draw("uuid:" + key, lambda: str(uuid_module.uuid4())))

    def task_token(self, key: str) -> str:
        return str(self._draw("token:" + key, lambda: uuid_module.uuid4().hex + uuid_module.uuid4().hex))

    # --- asynchronous effects ---------------------------------------------------------------------------

    async def task(self, key: str, request: TaskRequest) -> TaskResult:
        done = self.values.get("task:" + key)
        if done is not None:
            self.replayed_tasks += 1
            return TaskResult(**json.loads(done))
        await self.flush()
        result = await self.run_task(self, key, request)
        text = json.dumps(
            {
                "output": result.output,
                "error": result.error,
                "cause": result.cause,
                "last_event_id": result.last_event_id,
            }
        )
        self.values["task:" + key] = text
        self.pending_values.append(("task:" + key, text))
        await self.flush()
        return result

    async def wait_until(self, key: str, epoch_seconds: float) -> None:
        """A durable timer: the first deadline given for `key` is journaled and kept on every replay
        (a Retry backoff's deadline is computed from `now()`, which differs on replay)."""
        deadline = float(self._draw("timer:" + key, lambda: epoch_seconds))
        await self.flush()
        remaining = deadline - self.clock.now()
        if remaining > 0:
            await self.clock.sleep(remaining)

    def now(self) -> float:
        return self.clock.now()

    def started(self, key: str) -> float:
        """When the task attempt `key` first started (journaled: the same on every replay)."""
        return float(self._draw(f"timer:{key}/started", self.clock.now))

    async def flush(self, extra: Callable[[Queries], Awaitable[None]] | None = None) -> None:
        """Write what collected since the last flush (and `extra`'s statements) in one transaction."""
        if not self.durable:
            events = self.pending_events
            self.pending_events = []
            self.pending_values.clear()
            if events and self.log is not None:
                await self.log([record for record, _ in events], None)
            if extra is not None and self.store is not None:
                await extra(self.store)
            return
        assert self.store is not None
        async with self._lock:
            events, values = self.pending_events, self.pending_values
            self.pending_events, self.pending_values = [], []
            if not events and not values and extra is None:
                return
            try:
                async with self.store.transaction() as tx:
                    if self.opening is not None:
                        await self.opening(tx)
                    await history.append(tx, self.execution_arn, events)
                    if events and self.log is not None:
                        await self.log([record for record, _ in events], tx)
                    for start in range(0, len(values), 500):
                        chunk = values[start : start + 500]
                        await tx.execute(
                            "INSERT INTO sfn_journal (execution_arn, effect_key, value) VALUES "
                            + ", ".join("(?, ?, ?)" for _ in chunk)
                            + " ON CONFLICT (execution_arn, effect_key) DO NOTHING",
                            *[item for key, value in chunk for item in (self.execution_arn, key, value)],
                        )
                    if extra is not None:
                        await extra(tx)
            except BaseException:
                self.pending_events[:0], self.pending_values[:0] = events, values
                raise
            self.opening = None
