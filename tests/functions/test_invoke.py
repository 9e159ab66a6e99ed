"""The invoke service over real sandboxes: alias weights, logs and metering, cancellation, hot reload."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from overcast.billing.metering import Meter
from overcast.clock import FakeClock, SystemClock
from overcast.config import Settings
from overcast.errors import ResourceNotFound
from overcast.functions.code import CodeInput, HotReloadRoots
from overcast.functions.concurrency import Concurrency
from overcast.functions.invoke import InvokeService
from overcast.functions.packages import Packages
from overcast.functions.pool import Pool
from overcast.functions.registry import Registry
from overcast.functions.sandbox import LocalSandboxes
from overcast.observe.logs import LogStore
from overcast.store import open_store

from .conftest import CTX, config, zip_code

ACCOUNT, REGION = CTX.account_id, CTX.region


@dataclass
class Stack:
    registry: Registry
    invoker: InvokeService
    logs: LogStore
    meter: Meter
    draws: list[float]


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    data = tmp_path / "data"
    data.mkdir()
    store = await open_store(None, data / "overcast.db")
    clock = SystemClock()  # sandboxes keep real deadlines; the pool's idle time is tested in test_pool
    registry = Registry(store, clock, hot_reload=HotReloadRoots((tmp_path,), data))
    await registry.start()
    logs, meter = LogStore(store, clock), Meter(store, clock, 1)
    await logs.start()
    await meter.start()
    concurrency = Concurrency(store, registry, clock, 1000)
    await concurrency.start()
    sandboxes = LocalSandboxes(Settings(data_dir=data, port=0), data)
    draws: list[float] = []
    source: Iterator[float] = itertools.cycle([0.05, 0.95, 0.5, 0.15])

    def draw() -> float:
        draws.append(next(source))
        return draws[-1]

    pool = Pool(sandboxes, FakeClock(), 600)
    invoker = InvokeService(
        registry, pool, concurrency, Packages(registry, data), logs, meter, clock, random_source=draw
    )
    await invoker.start()
    try:
        yield Stack(registry, invoker, logs, meter, draws)
    finally:
        await invoker.close()
        await sandboxes.close()
        await store.close()


VERSIONED = "def handler(event, context):\n    print('working')\n    return {'v': context.function_version}\n"


async def test_alias_weights_pick_versions_with_the_injected_random_source(stack: Stack) -> None:
    registry, invoker = stack.registry, stack.invoker
    await registry.create_function(CTX, "weighted", config(runtime="python3.12"), zip_code(VERSIONED), publish=True)
    await registry.update_function_configuration(CTX, "weighted", {"environment": {"STAGE": "2"}})
    await registry.publish_version(CTX, "weighted")
    await registry.aliases.create(CTX, "weighted", "live", "1", routing={"2": 0.2})
    executed = [(await invoker.invoke(CTX, "weighted", b"{}", qualifier="live")).executed_version for _ in range(4)]
    # Draws 0.05, 0.95, 0.5, 0.15 against a weight of 0.2 for version 2.
    assert executed == ["2", "1", "1", "2"]
    answer = await invoker.invoke(CTX, "weighted:live", b"{}")
    assert json.loads(answer.payload) == {"v": answer.executed_version}


async def test_a_resolved_name_is_reused_until_the_registry_changes(stack: Stack) -> None:
    registry, invoker = stack.registry, stack.invoker
    source = "import os\ndef handler(event, context):\n    return os.environ.get('STAGE')\n"
    await registry.create_function(CTX, "resolved", config(runtime="python3.12"), zip_code(source))
    assert (await invoker.invoke(CTX, "resolved", b"{}")).payload == b"null"
    kept = invoker._targets[(ACCOUNT, REGION, "resolved", None)]
    assert (await invoker.invoke(CTX, "resolved", b"{}")).payload == b"null"
    assert invoker._targets[(ACCOUNT, REGION, "resolved", None)] is kept
    await registry.update_function_configuration(CTX, "resolved", {"environment": {"STAGE": "2"}})
    assert (await invoker.invoke(CTX, "resolved", b"{}")).payload == b'"2"'  # resolved again: the new revision
    await registry.delete_function(CTX, "resolved")
    with pytest.raises(ResourceNotFound):
        await invoker.invoke(CTX, "resolved", b"{}")


async def test_logs_and_metering(stack: Stack) -> None:
    registry, invoker = stack.registry, stack.invoker
    await registry.create_function(CTX, "logged", config(runtime="python3.12"), zip_code(VERSIONED))
    cold = await invoker.invoke(CTX, "logged", b"{}", log_type="Tail")
    warm = await invoker.invoke(CTX, "logged", b'{"x": 1}')
    assert cold.log_result is not None and warm.log_result is None
    await invoker.flush()
    streams, _ = await stack.logs.streams(CTX, "/aws/lambda/logged")
    assert len(streams) == 1 and streams[0].name.endswith("]" + streams[0].name[-32:])
    assert "/[$LATEST]" in streams[0].name
    events = [
        e.message
        for e in (await stack.logs.stream_events(CTX, "/aws/lambda/logged", streams[0].name, from_head=True)).events
    ]
    starts = [m for m in events if m.startswith("START RequestId: ")]
    reports = [m for m in events if m.startswith("REPORT RequestId: ")]
    assert len(starts) == 2 and len(reports) == 2
    assert events.count("working") == 2
    assert "Init Duration" in reports[0] and "Init Duration" not in reports[1]
    records = await stack.meter.records(ACCOUNT)
    assert [(r.function_name, r.cold, r.outcome) for r in records] == [
        ("logged", True, "success"),
        ("logged", False, "success"),
    ]
    assert records[0].init_duration_ms is not None and records[1].init_duration_ms is None
    assert all(r.billed_duration_ms >= 1 and r.memory_mb == 128 for r in records)


async def test_cancelled_invocation_releases_its_slot_and_instance(stack: Stack) -> None:
    registry, invoker = stack.registry, stack.invoker
    body = "import time\n\ndef handler(event, context):\n    time.sleep(30)\n"
    await registry.create_function(CTX, "slow", config(runtime="python3.12", timeout=60), zip_code(body))
    await invoker.concurrency.put_reserved(CTX, "slow", 1)
    task = asyncio.create_task(invoker.invoke(CTX, "slow", b"{}"))
    while invoker.pool.busy_count() == 0:  # admitted and running
        await asyncio.sleep(0.01)
    assert invoker.concurrency.in_flight(ACCOUNT, REGION, "slow") == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert invoker.concurrency.in_flight(ACCOUNT, REGION, "slow") == 0
    assert invoker.pool.busy_count() == 0 and invoker.pool.idle_count() == 0  # its instance was stopped


async def test_hot_reload_directory_picks_changes_up_on_the_next_cold_start(stack: Stack, tmp_path: Path) -> None:
    code = tmp_path / "hot"
    code.mkdir(mode=0o755)
    (code / "index.py").write_text("def handler(event, context):\n    return 1\n")
    (code / "index.py").chmod(0o644)
    registry, invoker = stack.registry, stack.invoker
    await registry.create_function(
        CTX, "hot", config(runtime="python3.12"), CodeInput(s3_bucket="hot-reload", s3_key=str(code))
    )
    assert (await invoker.invoke(CTX, "hot", b"{}")).payload == b"1"
    (code / "index.py").write_text("def handler(event, context):\n    return 2\n")
    assert (await invoker.invoke(CTX, "hot", b"{}")).payload == b"1"  # the warm instance keeps its module
    await registry.update_function_configuration(CTX, "hot", {"description": "reload"})  # forces a cold start
    assert (await invoker.invoke(CTX, "hot", b"{}")).payload == b"2"
    assert invoker.pool.idle_count() == 1  # the old instance was retired
