"""The journal on both store engines: effects persisted once, replayed without re-running, timers by the Clock."""

from __future__ import annotations

import asyncio

import pytest

from overcast.clock import FakeClock
from overcast.store import Store
from overcast.workflows.asl import HistoryEvent, TaskRequest, TaskResult
from overcast.workflows.engine import history
from overcast.workflows.engine.journal import HistoryLimitExceeded, Journal
from overcast.workflows.engine.machines import Machines

from .conftest import history_page

ARN = "arn:aws:states:us-east-1:111111111111:execution:sm:e1"


class Calls:
    """A task runner that counts real runs (the thing a replay must not repeat)."""

    def __init__(self) -> None:
        self.runs: list[str] = []

    async def __call__(self, journal: Journal, key: str, request: TaskRequest) -> TaskResult:
        self.runs.append(key)
        event = journal.append_event(key + "!0", "TaskScheduled", request.previous_event_id, {"resource": "r"})
        return TaskResult(output={"n": len(self.runs)}, last_event_id=event.id)


async def test_replay_repeats_no_task_and_writes_no_event_twice(
    store: Store, clock: FakeClock, machines: Machines
) -> None:
    calls = Calls()
    first = Journal(store, clock, ARN, calls)
    await first.load()
    started = first.emit(HistoryEvent("ExecutionStarted", "!0", 0, {"input": "{}"}))
    entered = first.emit(HistoryEvent("TaskStateEntered", "!1", started.id, {"name": "T"}))
    result = await first.task("/T#0/a0", TaskRequest("T", "r", {}, previous_event_id=entered.id))
    draw, token = first.random("/T#0/rnd0"), first.task_token("/T#0/token0")
    await first.flush()
    assert result.output == {"n": 1} and calls.runs == ["/T#0/a0"]

    clock_later = FakeClock(clock.now() + 50)
    second = Journal(store, clock_later, ARN, calls)  # the process crashed; a new one replays
    await second.load()
    again = second.emit(HistoryEvent("ExecutionStarted", "!0", 0, {"input": "{}"}))
    assert (again.id, again.timestamp) == (started.id, started.timestamp)
    second.emit(HistoryEvent("TaskStateEntered", "!1", again.id, {"name": "T"}))
    replayed = await second.task("/T#0/a0", TaskRequest("T", "r", {}, previous_event_id=entered.id))
    assert replayed == result and calls.runs == ["/T#0/a0"] and second.replayed_tasks == 1
    assert second.random("/T#0/rnd0") == draw and second.task_token("/T#0/token0") == token
    second.emit(HistoryEvent("ExecutionSucceeded", "!2", 3, {"output": "{}"}))
    await second.flush()
    events, _ = await history_page(store, ARN, None, None)
    assert [(e.id, e.type) for e in events] == [
        (1, "ExecutionStarted"),
        (2, "TaskStateEntered"),
        (3, "TaskScheduled"),
        (4, "ExecutionSucceeded"),
    ]


async def test_timers_sleep_on_the_clock_and_elapsed_ones_return_at_once(
    store: Store, clock: FakeClock, machines: Machines
) -> None:
    journal = Journal(store, clock, ARN, Calls())
    deadline = clock.now() + 3600  # a one-hour Wait
    waiting = asyncio.ensure_future(journal.wait_until("/W#0/wait", deadline))
    await asyncio.wait_for(clock.sleeping(1), 5)  # the deadline is journaled (a store write) before the sleep
    assert not waiting.done() and clock.sleepers == 1
    await clock.advance(3599)
    assert not waiting.done()
    await clock.advance(1)
    await waiting
    replay = Journal(store, clock, ARN, Calls())
    await replay.load()
    await replay.wait_until("/W#0/wait", deadline)  # already elapsed: no sleep at all
    assert clock.sleepers == 0


async def test_a_pending_timer_keeps_its_first_deadline_on_replay(
    store: Store, clock: FakeClock, machines: Machines
) -> None:
    first = Journal(store, clock, ARN, Calls())
    backoff = asyncio.ensure_future(first.wait_until("/T#0/retry1", first.now() + 10))
    await asyncio.wait_for(clock.sleeping(1), 5)
    backoff.cancel()  # the server died during the backoff
    await clock.advance(4)
    replay = Journal(store, clock, ARN, Calls())
    await replay.load()
    # The interpreter computes the deadline again from now(), 4 s later; the journaled one wins.
    waiting = asyncio.ensure_future(replay.wait_until("/T#0/retry1", replay.now() + 10))
    await asyncio.wait_for(clock.sleeping(1), 5)
    await clock.advance(6)
    await asyncio.wait_for(waiting, 5)


async def test_history_pages_forward_and_backward(store: Store, clock: FakeClock, machines: Machines) -> None:
    journal = Journal(store, clock, ARN, Calls())
    for n in range(5):
        journal.emit(HistoryEvent("PassStateEntered", f"!{n}", n, {"name": "P", "input": "{}"}))
    await journal.flush()
    page, token = await history_page(store, ARN, 2, None)
    more, token2 = await history_page(store, ARN, 2, token)
    last, end = await history_page(store, ARN, 2, token2)
    assert [e.id for e in page + more + last] == [1, 2, 3, 4, 5] and end is None
    backwards, _ = await history_page(store, ARN, 3, None, reverse=True, include_data=False)
    assert [e.id for e in backwards] == [5, 4, 3] and backwards[0].details == {"name": "P"}


async def test_history_is_capped(store: Store, clock: FakeClock, machines: Machines) -> None:
    journal = Journal(store, clock, ARN, Calls(), max_events=3)
    for n in range(3):
        journal.emit(HistoryEvent("PassStateEntered", f"!{n}", n, {}))
    with pytest.raises(HistoryLimitExceeded):
        journal.emit(HistoryEvent("PassStateEntered", "!3", 3, {}))
    assert history.MAX_EVENTS == 25_000
