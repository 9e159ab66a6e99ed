"""Parallel branches and Map iterations: concurrent child scopes, their events and their limits.

Each branch / iteration is a child Scope run as an asyncio task (Map honours MaxConcurrency);
events carry per-scope keys, so their interleaving does not change ids on replay.
https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html
https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html

A fan-out shares the event loop: however many iterations it starts or runs without waiting, it
gives the loop a turn every SLICE_S of its work (see Turns), so that a 100,000-item Map does not
stop the API answering while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Coroutine, Generator, Iterable
from typing import Any

from overcast.arn import format_arn
from overcast.workflows.asl import errors as e
from overcast.workflows.asl import jsonata as jn
from overcast.workflows.asl.distributed import MapRunRequest, run_map_run
from overcast.workflows.asl.execution import to_json
from overcast.workflows.asl.model import (
    ABSENT,
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    StateMachine,
    SucceedState,
)
from overcast.workflows.asl.paths import NoMatch, UndefinedVariable, select
from overcast.workflows.asl.scope import Frame, Scope, error_output

# The longest a fan-out works without giving the event loop a turn: another request waits about this
# long for each turn it needs (a health check needs a few).
SLICE_S = 0.005


class Turns:
    """Gives the event loop a turn once SLICE_S of a fan-out's work has gone by without one."""

    __slots__ = ("since",)

    def __init__(self) -> None:
        self.since = time.perf_counter()

    async def share(self) -> None:
        if time.perf_counter() - self.since >= SLICE_S:
            await asyncio.sleep(0)
            self.since = time.perf_counter()


def _suffix(number: int) -> str:
    return f".{number}" if number else ""


async def parallel_attempt(frame: Frame, number: int) -> Any:
    state = frame.state
    assert isinstance(state, ParallelState)
    scope = frame.scope
    if frame.jsonata:
        bindings = frame.bindings()
        effective = frame.input if state.arguments is ABSENT else frame.evaluate(
            state.arguments, "Arguments", bindings)
    else:
        effective = frame.path("InputPath", state.input_path, frame.input)
        if state.parameters is not ABSENT:
            effective = frame.template(state.parameters, effective)
    scope.emit("ParallelStateStarted")
    children = [
        scope.child(f"{frame.key}{_suffix(number)}/b{i}", branch, branch=True)
        for i, branch in enumerate(state.branches)
    ]
    run = scope.run
    try:
        results = await _all(
            [run.run_scope(child, effective) for child in children], all(map(synchronous, state.branches))
        )
    except e.StateFailure:
        # ParallelStateFailed comes from attempts(), and only once no Retry takes over.
        scope.last_event_id = max([scope.last_event_id] + [c.last_event_id for c in children])
        raise
    scope.last_event_id = max([scope.last_event_id] + [c.last_event_id for c in children])
    scope.emit("ParallelStateSucceeded")
    return frame.finish_result(results)


# States whose handlers never wait for anything: a scope made only of them runs start to end in
# one step, so it needs no task of its own.
_SYNCHRONOUS = (PassState, ChoiceState, SucceedState, FailState)


def synchronous(machine: StateMachine) -> bool:
    return all(isinstance(state, _SYNCHRONOUS) for state in machine.states.values())


async def _all(coroutines: list[Coroutine[Any, Any, Any]], eager: bool = False) -> list[Any]:
    """Run all; on the first failure cancel the rest and raise it (lowest index wins ties).

    `eager` (every coroutine is a scope of synchronous states): each runs to its end at once,
    in order (as tasks created together would run), with no task, callback or loop turn each;
    10,000 Map iterations of Pass states cost that much less. A coroutine that waits after all
    goes on as a task. Scopes that may wait (Task, Wait, ...) always get their own task from the
    start: asyncio.timeout and the store's transactions belong to the task they were entered in.
    """
    if not eager:
        return await _all_tasks(coroutines)
    results: list[Any] = [None] * len(coroutines)
    failures: list[tuple[int, BaseException]] = []
    pending: dict[int, asyncio.Future[Any]] = {}
    turns = Turns()
    for index, coroutine in enumerate(coroutines):
        try:
            blocked_on = coroutine.send(None)
        except StopIteration as done:
            results[index] = done.value
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # as a task would hold it (HistoryLimitExceeded is a BaseException)
            failures.append((index, exc))
        else:
            pending[index] = asyncio.ensure_future(_resume(coroutine, blocked_on))
        await _share(turns, coroutines, index + 1, pending.values())
    tasks = list(pending.values())
    if tasks and not failures:
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            raise
    failures += [
        (i, t.exception()) for i, t in pending.items()  # type: ignore[misc]
        if t.done() and not t.cancelled() and t.exception() is not None
    ]
    if failures:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise min(failures, key=lambda f: f[0])[1]
    for index, task in pending.items():
        results[index] = task.result()
    return results


