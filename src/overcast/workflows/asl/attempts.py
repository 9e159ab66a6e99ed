"""Attempts of Task, Parallel and Map states: Retry and Catch around them, and one attempt of a Task.

Each of the three runs `attempts(frame, state, attempt)`: the attempt again after each Retrier's
backoff, until it succeeds, Retry gives up, or a Catcher takes the failure (Parallel's and Map's
attempts are in fanout.py).
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from overcast.workflows.asl import errors as e
from overcast.workflows.asl import fanout
from overcast.workflows.asl import jsonata as jn
from overcast.workflows.asl.execution import TaskRequest, as_text, to_json
from overcast.workflows.asl.model import ABSENT, JSONATA, MapState, ParallelState, TaskState
from overcast.workflows.asl.paths import NoMatch, UndefinedVariable, select
from overcast.workflows.asl.scope import Frame, Scope, enter_state, error_output, exit_details, exit_state

__all__ = ["attempts", "run_map", "run_parallel", "run_task"]


Attempt = Callable[[Frame, int], Awaitable[Any]]


async def attempts(
    frame: Frame, state: TaskState | ParallelState | MapState, attempt: Attempt
) -> tuple[str | None, Any]:
    """Run `attempt` until it succeeds, Retry gives up, or Catch takes over.

    https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
    """
    effects = frame.scope.run.effects
    counts = [0] * len(state.retry)
    number = 0
    while True:
        try:
            output = await attempt(frame, number)
        except e.StateFailure as failure:
            retry = e.first_match(state.retry, failure.error)
            if retry is not None:
                index, retrier = retry
                if counts[index] < retrier.max_attempts:
                    delay = retrier.interval_seconds * retrier.backoff_rate ** counts[index]
                    if retrier.max_delay_seconds is not None:
                        delay = min(delay, retrier.max_delay_seconds)
                    if retrier.jitter_strategy == "FULL":
                        delay *= effects.random(f"{frame.key}/jitter{number + 1}")
                    counts[index] += 1
                    number += 1
                    await effects.wait_until(f"{frame.key}/retry{number}", effects.now() + delay)
                    continue
            # Parallel's and Map's Failed events come once, when no Retrier runs the state again
            # (a retried Map records MapStateStarted and its iterations anew at each attempt).
            # https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
            if isinstance(state, ParallelState):
                frame.scope.emit("ParallelStateFailed")
            elif isinstance(failure, e.MapFailure):
                frame.scope.emit("MapStateFailed")
            catch = e.first_match(state.catch, failure.error)
            if catch is None:
                raise
            return _caught(frame, catch[1], failure)
        return exit_state(frame, output)


def _caught(frame: Frame, catcher: Any, failure: e.StateFailure) -> tuple[str | None, Any]:
    problem = error_output(failure.error, failure.cause)
    frame.assigned = None
    if frame.jsonata:
        bindings = frame.bindings(error_output=problem)
        output = problem if catcher.output is ABSENT else frame.evaluate(catcher.output, "Output", bindings)
        frame.assign(catcher.assign, None, bindings)
    else:
        output = frame.result_path(catcher.result_path, frame.input, problem)
        frame.assign(catcher.assign, problem)
    assigned = frame.commit_assignments()
    details = exit_details(frame.state.name, output, assigned)
    frame.scope.emit(f"{frame.state.type}StateExited", details)
    return catcher.next, output


def _needs_token(resource: str) -> bool:
    return resource.endswith(".waitForTaskToken") or ":activity:" in resource


async def run_task(scope: Scope, state: TaskState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = enter_state(scope, state, key, data)
    return await attempts(frame, state, _task_attempt)


async def _task_attempt(frame: Frame, number: int) -> Any:
    state = frame.state
    assert isinstance(state, TaskState)
    effects = frame.scope.run.effects
    frame.retry_count = number
    if _needs_token(state.resource):
        frame.task_token = effects.task_token(f"{frame.key}/token{number}")
    frame.fresh_env()
    data = frame.input
    if state.query_language == JSONATA:
        bindings = frame.bindings()
        payload = data if state.arguments is ABSENT else frame.evaluate(state.arguments, "Arguments", bindings)
        timeout = _seconds(frame, state.timeout_seconds, "TimeoutSeconds", bindings)
        heartbeat = _seconds(frame, state.heartbeat_seconds, "HeartbeatSeconds", bindings)
        credentials = (
            None if state.credentials is ABSENT else frame.evaluate(state.credentials, "Credentials", bindings)
        )
    else:
        effective = frame.path("InputPath", state.input_path, data)
        payload = effective if state.parameters is ABSENT else frame.template(state.parameters, effective)
        timeout = _seconds_path(
            frame, state.timeout_seconds, state.timeout_seconds_path, "TimeoutSecondsPath", effective
        )
        heartbeat = _seconds_path(
            frame, state.heartbeat_seconds, state.heartbeat_seconds_path, "HeartbeatSecondsPath", effective
        )
        credentials = None if state.credentials is ABSENT else frame.template(state.credentials, effective)
    request = TaskRequest(
        state_name=state.name,
        resource=state.resource,
        parameters=payload,
        timeout_seconds=timeout,
        heartbeat_seconds=heartbeat,
        credentials=credentials,
        task_token=frame.task_token,
        attempt=number,
        previous_event_id=frame.scope.last_event_id,
    )
    result = await effects.task(f"{frame.key}/a{number}", request)
    if result.last_event_id is not None:
        frame.scope.last_event_id = result.last_event_id
    if result.error is not None:
        raise e.StateFailure(result.error, result.cause)
    return frame.finish_result(result.output)


def _seconds(frame: Frame, value: Any, field: str, bindings: jn.Bindings) -> int | None:
    if value is ABSENT:
        return None
    if jn.is_expression(value):
        value = frame.evaluate(value, field, bindings)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise frame.query_failure(jn.QueryError(
            f"The {field} field must evaluate to a positive integer, but was '{to_json(value)}'."))
    return value


def _seconds_path(frame: Frame, value: Any, path: str | None, field: str, data: Any) -> int | None:
    if path is None:
        return None if value is ABSENT else int(value)
    try:
        found = select(path, data, frame.env)
    except (NoMatch, UndefinedVariable):
        raise frame.runtime(f"The {field} parameter does not reference an input value: {path}") from None
    if isinstance(found, bool) or not isinstance(found, (int, float)) or found <= 0 or (
        isinstance(found, float) and not math.isfinite(found)
    ):
        raise frame.runtime(f"The {field} parameter references an invalid value: {path} == {as_text(found)}")
    return int(found)


async def run_parallel(scope: Scope, state: ParallelState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = enter_state(scope, state, key, data)
    return await attempts(frame, state, fanout.parallel_attempt)


async def run_map(scope: Scope, state: MapState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = enter_state(scope, state, key, data)
    return await attempts(frame, state, fanout.map_attempt)
