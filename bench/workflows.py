"""Step Functions engine: state transitions per second, in-process on one core.

Express: a chain of Pass states, and an inline Map over 10,000 items, run by the real engine
(StartSyncExecution's path) against a plain Python loop doing the same JSON copying, measured in
the same run. Standard: executions of a Pass chain with persistence on (SQLite, synchronous=FULL).

Sharing the loop: a real `overcast up` runs an Express inline Map over 100,000 items
(StartSyncExecution) while a client asks `/_overcast/health` again and again on one connection; the
probes' p99 against the 100 ms budget (issue 11). `python -m bench.workflows fanout [SRC]` measures
only that, optionally for the Overcast in source tree SRC (e.g. another worktree's src, for a before).
"""

from __future__ import annotations

import asyncio
import copy
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from overcast.clock import SystemClock
from overcast.context import RequestContext
from overcast.store import open_store
from overcast.workflows.engine import build
from overcast.workflows.engine.records import EXPRESS, STANDARD, MachineConfig

BUDGET = 20_000
CHAIN, MAP_ITEMS, STANDARD_RUNS = 2_000, 10_000, 200
FANOUT_ITEMS, HEALTH_BUDGET_S = 100_000, 0.100
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


def _big_map(items: int) -> dict[str, Any]:
    """An inline Map over `items` numbers made inside the execution (an input that long would pass the
    256 KiB limit), whose output is their count."""
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "Items": f"{{% [0..{items - 1}] %}}",
                "ItemProcessor": {"StartAt": "Copy", "States": {"Copy": {"Type": "Pass", "End": True}}},
                "Output": "{% $count($states.result) %}",
                "End": True,
            }
        },
    }


def fanout_health(src: str | None = None, items: int = FANOUT_ITEMS) -> tuple[list[float], float]:
    """Health probe latencies (s) while an Express Map over `items` runs, and how long the Map took."""
    from bench.invoke import Overcast

    server = Overcast(src)
    try:
        config = Config(inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=900)
        sfn = boto3.client("stepfunctions", endpoint_url=server.url, region_name="us-east-1", config=config)
        arn = sfn.create_state_machine(
            name="fanout", definition=json.dumps(_big_map(items)), roleArn=ROLE, type="EXPRESS"
        )["stateMachineArn"]
        outcome: dict[str, Any] = {}
        execution = threading.Thread(
            target=lambda: outcome.update(sfn.start_sync_execution(stateMachineArn=arn, input="{}"))
        )
        probe = http.client.HTTPConnection("127.0.0.1", server.port)
        latencies: list[float] = []
        started = time.perf_counter()
        execution.start()
        while execution.is_alive():
            sent = time.perf_counter()
            probe.request("GET", "/_overcast/health")
            probe.getresponse().read()
            latencies.append(time.perf_counter() - sent)
        elapsed = time.perf_counter() - started
        execution.join()
        assert outcome.get("status") == "SUCCEEDED" and outcome["output"] == str(items), outcome
        return latencies, elapsed
    finally:
        server.stop()


def _report_fanout(latencies: list[float], elapsed: float, items: int = FANOUT_ITEMS) -> None:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"health while a {items:,}-item Map runs ({elapsed:.1f} s, {len(ordered)} probes): "
        f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.0f} ms"
        f" = {p99 / HEALTH_BUDGET_S:.2f} x budget {HEALTH_BUDGET_S * 1000:.0f} ms:"
        f" {'OK' if p99 < HEALTH_BUDGET_S else 'OVER'}"
    )


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
    _report_fanout(*fanout_health())


if __name__ == "__main__":
    if sys.argv[1:2] == ["fanout"]:
        _report_fanout(*fanout_health(sys.argv[2] if len(sys.argv) > 2 else None))
    else:
        run()