async def _share(turns: Turns, coroutines: list[Coroutine[Any, Any, Any]], started: int,
                 tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Give the loop its turn while `coroutines` are started; cancelled meanwhile, those not started yet
    are closed and the tasks cancelled."""
    try:
        await turns.share()
    except asyncio.CancelledError:
        for coroutine in coroutines[started:]:
            coroutine.close()
        for task in tasks:
            task.cancel()
        raise


async def _all_tasks(coroutines: list[Coroutine[Any, Any, Any]]) -> list[Any]:
    tasks: list[asyncio.Future[Any]] = []
    turns = Turns()
    for index, coroutine in enumerate(coroutines):  # their first steps run in the turns given
        tasks.append(asyncio.ensure_future(coroutine))
        await _share(turns, coroutines, index + 1, tasks)
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        raise
    failed = [t for t in tasks if t.done() and not t.cancelled() and t.exception() is not None]
    if failed:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise failed[0].exception()  # type: ignore[misc]
    return [t.result() for t in tasks]


async def _resume(coroutine: Coroutine[Any, Any, Any], blocked_on: Any) -> Any:
    """Go on with a coroutine already stepped once, which is waiting for `blocked_on`."""
    return await _Continue(coroutine, blocked_on)


class _Continue:
    """Awaitable that hands the task the future a started coroutine waits for, then drives it on."""

    __slots__ = ("blocked_on", "coroutine")

    def __init__(self, coroutine: Coroutine[Any, Any, Any], blocked_on: Any) -> None:
        self.coroutine, self.blocked_on = coroutine, blocked_on

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine, value = self.coroutine, self.blocked_on
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as exc:  # the task throws cancellation (or anything) into the coroutine
                try:
                    value = coroutine.throw(exc)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    value = coroutine.send(sent)
                except StopIteration as done:
                    return done.value


# -- Map ---------------------------------------------------------------------------------------


def _items_type_error(expression: Any, items: Any) -> str:
    """JSONata Items that is no array: the expression, the JSONata type and the value, as AWS words it."""
    if isinstance(items, bool):
        kind, shown = "boolean", "true" if items else "false"
    elif isinstance(items, (int, float)):
        kind, shown = "number", to_json(items)
    elif isinstance(items, str):
        kind, shown = "string", f'"{items}"'
    elif items is None:
        kind, shown = "null", "null"
    else:
        kind, shown = "object", to_json(items)
    source = jn.expression_text(expression) if jn.is_expression(expression) else to_json(expression)
    return (
        f"The JSONata expression '{source}' specified for the field 'Items' returned an unexpected result "
        f"type. Expected 'array', but was '{kind}' for value: {shown}"
    )


def _number(frame: Frame, value: Any, path: str | None, field: str, data: Any,
            bindings: jn.Bindings | None) -> float | None:
    """MaxConcurrency, ToleratedFailureCount or ToleratedFailurePercentage, from the field, its
    *Path or a JSONata expression; States.Runtime when a *Path selects no usable number."""
    if path is not None:
        try:
            value = select(path, data, frame.env)
        except (NoMatch, UndefinedVariable):
            raise frame.runtime(f"The {field} field does not reference an input value: {path}") from None
        return _path_number(frame, value, path, field)
    if value is ABSENT:
        return None
    if bindings is not None and jn.is_expression(value):
        value = frame.evaluate(value, field, bindings)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise frame.runtime(f"The {field} field must be a non-negative number, but was {to_json(value)}")
    return float(value)


def _path_number(frame: Frame, value: Any, path: str, field: str) -> float:
    # A *Path may select a number or a numeric string; MaxConcurrencyPath and
    # ToleratedFailureCountPath want an integer (a fraction is cut off), ToleratedFailurePercentagePath
    # a number from 0 to 100. https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html
    name = field.removesuffix("Path")
    percentage = name == "ToleratedFailurePercentage"
    number: float | None = None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            number = float(value) if percentage else int(value.strip())
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        number = float(value) if percentage else int(value)
    if number is None:
        text = value if isinstance(value, str) else to_json(value)
        kind = "number" if percentage else "integer"
        raise frame.runtime(f'The {field} field refers to value "{text}" which is not a valid {kind}: {path}')
    if percentage and not 0 <= number <= 100:
        raise frame.runtime(f"Expected a number between 0 and 100 for {name}, got '{_plain(number)}' instead.")
    if number < 0:
        raise frame.runtime(f"Expected non-negative integer for {name}, got '{_plain(number)}' instead.")
    return float(number)


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


async def map_attempt(frame: Frame, number: int) -> Any:
    state = frame.state
    assert isinstance(state, MapState)
    scope = frame.scope
    run = scope.run
    bindings = frame.bindings() if frame.jsonata else None
    if bindings is not None:
        effective = frame.input
        items = effective if state.items is ABSENT else frame.evaluate(state.items, "Items", bindings)
        if not isinstance(items, list):
            raise frame.query_failure(jn.QueryError(_items_type_error(state.items, items)), "Items")
    else:
        effective = frame.path("InputPath", state.input_path, frame.input)
        items = frame.path("ItemsPath", state.items_path, effective)
        if not isinstance(items, list):
            raise frame.runtime(
                f"Invalid input '{to_json(items)}' for the field 'ItemsPath': it must reference a "
                "JSON array"
            )
    if state.item_reader is not ABSENT:
        raise e.StateFailure(
            e.ITEM_READER_FAILED,
            "ItemReader is not supported by Overcast yet: it reads from object storage (S3).",
        )
    if state.result_writer is not ABSENT:
        raise e.StateFailure(
            e.RESULT_WRITER_FAILED,
            "ResultWriter is not supported by Overcast yet: it writes to object storage (S3).",
        )
    concurrency = _number(frame, state.max_concurrency, state.max_concurrency_path,
                          "MaxConcurrencyPath", effective, bindings)
    tolerated_count = _number(frame, state.tolerated_failure_count, state.tolerated_failure_count_path,
                              "ToleratedFailureCountPath", effective, bindings)
    tolerated_pct = _number(frame, state.tolerated_failure_percentage,
                            state.tolerated_failure_percentage_path,
                            "ToleratedFailurePercentagePath", effective, bindings)
    turns = Turns()
    inputs = []
    for index, item in enumerate(items):
        inputs.append(_item_input(frame, state, index, item, effective))
        await turns.share()
    if state.item_batcher is not ABSENT:
        inputs = _batches(frame, state.item_batcher, inputs, effective)
    frame.map_item = None
    frame.fresh_env()
    distributed = state.mode == "DISTRIBUTED"
    scope.emit("MapStateStarted", {"length": len(inputs)})
    if distributed:
        run_id = run.effects.uuid(f"{frame.key}{_suffix(number)}/maprun")
        context = run.context
        label = state.label or state.name
        resource = f"mapRun:{context.state_machine_name}/{label}:{run_id}"
        map_run = format_arn("states", context.region, context.account_id, resource, context.partition)
        if run.map_runs is not None:
            batched = state.item_batcher is not ABSENT
            request = MapRunRequest(
                map_run, f"{frame.key}{_suffix(number)}", label, state.execution_type or "STANDARD", state.processor,
                tuple(len(i.get("Items", ())) if batched and isinstance(i, dict) else 1 for i in inputs),
                int(concurrency or 0), tolerated_count, tolerated_pct,
            )  # fmt: skip
            return await run_map_run(frame, run.map_runs, request, inputs, turns.share)
        scope.emit("MapRunStarted", {"mapRunArn": map_run})
    limit = int(concurrency or 0) or len(inputs)
    tolerant = tolerated_count is not None or tolerated_pct is not None
    outcomes: list[Any] = [None] * len(inputs)
    failures: list[e.StateFailure | None] = [None] * len(inputs)
    children: list[Scope] = []

    async def iterate(index: int) -> None:
        child = scope.child(f"{frame.key}{_suffix(number)}/i{index}", state.processor,
                            isolated=distributed, silent=distributed)
        children.append(child)
        details = {"name": state.name, "index": index}
        child.emit("MapIterationStarted", details)
        try:
            outcomes[index] = await run.run_scope(child, inputs[index])
        except e.StateFailure as failure:
            child.emit("MapIterationFailed", details)
            failures[index] = failure
            if not tolerant:
                raise
            return
        except asyncio.CancelledError:
            child.emit("MapIterationAborted", details)
            raise
        child.emit("MapIterationSucceeded", details)

    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < len(inputs):
            index = next_index
            next_index += 1
            await iterate(index)
            await turns.share()  # an iteration that never waits gives no other worker, nor the loop, a turn

    try:
        if limit >= len(inputs):
            await _all([iterate(i) for i in range(len(inputs))], synchronous(state.processor))
        else:
            await _all([worker() for _ in range(limit)])
    except e.StateFailure as failure:
        scope.last_event_id = max([scope.last_event_id] + [c.last_event_id for c in children])
        if distributed:
            scope.emit("MapRunFailed", {"error": failure.error, "cause": failure.cause})
        raise e.MapFailure(failure.error, failure.cause) from failure
    scope.last_event_id = max([scope.last_event_id] + [c.last_event_id for c in children])
    failed = sum(1 for f in failures if f is not None)
    if tolerant and failed:
        over_count = tolerated_count is not None and failed > tolerated_count
        over_pct = tolerated_pct is not None and failed * 100.0 / max(1, len(inputs)) > tolerated_pct
        if (over_count or tolerated_count is None) and (over_pct or tolerated_pct is None):
            cause = "The specified tolerated failure threshold was exceeded"
            if distributed:
                scope.emit("MapRunFailed", {"error": e.EXCEED_TOLERATED_FAILURE_THRESHOLD, "cause": cause})
            raise e.MapFailure(e.EXCEED_TOLERATED_FAILURE_THRESHOLD, cause)
        for index, problem in enumerate(failures):
            if problem is not None:
                outcomes[index] = error_output(problem.error, problem.cause)
    if distributed:
        scope.emit("MapRunSucceeded")
    scope.emit("MapStateSucceeded")
    return frame.finish_result(outcomes)


def _item_input(frame: Frame, state: MapState, index: int, item: Any, effective: Any) -> Any:
    if state.item_selector is ABSENT:
        return item
    frame.map_item = {"Index": index, "Value": item}
    frame.fresh_env()
    if frame.jsonata:
        return frame.evaluate(state.item_selector, "ItemSelector", frame.bindings())
    return frame.template(state.item_selector, effective)


def _batches(frame: Frame, batcher: Any, items: list[Any], effective: Any) -> list[Any]:
    # https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
    if not isinstance(batcher, dict):
        return items
    max_items = batcher.get("MaxItemsPerBatch")
    if "MaxItemsPerBatchPath" in batcher:
        max_items = frame.path("MaxItemsPerBatchPath", batcher["MaxItemsPerBatchPath"], effective)
    max_bytes = batcher.get("MaxInputBytesPerBatch")
    if "MaxInputBytesPerBatchPath" in batcher:
        max_bytes = frame.path("MaxInputBytesPerBatchPath", batcher["MaxInputBytesPerBatchPath"], effective)
    batch_input = batcher.get("BatchInput", {})
    if frame.jsonata:
        batch_input = frame.evaluate(batch_input, "ItemBatcher/BatchInput", frame.bindings())
    else:
        batch_input = frame.template(batch_input, effective)
    size = int(max_items) if isinstance(max_items, (int, float)) and max_items > 0 else math.inf
    byte_limit = int(max_bytes) if isinstance(max_bytes, (int, float)) and max_bytes > 0 else math.inf
    batches: list[Any] = []
    current: list[Any] = []
    current_bytes = 0
    for item in items:
        item_bytes = len(json.dumps(item, separators=(",", ":")).encode("utf-8"))
        if current and (len(current) >= size or current_bytes + item_bytes > byte_limit):
            batches.append({**batch_input, "Items": current} if batch_input else {"Items": current})
            current, current_bytes = [], 0
        current.append(item)
        current_bytes += item_bytes
    if current:
        batches.append({**batch_input, "Items": current} if batch_input else {"Items": current})
    return batches
