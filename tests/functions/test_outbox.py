"""The invocation outbox: finished invocations become log lines and billing records, stored after a delay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.billing.metering import Meter
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.functions.instances import InstanceSpec, Invocation, InvocationResult
from overcast.functions.outbox import Finished, Outbox, StoreWriter
from overcast.functions.report import LOGS_DROPPED_REASON
from overcast.observe.logs import LogStore
from overcast.store import Store, open_store

A, R = "111111111111", "us-east-1"
STREAM = (A, R, "/aws/lambda/fn", "2026/01/01/[$LATEST]0123")
T0 = 1_767_225_600_000
REPORT_FIELDS = "Duration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 42 MB\t"
SPEC = InstanceSpec(A, R, "fn", f"arn:aws:lambda:{R}:{A}:function:fn", "$LATEST", "python3.12", "app.handler", 128, 3,
                    Path("/nonexistent"), "0" * 64, STREAM[2], STREAM[3])  # fmt: skip


class MeasuredInstance:
    """An instance as far as the outbox sees one: its spec and its memory high-water mark."""

    id = "i-1"
    spec = SPEC

    def __init__(self, peak_mb: int) -> None:
        self.peak_mb = peak_mb
        self.reads = 0

    def max_memory_mb(self) -> int:
        self.reads += 1
        return self.peak_mb

    async def invoke(self, invocation: Invocation) -> InvocationResult:
        raise NotImplementedError

    async def stop(self) -> None:
        pass


def finished(n: int, *, log: tuple[tuple[int, str], ...] = (), memory: int | None = None) -> Finished:
    return Finished(A, R, "fn", "$LATEST", f"req-{n}", STREAM[2], STREAM[3], T0 + 10 * n, T0 + 10 * n + 2, 1.5, 2,
                    128, memory, None, False, "success", "x86_64", log)  # fmt: skip


def outbox(store: Store, logs: LogStore | None, meter: Meter | None, clock: FakeClock, delay_s: float) -> Outbox:
    return Outbox(StoreWriter(store, logs, meter is not None), clock, delay_s)


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
    page = await logs.stream_events(RequestContext(A, R), *STREAM[2:], from_head=True)
    return [e.message for e in page.events]


async def test_written_together_once_the_delay_has_passed(parts: tuple[Store, LogStore, Meter, FakeClock]) -> None:
    store, logs, meter, clock = parts
    box = outbox(store, logs, meter, clock, 0.005)
    instance = MeasuredInstance(42)
    box.add(finished(1, log=((T0 + 11, "hello"),)), instance)
    box.add(finished(2), instance)
    await clock.advance(0.004)
    assert await meter.records() == []
    await clock.advance(0.001)
    await box.flush()  # waits for the write the delay started
    assert await messages(logs) == [
        "START RequestId: req-1 Version: $LATEST",
        "hello",
        "END RequestId: req-1",
        f"REPORT RequestId: req-1\t{REPORT_FIELDS}",
        "START RequestId: req-2 Version: $LATEST",
        "END RequestId: req-2",
        f"REPORT RequestId: req-2\t{REPORT_FIELDS}",
    ]
    assert instance.reads == 1  # one high-water mark read per instance per batch
    assert [r.request_id for r in await meter.records()] == ["req-1", "req-2"]
    box.add(finished(3), instance)  # the next batch gets a delay of its own
    await asyncio.sleep(0)
    assert clock.sleepers == 1
    await clock.advance(0.005)
    await box.flush()
    assert (await messages(logs))[-1].startswith("REPORT RequestId: req-3\t")


async def test_a_measured_peak_is_reported_as_measured(parts: tuple[Store, LogStore, Meter, FakeClock]) -> None:
    store, logs, meter, clock = parts
    box = outbox(store, logs, meter, clock, 60)
    instance = MeasuredInstance(42)
    box.add(finished(1, memory=77), instance)
    await box.flush()
    assert "Max Memory Used: 77 MB" in (await messages(logs))[-1]
    assert instance.reads == 0


async def test_init_output_comes_before_start(parts: tuple[Store, LogStore, Meter, FakeClock]) -> None:
    store, logs, meter, clock = parts
    box = outbox(store, logs, meter, clock, 60)
    box.add(finished(1, log=((T0, "init says hi"), (T0 + 10, "handler says hi"))), MeasuredInstance(1))
    await box.flush()
    assert (await messages(logs))[:3] == ["init says hi", "START RequestId: req-1 Version: $LATEST", "handler says hi"]


async def test_flush_writes_at_once(parts: tuple[Store, LogStore, Meter, FakeClock]) -> None:
    store, logs, meter, clock = parts
    box = outbox(store, logs, meter, clock, 60)
    box.add(finished(1), MeasuredInstance(1))
    await box.flush()
    assert len(await messages(logs)) == 3
    assert [r.request_id for r in await meter.records()] == ["req-1"]
    await box.flush()  # nothing left: nothing written twice
    assert len(await meter.records()) == 1


async def test_without_logs_or_meter_nothing_is_stored(parts: tuple[Store, LogStore, Meter, FakeClock]) -> None:
    store, logs, meter, clock = parts
    box = outbox(store, None, None, clock, 0.005)
    box.add(finished(1), MeasuredInstance(1))
    await box.flush()
    assert await logs.groups(RequestContext(A, R)) == ([], None)
    assert await meter.records() == []


async def test_logs_past_what_the_outbox_may_hold_are_dropped_and_counted(
    parts: tuple[Store, LogStore, Meter, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, logs, meter, clock = parts
    box = outbox(store, logs, meter, clock, 60)
    lines = tuple((T0 + 11, f"line {n:95d}") for n in range(100))  # 100 lines of 100 characters
    monkeypatch.setattr("overcast.functions.outbox.MAX_HELD_LOG", 100 * (100 + 128) + 1)
    box.add(finished(1, log=lines), MeasuredInstance(1))
    box.add(finished(2, log=lines), MeasuredInstance(1))  # the writer has not taken the first yet
    await box.flush()
    box.add(finished(3, log=lines), MeasuredInstance(1))  # stored meanwhile: room again
    await box.flush()
    stored = await messages(logs)
    assert [m for m in stored if m.startswith(("START", "LOGS"))] == [
        "START RequestId: req-1 Version: $LATEST",
        "START RequestId: req-2 Version: $LATEST",
        f"LOGS RequestId: req-2\tDropped Records: 100\tDropped Bytes: 10000\tReason: {LOGS_DROPPED_REASON}",
        "START RequestId: req-3 Version: $LATEST",
    ]
    assert len(stored) == 3 * 3 + 1 + 2 * 100
