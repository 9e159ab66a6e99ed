"""Message move tasks live in the store: a task running when the server stops goes on at the next start from what it
had moved, a cancelled or finished one does not, and a source queue keeps its ten newest (the domain service over
a real store and embedded nats-server, paced on the fake clock; a second service over the same store and bus
directory is the next start)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from overcast.bus.on_demand import OnDemandBus
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.events import queues
from overcast.events.queues.moves import CANCELLED, COMPLETED, RUNNING, MoveTask
from overcast.events.queues.schema import moves_left_running
from overcast.events.queues.service import Queues
from overcast.store import Store

CTX = RequestContext("123456789012", "eu-west-1")


class Starts:
    """SQS started over the test's store and bus directory, and stopped (its bus too) as a server stops."""

    def __init__(self, store: Store, clock: FakeClock, directory: Path) -> None:
        self.store, self.clock, self.directory = store, clock, directory
        self.running: dict[int, tuple[Queues, OnDemandBus]] = {}

    async def start(self) -> Queues:
        bus = OnDemandBus(None, self.directory)
        service = await queues.build(self.store, self.clock, bus, "http://127.0.0.1:4566")
        self.running[id(service)] = (service, bus)
        return service

    async def stop(self, service: Queues) -> None:
        """Its tasks are cancelled where they are, nothing more written: as at kill -9."""
        service, bus = self.running.pop(id(service))
        await service.close()
        await bus.close()


@pytest.fixture(params=["sqlite_store", "pg_store"])
def store(request: pytest.FixtureRequest) -> Store:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
async def starts(store: Store, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Starts]:
    made = Starts(store, clock, tmp_path / "nats")
    yield made
    for service, _ in list(made.running.values()):
        await made.stop(service)


async def _dead_letters(service: Queues, count: int) -> tuple[str, str]:
    """A dead-letter queue holding `count` messages and an empty queue to move them to: their ARNs."""
    dlq, _ = await service.definitions.create(CTX, "dlq", {}, {})
    policy = json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 1})
    await service.definitions.create(CTX, "source", {"RedrivePolicy": policy}, {})
    other, _ = await service.definitions.create(CTX, "other", {}, {})
    for n in range(count):
        await service.send(CTX, service.url(dlq), f"m{n}")
    return dlq.arn, other.arn


async def _task(service: Queues, dlq: str) -> MoveTask:
    [task] = await service.moves.list(CTX, dlq, 1)
    return task


async def _until(service: Queues, dlq: str, condition: Callable[[MoveTask], bool]) -> MoveTask:
    for _ in range(500):
        task = await _task(service, dlq)
        if condition(task):
            return task
        await asyncio.sleep(0.01)
    raise AssertionError(f"the task never got there: {task}")


async def _bodies(service: Queues, arn: str) -> list[str]:
    queue = await service.find(CTX, arn)
    got: list[str] = []
    while batch := await service.receive(CTX, service.url(queue), max_messages=10, wait_seconds=0):
        got += [m.body for m in batch]
    return got


async def test_a_task_running_at_a_restart_goes_on_from_what_it_had_moved(starts: Starts, clock: FakeClock) -> None:
    first = await starts.start()
    dlq, other = await _dead_letters(first, 5)
    handle = await first.moves.start(CTX, dlq, other, 2)  # two a second: one batch, then a wait on the clock
    await _until(first, dlq, lambda t: t.moved == 2)
    await starts.stop(first)  # while the task waits for its next second

    second = await starts.start()
    assert await moves_left_running(second.definitions.store)
    assert await second.moves.resume() == 1
    resumed = await _task(second, dlq)
    assert (resumed.handle, resumed.status, resumed.moved, resumed.to_move) == (handle, RUNNING, 2, 5)
    for _ in range(3):
        await clock.advance(1)
        await asyncio.sleep(0.05)
    done = await _until(second, dlq, lambda t: t.status != RUNNING)
    assert (done.status, done.moved) == (COMPLETED, 5)
    moved = await _bodies(second, other)
    assert sorted(moved) == [f"m{n}" for n in range(5)]  # each once: what the first start moved stayed moved
    assert await _bodies(second, dlq) == []
    assert not await moves_left_running(second.definitions.store)


async def test_a_cancelled_task_stays_cancelled_after_a_restart(starts: Starts) -> None:
    first = await starts.start()
    dlq, other = await _dead_letters(first, 4)
    handle = await first.moves.start(CTX, dlq, other, 1)
    await _until(first, dlq, lambda t: t.moved == 1)
    assert await first.moves.cancel(CTX, handle) == 1
    await starts.stop(first)

    second = await starts.start()
    assert not await moves_left_running(second.definitions.store)
    assert await second.moves.resume() == 0
    task = await _task(second, dlq)
    assert (task.status, task.moved) == (CANCELLED, 1)
    assert sorted(await _bodies(second, dlq)) == ["m1", "m2", "m3"]  # the rest were put back, visible


async def test_a_source_queue_keeps_its_ten_newest_tasks(starts: Starts) -> None:
    service = await starts.start()
    dlq, other = await _dead_letters(service, 0)
    handles = []
    for _ in range(13):  # nothing to move: each completes at once
        handles.append(await service.moves.start(CTX, dlq, other, None))
        await _until(service, dlq, lambda t: t.status == COMPLETED)
    listed = await service.moves.list(CTX, dlq, 10)
    assert [t.handle for t in listed] == handles[::-1][:10]  # the newest first
    rows = await service.definitions.store.fetch_all("SELECT handle FROM sqs_move_tasks WHERE source_arn = ?", dlq)
    assert len(rows) == 10
    await service.definitions.delete(CTX, dlq)  # a queue's tasks go with it
    assert await service.definitions.store.fetch_all("SELECT handle FROM sqs_move_tasks") == []


async def test_of_two_starts_at_once_for_one_queue_one_runs(starts: Starts) -> None:
    """One active task per source queue, held by the store itself (an index), so starts racing each other on
    PostgreSQL, where both may find none running, cannot both win."""
    service = await starts.start()
    dlq, other = await _dead_letters(service, 3)
    outcomes = await asyncio.gather(
        service.moves.start(CTX, dlq, other, 1), service.moves.start(CTX, dlq, other, 1), return_exceptions=True
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["UnsupportedOperation", "str"]
    rows = await service.definitions.store.fetch_all("SELECT status FROM sqs_move_tasks WHERE source_arn = ?", dlq)
    assert [row["status"] for row in rows] == [RUNNING]
