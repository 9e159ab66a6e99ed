"""Step Functions engine: state transitions per second, in-process on one core.

Express: a chain of Pass states, and an inline Map over 10,000 items, run by the real engine
(StartSyncExecution's path) against a plain Python loop doing the same JSON copying, measured in
the same run. Standard: executions of a Pass chain with persistence on (SQLite, synchronous=FULL).
"""

from __future__ import annotations

import asyncio
import copy
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from overcast.clock import SystemClock
from overcast.context import RequestContext
from overcast.store import open_store
from overcast.workflows.engine import build
from overcast.workflows.engine.records import EXPRESS, STANDARD, MachineConfig

BUDGET = 20_000
CHAIN, MAP_ITEMS, STANDARD_RUNS = 2_000, 10_000, 200
CTX = RequestContext()
ROLE = "arn:aws:iam::000000000000:role/bench"
DOC = {"order": {"id": 7, "lines": [{"sku": "book", "qty": 2}, {"sku": "pen", "qty": 4}], "note": "x" * 64}}


def _chain(length: int) -> dict[str, Any]:
    states = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(length - 1)}
    states[f"S{length - 1}"] = {"Type": "Pass", "End": True}
    return {"StartAt": "S0", "States": states}


def _map() -> dict[str, Any]:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {"StartAt": "Copy", "States": {"Copy": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }


def _loop(steps: int, document: Any) -> float:
    """The limit: steps per second of a plain loop doing each state's JSON copying."""
    started = time.perf_counter()
    value = document
    for _ in range(steps):
        value = json.loads(json.dumps(copy.deepcopy(value)))
    return steps / (time.perf_counter() - started)


async def _express(engine: Any, name: str, definition: dict[str, Any], document: Any, transitions: int) -> float:
    machine, _ = await engine.machines.create(CTX, name, MachineConfig(json.dumps(definition), ROLE, EXPRESS))
    text = json.dumps(document)
    await engine.executions.start(CTX, machine.arn, None, text, sync=True)  # warm caches
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        done = await engine.executions.start(CTX, machine.arn, None, text, sync=True)
        best = max(best, transitions / (time.perf_counter() - started))
        assert done.status == "SUCCEEDED", (done.error, done.cause)
    return best


async def _standard(engine: Any) -> tuple[float, float]:
    length = 10
    machine, _ = await engine.machines.create(
        CTX, "standard", MachineConfig(json.dumps(_chain(length)), ROLE, STANDARD)
    )
    text = json.dumps(DOC)
    started = time.perf_counter()
    arns = [(await engine.executions.start(CTX, machine.arn, None, text)).arn for _ in range(STANDARD_RUNS)]
    for arn in arns:
        done = await engine.executions.wait(arn)
        assert done.status == "SUCCEEDED", (done.error, done.cause)
    elapsed = time.perf_counter() - started
    return STANDARD_RUNS / elapsed, STANDARD_RUNS * length / elapsed


async def _run(data_dir: Path) -> None:
    store = await open_store(None, data_dir / "bench.db")
    engine = await build(store, SystemClock())
    try:
        loop_rate = _loop(CHAIN, DOC)
        chain_rate = await _express(engine, "chain", _chain(CHAIN), DOC, CHAIN)
        items = {"items": [{"i": i} for i in range(MAP_ITEMS)]}  # the result stays under 256 KiB
        map_rate = await _express(engine, "map", _map(), items, MAP_ITEMS)
        executions, transitions = await _standard(engine)
    finally:
        await engine.executions.close()
        await store.close()
    print("\n== Step Functions engine (one core, in process) ==")
    print(f"limit: plain loop copying the same JSON       {loop_rate:>12,.0f} steps/s")
    for label, rate in (
        (f"Express Pass chain ({CHAIN} states)", chain_rate),
        (f"inline Map ({MAP_ITEMS:,} items)", map_rate),
    ):
        print(
            f"{label:<44} {rate:>12,.0f} transitions/s = {rate / loop_rate:5.2f} x limit"
            f"   budget >= {BUDGET:,}/s: {'OK' if rate >= BUDGET else 'OVER'}"
        )
    print(
        f"Standard, persisted (10 Pass states, SQLite) {executions:>12,.0f} executions/s"
        f" = {transitions:,.0f} transitions/s"
    )


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="overcast-bench-sfn-") as tmp:
        asyncio.run(_run(Path(tmp)))
