"""Distributed Map runs: a Map state's iterations in DISTRIBUTED mode as a Map Run the engine records, run
under a MaxConcurrency and tolerated failures that UpdateMapRun may change while it runs.

The interpreter decides what the Map state does (which iteration runs when, when the run has failed too
often); the engine, through `MapRuns`, keeps the Map Run's record and its counts and runs each iteration:
as a child execution of its own (ExecutionType STANDARD) or inline and only counted (EXPRESS).
https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from overcast.workflows.asl import errors as e
from overcast.workflows.asl.model import StateMachine
from overcast.workflows.asl.scope import Frame, error_output

THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"


@dataclass(frozen=True, slots=True)
class MapRunRequest:
    """A Map Run as the Map state starts it. `item_counts`: how many items each child's input holds (1, or a
    batch's size with an ItemBatcher); `max_concurrency` 0: no limit of the Map's own."""

    arn: str
    key: str  # the Map attempt's effect key (its iterations' keys start with it)
    label: str
    execution_type: str  # STANDARD | EXPRESS
    processor: StateMachine
    item_counts: tuple[int, ...]
    max_concurrency: int
    tolerated_count: float | None
    tolerated_percentage: float | None


class MapRun(Protocol):
    """A running Map Run: its settings (UpdateMapRun may change them) and its iterations."""

    max_concurrency: int
    tolerated_count: float | None
    tolerated_percentage: float | None
    redrive_count: int  # > 0: the run was redriven with its parent (MapRunRedriven, not MapRunStarted)

    async def begin(self) -> None:
        """The run's first event is emitted: persist it before any iteration runs."""
        ...

    def changed(self) -> asyncio.Future[None]:
        """Resolves at the next change of the settings."""
        ...

    async def iterate(self, index: int, input: Any, inline: Callable[[], Awaitable[Any]]) -> Any:
        """Run iteration `index` (as a child execution, or `inline()` counted): its output, or StateFailure."""
        ...

    async def close(self, status: str) -> None:
        """The run ended: SUCCEEDED, FAILED or ABORTED."""
        ...


class MapRuns(Protocol):
    """What the engine gives an execution to run its Distributed Map states with."""

    async def open(self, request: MapRunRequest) -> MapRun:
        """The Map Run's record, made (or read back, on a replay) before any iteration runs."""
        ...


def exceeded(run: MapRun, failed: int, total: int) -> bool:
    """Whether `failed` failures of `total` items are more than the run tolerates (ToleratedFailureCount /
    ToleratedFailurePercentage; without either, none is tolerated)."""
    count, percentage = run.tolerated_count, run.tolerated_percentage
    if not failed:
        return False
    over_count = count is not None and failed > count
    over_percentage = percentage is not None and failed * 100.0 / max(1, total) > percentage
    return (over_count or count is None) and (over_percentage or percentage is None)


async def run_all(
    run: MapRun,
    count: int,
    iterate: Callable[[int], Coroutine[Any, Any, None]],
    share: Callable[[], Awaitable[None]],
) -> list[e.StateFailure | None]:
    """Run iterations 0..count-1, at most `run.max_concurrency` at once (read again whenever it changes);
    the failures by index. Raises the first failure when none is tolerated, MapFailure
    (States.ExceedToleratedFailureThreshold) once the tolerated failures are exceeded, and cancels the
    iterations still running when it raises or is cancelled."""
    failures: list[e.StateFailure | None] = [None] * count
    running: dict[asyncio.Future[None], int] = {}
    started = failed = 0
    try:
        while started < count or running:
            limit = run.max_concurrency or count
            while started < count and len(running) < limit:
                running[asyncio.ensure_future(iterate(started))] = started
                started += 1
                await share()
            changed = run.changed()
            done, _ = await asyncio.wait([*running, changed], return_when=asyncio.FIRST_COMPLETED)
            for task in sorted((t for t in done if t in running), key=running.__getitem__):
                index = running.pop(task)
                problem = task.exception()
                if problem is None:
                    continue
                if not isinstance(problem, e.StateFailure):
                    raise problem
                failures[index] = problem
                failed += 1
                tolerant = run.tolerated_count is not None or run.tolerated_percentage is not None
                if not tolerant:
                    raise problem
                if exceeded(run, failed, count):
                    raise e.MapFailure(e.EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE)
    except BaseException:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise
    return failures


async def run_map_run(
    frame: Frame, runs: MapRuns, request: MapRunRequest, inputs: list[Any], share: Callable[[], Awaitable[None]]
) -> Any:
    """A Distributed Map attempt's iterations as a Map Run, from MapRunStarted to MapStateSucceeded;
    the Map state's result, or MapFailure after MapRunFailed."""
    scope = frame.scope
    map_run = await runs.open(request)
    # A redriven parent redrives its unfinished Map Run, which keeps its ARN
    # (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html).
    if map_run.redrive_count:
        scope.emit("MapRunRedriven", {"mapRunArn": request.arn, "redriveCount": map_run.redrive_count})
    else:
        scope.emit("MapRunStarted", {"mapRunArn": request.arn})
    await map_run.begin()
    outcomes: list[Any] = [None] * len(inputs)

    async def iterate(index: int) -> None:
        # An iteration's events are its child execution's (or, EXPRESS, nobody's), never the parent's.
        child = scope.child(f"{request.key}/i{index}", request.processor, isolated=True, silent=True)
        outcomes[index] = await map_run.iterate(index, inputs[index], lambda: scope.run.run_scope(child, inputs[index]))

    try:
        failures = await run_all(map_run, len(inputs), iterate, share)
    except e.StateFailure as failure:
        await map_run.close("FAILED")
        scope.emit("MapRunFailed", {"error": failure.error, "cause": failure.cause})
        raise e.MapFailure(failure.error, failure.cause) from failure
    except asyncio.CancelledError:
        await map_run.close("ABORTED")
        raise
    await map_run.close("SUCCEEDED")
    for index, problem in enumerate(failures):
        if problem is not None:
            outcomes[index] = error_output(problem.error, problem.cause)
    scope.emit("MapRunSucceeded")
    scope.emit("MapStateSucceeded")
    return frame.finish_result(outcomes)
