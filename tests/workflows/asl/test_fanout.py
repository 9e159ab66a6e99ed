"""A big Map or Parallel shares the event loop: other coroutines run while its iterations do (issue 11).

How often it gives the loop a turn is a matter of time (fanout.SLICE_S of work between turns); these
tests set the slice to zero, so that every iteration ends with a turn, and count turns, not time.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from typing import Any

import pytest

from overcast.workflows.asl import TaskRequest, TaskResult, fanout
from tests.workflows.asl.journal import MemoryEffects
from tests.workflows.asl.test_interpreter import FN, one, run

ITEMS = 500
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
TASK = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN, "End": True}}}


@pytest.fixture
def every_iteration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout, "SLICE_S", 0.0)


class Counter:
    """A coroutine that counts the turns the event loop gives it."""

    def __init__(self) -> None:
        self.turns = 0
        self.task = asyncio.ensure_future(self._count())

    async def _count(self) -> None:
        while True:
            await asyncio.sleep(0)
            self.turns += 1

    def __enter__(self) -> Counter:
        return self

    def __exit__(self, *_: object) -> None:
        self.task.cancel()


def echo(request: TaskRequest) -> TaskResult:
    return TaskResult(output=request.parameters)


@pytest.mark.usefixtures("every_iteration")
@pytest.mark.parametrize(
    ("processor", "extra"),
    [(PASS, {}), (PASS, {"MaxConcurrency": 3}), (TASK, {})],
    ids=["iterations run in place", "MaxConcurrency workers", "an iteration a task"],
)
async def test_other_coroutines_run_while_a_big_map_runs(processor: dict[str, Any], extra: dict[str, Any]) -> None:
    state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor, **extra}
    with Counter() as counter:
        outcome, _ = await run(one(state), {"items": list(range(ITEMS))}, MemoryEffects(echo))
    assert outcome.status == "SUCCEEDED" and outcome.output == list(range(ITEMS))
    assert counter.turns >= ITEMS - 1  # a turn after every iteration (the first starts the counter)


@pytest.mark.usefixtures("every_iteration")
async def test_other_coroutines_run_while_many_parallel_branches_run() -> None:
    state = {"Type": "Parallel", "Branches": [PASS] * 200}
    with Counter() as counter:
        outcome, _ = await run(one(state), {"x": 1})
    assert outcome.output == [{"x": 1}] * 200 and counter.turns >= 200 - 1


@pytest.mark.usefixtures("every_iteration")
async def test_a_map_cancelled_between_turns_leaves_no_iteration_behind() -> None:
    state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": PASS}
    with Counter() as counter:
        running = asyncio.ensure_future(run(one(state), {"items": list(range(ITEMS))}))
        while counter.turns < 10:  # in the middle of the Map's iterations
            await asyncio.sleep(0)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]
