"""A Map Run's child executions across a crash of the engine, on both store engines: the parent's replay
finds the same children, finished ones are not run again, unfinished ones resume from their own journals,
and the run's counts end where one uninterrupted run ends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from overcast.clock import FakeClock
from overcast.store import Store
from overcast.workflows.engine import Engine, build
from overcast.workflows.engine.records import MachineConfig

from .conftest import CTX, ROLE

PROCESSOR = {
    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    "StartAt": "Nap",
    "States": {
        "Nap": {"Type": "Wait", "SecondsPath": "$.s", "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"slept.$": "$.s"}, "End": True},
    },
}
MACHINE = json.dumps(
    {"StartAt": "Fan", "States": {"Fan": {"Type": "Map", "ItemProcessor": PROCESSOR, "End": True}}}
)
ITEMS = [{"s": 10 * (i + 1)} for i in range(6)]


async def _until(check: Callable[[], Awaitable[bool]]) -> None:
    """Give the engine's tasks turns until `check()` holds (no real time passes)."""
    for _ in range(10_000):
        if await check():
            return
        await asyncio.sleep(0)
    raise AssertionError("the engine never got there")


async def _children(store: Store) -> dict[str, tuple[str, float | None]]:
    found = await store.fetch_all("SELECT arn, status, stop_date FROM sfn_executions WHERE map_run_arn IS NOT NULL")
    return {r["arn"]: (r["status"], r["stop_date"]) for r in found}


async def test_children_resume_with_their_parent_after_a_crash(store: Store, clock: FakeClock) -> None:
    engine: Engine = await build(store, clock)
    machine, _ = await engine.machines.create(CTX, "fan", MachineConfig(MACHINE, ROLE))
    parent = await engine.executions.start(CTX, machine.arn, "p1", json.dumps(ITEMS))
    await clock.sleeping(6)
    await clock.advance(35)  # the 10, 20 and 30 second naps end

    async def three_done() -> bool:
        return sum(s == "SUCCEEDED" for s, _ in (await _children(store)).values()) == 3

    await _until(three_done)
    before = await _children(store)
    await engine.executions.close()  # the process dies: nothing more is recorded

    again = await build(store, clock)  # a new process resumes the parent, which drives its children
    await clock.sleeping(3)
    await clock.advance(100)
    done = await again.executions.wait(parent.arn)
    assert done.status.value == "SUCCEEDED"
    assert json.loads(done.output or "") == [{"slept": item["s"]} for item in ITEMS]

    after = await _children(store)
    assert set(after) == set(before) and len(after) == 6  # the same six children, none made twice
    assert {s for s, _ in after.values()} == {"SUCCEEDED"}
    for arn, (status, stop) in before.items():
        if status == "SUCCEEDED":
            assert after[arn][1] == stop  # finished before the crash: not run again
    for arn in after:
        events = await store.fetch_all("SELECT id, type FROM sfn_history WHERE execution_arn = ? ORDER BY id", arn)
        types = [e["type"] for e in events]
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        assert types == [
            "ExecutionStarted", "WaitStateEntered", "WaitStateExited", "PassStateEntered", "PassStateExited",
            "ExecutionSucceeded",
        ]  # fmt: skip
    (run,) = await store.fetch_all("SELECT * FROM sfn_map_runs WHERE execution_arn = ?", parent.arn)
    assert (run["status"], run["e_succeeded"], run["i_succeeded"], run["e_failed"]) == ("SUCCEEDED", 6, 6, 0)
    described = await again.map_runs.describe(CTX, run["arn"])
    assert (described.executions.succeeded, described.executions.pending, described.executions.running) == (6, 0, 0)
    await again.executions.close()
