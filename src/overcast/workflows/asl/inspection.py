"""TestState: one state run on its own with an input, reporting each stage of its data flow.

The stages are AWS's inspectionData members: input, afterInputPath, afterParameters, result,
afterResultSelector, afterResultPath (JSONPath) or afterArguments, result (JSONata). A failed
state answers RETRIABLE when a Retrier would try again, CAUGHT_ERROR when a Catcher takes it
(its Next becomes nextState), FAILED otherwise. Waits do not wait.
https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html
https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from overcast.workflows.asl import errors as e
from overcast.workflows.asl import interpreter
from overcast.workflows.asl.execution import (
    Effects,
    EventStamp,
    ExecutionContext,
    HistoryEvent,
    TaskRequest,
    TaskResult,
    to_json,
)
from overcast.workflows.asl.model import (
    ABSENT,
    JSONATA,
    AnyState,
    MapState,
    ParallelState,
    PassState,
    StateMachine,
    TaskState,
)
from overcast.workflows.asl.scope import Frame, Run, Scope, error_output


class Unsupported(Exception):
    """A state TestState cannot run (Parallel, Map)."""


@dataclass(frozen=True, slots=True)
class Mock:
    """TestState's mock: the task's result (JSON text) or its error."""

    result: str | None = None
    error: str | None = None
    cause: str | None = None


@dataclass(slots=True)
class Inspection:
    status: str = "SUCCEEDED"
    output: Any = ABSENT
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # inspectionData, values as AWS writes them


class _NoWait:
    """The engine's effects, except that a Wait state's timer does not wait."""

    def __init__(self, effects: Effects) -> None:
        self.effects = effects

    async def task(self, key: str, request: TaskRequest) -> TaskResult:
        return await self.effects.task(key, request)

    async def wait_until(self, key: str, epoch_seconds: float) -> None:
        return None

    def now(self) -> float:
        return self.effects.now()

    def random(self, key: str) -> float:
        return self.effects.random(key)

    def uuid(self, key: str) -> str:
        return self.effects.uuid(key)

    def task_token(self, key: str) -> str:
        return self.effects.task_token(key)

    def emit(self, event: HistoryEvent) -> EventStamp:
        return self.effects.emit(event)


async def inspect(
    machine: StateMachine,
    state: AnyState,
    data: Any,
    context: ExecutionContext,
    effects: Effects,
    *,
    variables: dict[str, Any] | None = None,
    retry_count: int = 0,
    mock: Mock | None = None,
) -> Inspection:
    """Run `state` once on `data` and say how it went."""
    if isinstance(state, (ParallelState, MapState)) and mock is None:
        raise Unsupported(f"TestState cannot run a {state.type} state without a mock.")
    quiet = _NoWait(effects)
    run = Run(machine, data, context, quiet, interpreter.run_scope)
    scope = Scope(run, "", machine, dict(variables or {}), 0)
    key = scope.enter(state.name)
    found = Inspection(data={"input": to_json(data)})
    frame = Frame(scope, state, key, data, EventStamp(0, quiet.now()))
    try:
        if isinstance(state, (TaskState, ParallelState, MapState)):
            await _task(frame, state, data, found, mock, retry_count)
        elif isinstance(state, PassState) and state.query_language != JSONATA:
            _pass(frame, state, data, found)
        else:
            following, output = await interpreter._HANDLERS[type(state)](scope, state, key, data)
            found.output, found.next_state = output, following
    except e.StateFailure as failure:
        found.status, found.error, found.cause, found.output = "FAILED", failure.error, failure.cause, ABSENT
        found.next_state = None
    if found.status == "SUCCEEDED" and found.next_state is None and not state.end:
        found.next_state = state.next
    return found


def _pass(frame: Frame, state: PassState, data: Any, found: Inspection) -> None:
    effective = frame.path("InputPath", state.input_path, data)
    found.data["afterInputPath"] = to_json(effective)
    if state.parameters is not ABSENT:
        effective = frame.template(state.parameters, effective)
        found.data["afterParameters"] = to_json(effective)
    result = effective if state.result is ABSENT else state.result
    found.data["result"] = to_json(result)
    frame.assign(state.assign, result)
    after = frame.result_path(state.result_path, data, result)
    found.data["afterResultPath"] = to_json(after)
    found.output = frame.path("OutputPath", state.output_path, after)
    frame.commit_assignments()


async def _task(
    frame: Frame, state: TaskState | ParallelState | MapState, data: Any, found: Inspection, mock: Mock | None,
    retry_count: int,
) -> None:
    jsonata = state.query_language == JSONATA
    try:
        if jsonata:
            bindings = frame.bindings()
            payload = data if state.arguments is ABSENT else frame.evaluate(state.arguments, "Arguments", bindings)
            found.data["afterArguments"] = to_json(payload)
        else:
            effective = frame.path("InputPath", state.input_path, data)
            found.data["afterInputPath"] = to_json(effective)
            payload = effective if state.parameters is ABSENT else frame.template(state.parameters, effective)
            found.data["afterParameters"] = to_json(payload)
        result = await _result(frame, state, payload, mock)
        found.data["result"] = to_json(result)
        if jsonata:
            bindings = frame.bindings(result=result)
            output = result if state.output is ABSENT else frame.evaluate(state.output, "Output", bindings)
            frame.assign(state.assign, None, bindings)
        else:
            if state.result_selector is not ABSENT:
                result = frame.template(state.result_selector, result)
                found.data["afterResultSelector"] = to_json(result)
            frame.assign(state.assign, result)
            after = frame.result_path(state.result_path, data, result)
            found.data["afterResultPath"] = to_json(after)
            output = frame.path("OutputPath", state.output_path, after)
        frame.commit_assignments()
        found.output = output
    except e.StateFailure as failure:
        _failed(frame, state, data, found, failure, retry_count)


async def _result(frame: Frame, state: TaskState | ParallelState | MapState, payload: Any, mock: Mock | None) -> Any:
    if mock is not None:
        if mock.error is not None or mock.result is None:
            raise e.StateFailure(mock.error, mock.cause)
        return json.loads(mock.result)
    assert isinstance(state, TaskState)
    request = TaskRequest(
        state_name=state.name,
        resource=state.resource,
        parameters=payload,
        timeout_seconds=None if state.timeout_seconds is ABSENT or isinstance(state.timeout_seconds, str)
        else int(state.timeout_seconds),
        task_token=frame.scope.run.effects.task_token(f"{frame.key}/token0")
        if state.resource.endswith(".waitForTaskToken") else None,
    )
    outcome = await frame.scope.run.effects.task(f"{frame.key}/a0", request)
    if outcome.error is not None:
        raise e.StateFailure(outcome.error, outcome.cause)
    return outcome.output


def _failed(
    frame: Frame, state: TaskState | ParallelState | MapState, data: Any, found: Inspection,
    failure: e.StateFailure, retry_count: int,
) -> None:
    found.error, found.cause = failure.error, failure.cause
    retry = e.first_match(state.retry, failure.error)
    if retry is not None and retry_count < retry[1].max_attempts:
        index, retrier = retry
        delay = retrier.interval_seconds * retrier.backoff_rate**retry_count
        if retrier.max_delay_seconds is not None:
            delay = min(delay, retrier.max_delay_seconds)
        found.status, found.next_state = "RETRIABLE", state.name
        found.data["errorDetails"] = {"retryIndex": index, "retryBackoffIntervalSeconds": int(delay)}
        return
    catch = e.first_match(state.catch, failure.error)
    if catch is None:
        found.status = "FAILED"
        return
    index, catcher = catch
    problem = error_output(failure.error, failure.cause)
    frame.assigned = None
    if state.query_language == JSONATA:
        bindings = frame.bindings(error_output=problem)
        output = problem if catcher.output is ABSENT else frame.evaluate(catcher.output, "Output", bindings)
    else:
        output = frame.result_path(catcher.result_path, data, problem)
        found.data["afterResultPath"] = to_json(output)
    found.status, found.output, found.next_state = "CAUGHT_ERROR", output, catcher.next
    found.data["errorDetails"] = {"catchIndex": index}
