"""The invocation outbox: logs and billing records are stored together, after a short delay or on flush."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.billing.metering import InvocationRecord, Meter
from overcast.clock import FakeClock
from overcast.functions.outbox import Outbox
from overcast.observe.logs import LogEvent, LogStore
from overcast.store import Store, open_store

A, R = "111111111111", "us-east-1"
STREAM = (A, R, "/aws/lambda/fn", "2026/01/01/[$LATEST]0123")
T0 = 1_767_225_600_000


def record(n: int) -> InvocationRecord:
    return InvocationRecord(A, R, "fn", "$LATEST", f"req-{n}", T0 + n, 1.5, 2, 128, None, False, "success", "x86_64")


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[Store, LogStore, Meter, FakeClock]]:
    store = await open_store(None, tmp_path / "overcast.db")
    clock = FakeClock()
    logs, meter = LogStore(store, clock), Meter(store, clock, 1)
    await logs.start()
    await meter.start()
    try:
        yield store, logs, meter, clock
    finally:
        await store.close()


async def messages(logs: LogStore) -> list[str]:
    return [e.message for e in await logs.read_stream(*STREAM, from_head=True)]


async def test_written_together_once_the_delay_has_passed(parts: tuple[Store, LogStore, Meter, FakeClock]) -> None:
    store, logs, meter, clock = parts
    outbox = Outbox(store, logs, meter, clock, delay_s=0.005)
    outbox.add(STREAM, [LogEvent(T0, "START 1"), LogEvent(T0 + 1, "END 1")], record(1))
    outbox.add(STREAM, [LogEvent(T0 + 2, "START 2")], record(2))
    await clock.advance(0.004)
    assert await meter.records() == []
    await clock.advance(0.001)
    await outbox.flush()  # waits for the write the delay started
    assert await messages(logs) == ["START 1", "END 1", "START 2"]
    assert [r.request_id for r in await meter.records()] == ["req-1", "req-2"]
    outbox.add(STREAM, [LogEvent(T0 + 3, "END 2")], None)  # the next batch gets a delay of its own
    await asyncio.sleep(0)
    assert clock.sleepers == 1
    await clock.advance(0.005)
    await outbox.flush()
    assert await messages(logs) == ["START 1", "END 1", "START 2", "END 2"]


async def test_flush_writes_at_once(parts: tuple[Store, LogStore, Meter, FakeClock]) -> None:
    store, logs, meter, clock = parts
    outbox = Outbox(store, logs, meter, clock, delay_s=60)
    outbox.add(STREAM, [LogEvent(T0, "line")], record(1))
    await outbox.flush()
    assert await messages(logs) == ["line"]
    assert [r.request_id for r in await meter.records()] == ["req-1"]
    await outbox.flush()  # nothing left: nothing written twice
    assert len(await meter.records()) == 1


async def test_without_logs_or_meter_nothing_is_buffered(parts: tuple[Store, LogStore, Meter, FakeClock]) -> None:
    store, _logs, _meter, clock = parts
    outbox = Outbox(store, None, None, clock)
    outbox.add(STREAM, [LogEvent(T0, "line")], record(1))
    await asyncio.sleep(0)
    assert clock.sleepers == 0
    await outbox.flush()
