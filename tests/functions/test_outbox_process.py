"""The outbox's writer process: batches stored by a child interpreter, on both engines; a dead child is replaced."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from overcast.billing.metering import Meter
from overcast.clock import SystemClock
from overcast.context import RequestContext
from overcast.functions import outbox_process
from overcast.functions.outbox import Finished, StoreWriter
from overcast.functions.outbox_process import Priority, WriterProcess
from overcast.observe.logs import LogStore
from overcast.store import Store, open_store

A, R = "111111111111", "us-east-1"
GROUP, STREAM = "/aws/lambda/fn", "2026/01/01/[$LATEST]0123"
T0 = 1_767_225_600_000
FIELDS = "Duration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t"


def finished(n: int) -> Finished:
    return Finished(A, R, "fn", "$LATEST", f"req-{n}", GROUP, STREAM, T0 + 10 * n, T0 + 10 * n + 2, 1.5, 2, 128, None,
                    None, False, "success", "x86_64", ((T0 + 10 * n + 1, f"line {n}"),))  # fmt: skip


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("postgres_url") if request.param == "postgres" else None  # type: ignore[no-any-return]


@pytest.fixture
async def target(url: str | None, tmp_path: Path) -> AsyncIterator[tuple[Store, WriterProcess]]:
    """The server's store (migrated, as `overcast up` leaves it) and a writer process storing into it."""
    store = await open_store(url, tmp_path / "overcast.db")
    clock = SystemClock()
    await LogStore(store, clock).start()
    await Meter(store, clock, 1).start()
    writer = WriterProcess(url, tmp_path / "overcast.db")
    await writer.start()
    try:
        yield store, writer
    finally:
        await writer.close()
        await store.close()


async def messages(store: Store) -> list[str]:
    page = await LogStore(store, SystemClock()).stream_events(RequestContext(A, R), GROUP, STREAM, from_head=True)
    return [e.message for e in page.events]


async def test_a_batch_is_stored_by_the_child(target: tuple[Store, WriterProcess]) -> None:
    store, writer = target
    assert await writer.write([finished(1).wire(42), finished(2).wire(43)])
    assert await messages(store) == [
        "START RequestId: req-1 Version: $LATEST",
        "line 1",
        "END RequestId: req-1",
        f"REPORT RequestId: req-1\t{FIELDS}Max Memory Used: 42 MB\t",
        "START RequestId: req-2 Version: $LATEST",
        "line 2",
        "END RequestId: req-2",
        f"REPORT RequestId: req-2\t{FIELDS}Max Memory Used: 43 MB\t",
    ]
    records = await Meter(store, SystemClock(), 1).records()
    facts = [(r.request_id, r.billed_duration_ms, r.memory_mb) for r in records]
    assert facts == [("req-1", 2, 128), ("req-2", 2, 128)]


async def test_a_child_that_died_between_batches_is_replaced(target: tuple[Store, WriterProcess]) -> None:
    store, writer = target
    assert await writer.write([finished(1).wire(42)])
    first = writer._process
    assert first is not None
    os.kill(first.pid, signal.SIGKILL)
    await first.wait()
    assert await writer.write([finished(2).wire(42)])
    assert writer._process is not None and writer._process.pid != first.pid
    assert len([m for m in await messages(store) if m.startswith("START")]) == 2


async def test_a_child_that_dies_under_a_batch_loses_it_and_says_so(
    target: tuple[Store, WriterProcess], caplog: pytest.LogCaptureFixture
) -> None:
    store, writer = target
    assert await writer.write([finished(1).wire(42)])
    first = writer._process
    assert first is not None
    os.kill(first.pid, signal.SIGKILL)  # not reaped yet: the next batch goes to the dead child
    with caplog.at_level(logging.ERROR, logger="overcast.functions.outbox"):
        assert not await writer.write([finished(2).wire(42)])
    assert "the log events and billing records of 1 invocations are lost" in caplog.text
    assert await writer.write([finished(3).wire(42)])  # a new child
    assert [m for m in await messages(store) if m.startswith("START")] == [
        "START RequestId: req-1 Version: $LATEST",
        "START RequestId: req-3 Version: $LATEST",
    ]


async def test_close_ends_the_child(target: tuple[Store, WriterProcess]) -> None:
    _store, writer = target
    assert await writer.write([finished(1).wire(42)])
    process = writer._process
    assert process is not None
    await writer.close()
    assert process.returncode == 0


async def test_a_store_that_is_not_durable_does_not_wait_for_the_disk(tmp_path: Path) -> None:
    for durable, synchronous in ((True, 2), (False, 1)):  # FULL, NORMAL
        store = await open_store(None, tmp_path / "overcast.db", durable=durable)
        try:
            async with store.transaction() as tx:
                row = await tx.fetch_one("PRAGMA synchronous")
            assert row is not None and row["synchronous"] == synchronous
        finally:
            await store.close()


async def test_the_child_works_in_idle_time_unless_it_falls_behind(tmp_path: Path) -> None:
    store = await open_store(None, tmp_path / "overcast.db")
    await LogStore(store, SystemClock()).start()
    await Meter(store, SystemClock(), 1).start()
    writer = WriterProcess(None, tmp_path / "overcast.db", lagging_batch=2)
    try:
        assert await writer.write([finished(1).wire(42)])  # its store's threads are running by now
        process = writer._process
        assert process is not None

        def policies() -> set[int]:
            return {os.sched_getscheduler(int(tid)) for tid in os.listdir(f"/proc/{process.pid}/task")}

        assert policies() == {os.SCHED_IDLE}  # between batches, and while it makes statements
        assert await writer.write([finished(2).wire(42), finished(3).wire(42)])  # a batch that big: behind
        assert policies() == {os.SCHED_OTHER}
        assert await writer.write([finished(4).wire(42)])  # caught up
        assert policies() == {os.SCHED_IDLE}
        assert len([m for m in await messages(store) if m.startswith("START")]) == 4
    finally:
        await writer.close()
        await store.close()


async def test_a_batch_is_stored_in_transactions_of_a_bounded_size(
    target: tuple[Store, WriterProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _writer = target
    batches: list[int] = []
    real = store.execute_batch

    async def counting(statements: Any) -> None:
        batches.append(len(statements))
        await real(statements)

    monkeypatch.setattr(store, "execute_batch", counting)
    writer = StoreWriter(store, LogStore(store, SystemClock()), True)
    monkeypatch.setattr(outbox_process, "PER_TRANSACTION", 2)
    assert await outbox_process._store(writer, [finished(n).wire(42) for n in range(5)], Priority(), 100)
    assert len(batches) == 3  # 2 + 2 + 1 invocations
    assert len([m for m in await messages(store) if m.startswith("START")]) == 5
