"""The execution semantics of the Amazon States Language: run_execution over a StateMachine.

One coroutine per scope walks states in order; each state type is one function below (Parallel
and Map live in fanout.py). Retry and Catch wrap the attempts of Task, Parallel and Map.
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-states.html
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable
from typing import Any

from overcast.workflows.asl import errors as e
from overcast.workflows.asl import fanout
from overcast.workflows.asl import jsonata as jn
from overcast.workflows.asl.choice import ChoicePathError, holds, parse_timestamp
from overcast.workflows.asl.execution import (
    Effects,
    EventStamp,
    ExecutionContext,
    ExecutionOutcome,
    HistoryEvent,
    TaskRequest,
    TaskResult,
    to_json,
)
from overcast.workflows.asl.intrinsics import IntrinsicFailure, evaluate_intrinsic
from overcast.workflows.asl.model import (
    ABSENT,
    JSONATA,
    AnyState,
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    StateMachine,
    SucceedState,
    TaskState,
    WaitState,
)
from overcast.workflows.asl.paths import NoMatch, UndefinedVariable, select
from overcast.workflows.asl.scope import (
    Frame,
    Run,
    Scope,
    check_size,
    error_output,
    exit_details,
)

__all__ = [
    "Effects",
    "EventStamp",
    "ExecutionContext",
    "ExecutionOutcome",
    "HistoryEvent",
    "TaskRequest",
    "TaskResult",
    "run_execution",
]

EXECUTION_TIMEOUT_KEY = "execution/timeout"


async def run_execution(
    machine: StateMachine, input: Any, context: ExecutionContext, effects: Effects
) -> ExecutionOutcome:
    """Run one execution to its end and return how it ended.

    `input` is the parsed execution input (JSON). Emits every history event from
    ExecutionStarted to ExecutionSucceeded/Failed/TimedOut through `effects.emit`, performs
    tasks, waits, random draws through `effects` (keys: see overcast.workflows.asl.execution).
    Deterministic given the effects' answers, so the engine can replay it after a crash.
    The machine's TimeoutSeconds is a durable timer too: wait_until("execution/timeout", ...).
    Cancelling the coroutine (StopExecution) stops it without emitting more events: the engine
    records ExecutionAborted.
    """
    run = Run(machine, input, context, effects, run_scope)
    top = Scope(run, "", machine, {}, 0)
    started: dict[str, Any] = {
        "input": to_json(input),
        "inputDetails": {"truncated": False},
        "roleArn": context.role_arn,
    }
    if context.state_machine_alias_arn:
        started["stateMachineAliasArn"] = context.state_machine_alias_arn
    if context.state_machine_version_arn:
        started["stateMachineVersionArn"] = context.state_machine_version_arn
    top.emit("ExecutionStarted", started)
    if machine.timeout_seconds is None:
        return await _finish(top, input)
    main = asyncio.ensure_future(_finish(top, input))
    # A redriven execution has its TimeoutSeconds again, counted from the redrive.
    timeout_key, since = EXECUTION_TIMEOUT_KEY, context.start_time
    if context.redrive_count and context.redrive_time is not None:
        timeout_key, since = f"{EXECUTION_TIMEOUT_KEY}/r{context.redrive_count}", context.redrive_time
    timer = asyncio.ensure_future(effects.wait_until(timeout_key, since + machine.timeout_seconds))
    try:
        await asyncio.wait((main, timer), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        main.cancel()
        timer.cancel()
        raise
    if main.done():
        timer.cancel()
        return main.result()
    main.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await main
    outcome = ExecutionOutcome(
        "TIMED_OUT", error=e.TIMEOUT, cause="The execution timed out."
    )
    top.emit("ExecutionTimedOut", {"error": outcome.error, "cause": outcome.cause})
    return outcome


async def _finish(top: Scope, input: Any) -> ExecutionOutcome:
    try:
        output = await run_scope(top, input)
    except e.StateFailure as failure:
        details: dict[str, Any] = {}
        if failure.error is not None:
            details["error"] = failure.error
        if failure.cause is not None:
            details["cause"] = failure.cause
        top.emit("ExecutionFailed", details)
        return ExecutionOutcome("FAILED", error=failure.error, cause=failure.cause)
    text = to_json(output)
    top.emit("ExecutionSucceeded", {"output": text, "outputDetails": {"truncated": False}})
    return ExecutionOutcome("SUCCEEDED", output=output)


async def run_scope(scope: Scope, data: Any) -> Any:
    """Run a scope's states from StartAt to an end; return the last output (StateFailure up)."""
    states = scope.machine.states
    name = scope.machine.start_at
    while True:
        state = states[name]
        key = scope.enter(name)
        handler = _HANDLERS[type(state)]
        if scope.branch:
            following, data = await _aborting(handler, scope, state, key, data)
        else:
            following, data = await handler(scope, state, key, data)
        if following is None:
            return data
        name = following


async def _aborting(
    handler: Callable[[Scope, Any, str, Any], Awaitable[tuple[str | None, Any]]],
    scope: Scope,
    state: AnyState,
    key: str,
    data: Any,
) -> tuple[str | None, Any]:
    """In a Parallel branch, a state that fails or is cancelled ends with {Type}StateAborted."""
    try:
        return await handler(scope, state, key, data)
    except (e.StateFailure, asyncio.CancelledError):
        if not isinstance(state, FailState):
            scope.emit(f"{state.type}StateAborted", {"name": state.name})
        raise


def _enter(scope: Scope, state: AnyState, key: str, data: Any) -> Frame:
    stamp = scope.emit(
        f"{state.type}StateEntered",
        {"name": state.name, "input": to_json(data), "inputDetails": {"truncated": False}},
    )
    return Frame(scope, state, key, data, stamp)


def _exit(frame: Frame, output: Any) -> tuple[str | None, Any]:
    assigned = frame.commit_assignments()
    details = exit_details(frame.state.name, output, assigned)
    check_size(frame, details["output"])
    frame.scope.emit(f"{frame.state.type}StateExited", details)
    state = frame.state
    return (None if state.end else state.next), output


# -- Pass, Succeed, Fail, Choice, Wait ----------------------------------------------------------


async def _pass(scope: Scope, state: PassState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = _enter(scope, state, key, data)
    if state.query_language == JSONATA:
        bindings = frame.bindings()
        output = data if state.output is ABSENT else frame.evaluate(state.output, "Output", bindings)
        frame.assign(state.assign, None, bindings)
        return _exit(frame, output)
    effective = frame.path("InputPath", state.input_path, data)
    if state.parameters is not ABSENT:
        effective = frame.template(state.parameters, effective)
    result = effective if state.result is ABSENT else state.result
    frame.assign(state.assign, result)
    output = frame.result_path(state.result_path, data, result)
    return _exit(frame, frame.path("OutputPath", state.output_path, output))


async def _succeed(scope: Scope, state: SucceedState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = _enter(scope, state, key, data)
    if state.query_language == JSONATA:
        output = data if state.output is ABSENT else frame.evaluate(state.output, "Output", frame.bindings())
    else:
        output = frame.path("OutputPath", state.output_path, frame.path("InputPath", state.input_path, data))
    _exit(frame, output)
    return None, output


async def _fail(scope: Scope, state: FailState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = _enter(scope, state, key, data)
    if state.query_language == JSONATA:
        bindings = frame.bindings()
        error = None if state.error is ABSENT else frame.evaluate(state.error, "Error", bindings)
        cause = None if state.cause is ABSENT else frame.evaluate(state.cause, "Cause", bindings)
    else:
        error = _fail_field(frame, "ErrorPath", state.error, state.error_path, data)
        cause = _fail_field(frame, "CausePath", state.cause, state.cause_path, data)
    raise e.StateFailure(
        None if error is None else _text(error), None if cause is None else _text(cause)
    )


def _fail_field(frame: Frame, field: str, value: Any, path: str | None, data: Any) -> Any:
    if path is None:
        return None if value is ABSENT else value
    if path.startswith("States."):
        try:
            return evaluate_intrinsic(path, data, frame.env)
        except IntrinsicFailure as exc:
            raise frame.runtime(str(exc), e.INTRINSIC_FAILURE) from None
        except (NoMatch, UndefinedVariable):
            raise frame.runtime(f"The {field} '{path}' could not be found in the input") from None
    try:
        return select(path, data, frame.env)
    except (NoMatch, UndefinedVariable):
        raise frame.runtime(
            f"The JSONPath '{path}' specified for the field '{field}' could not be found in the "
            f"input '{to_json(data)}'"
        ) from None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value)


async def _choice(scope: Scope, state: ChoiceState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = _enter(scope, state, key, data)
    if state.query_language == JSONATA:
        bindings = frame.bindings()
        for index, rule in enumerate(state.choices):
            field = f"Choices[{index}].Condition"
            verdict = rule.condition
            if jn.is_expression(verdict):
                verdict = frame.evaluate(verdict, field, bindings)
            if not isinstance(verdict, bool):
                raise frame.query_failure(jn.QueryError(
                    f"The Condition field of the Choices[{index}] must evaluate to a boolean value."))
            if verdict:
                output_template = rule.output if rule.output is not ABSENT else state.output
                output = data if output_template is ABSENT else frame.evaluate(output_template, "Output", bindings)
                frame.assign(rule.assign if rule.assign is not ABSENT else state.assign, None, bindings)
                _exit(frame, output)
                return rule.next, output
        following = _default(frame, state)
        output = data if state.output is ABSENT else frame.evaluate(state.output, "Output", bindings)
        frame.assign(state.assign, None, bindings)
        _exit(frame, output)
        return following, output
    effective = frame.path("InputPath", state.input_path, data)
    chosen = None
    for rule in state.choices:
        try:
            matched = rule.rule is not None and holds(rule.rule, effective, frame.env)
        except ChoicePathError as exc:
            raise frame.runtime(
                f"Invalid path '{exc.path}' : The choice state's condition path references an "
                "invalid value."
            ) from None
        if matched:
            chosen = rule
            break
    if chosen is not None:
        following = chosen.next
        frame.assign(chosen.assign if chosen.assign is not ABSENT else state.assign, effective)
    else:
        following = _default(frame, state)
        frame.assign(state.assign, effective)
    output = frame.path("OutputPath", state.output_path, effective)
    _exit(frame, output)
    return following, output


def _default(frame: Frame, state: ChoiceState) -> str:
    if state.default is None:
        raise e.StateFailure(
            e.NO_CHOICE_MATCHED,
            f"{frame.prefix()} No Choice Rule matched and no Default was specified",
        )
    return state.default


async def _wait(scope: Scope, state: WaitState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = _enter(scope, state, key, data)
    start = frame.entered.timestamp
    if state.query_language == JSONATA:
        bindings = frame.bindings()
        if state.seconds is not ABSENT:
            seconds = state.seconds
            if jn.is_expression(seconds):
                seconds = frame.evaluate(seconds, "Seconds", bindings)
            if isinstance(seconds, float) and seconds.is_integer():
                seconds = int(seconds)
            if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
                raise frame.query_failure(jn.QueryError(
                    f"The Seconds field must evaluate to a non-negative integer, but was "
                    f"'{to_json(seconds)}'."))
            deadline = start + seconds
        else:
            stamp = state.timestamp
            if jn.is_expression(stamp):
                stamp = frame.evaluate(stamp, "Timestamp", bindings)
            moment = parse_timestamp(stamp)
            if moment is None:
                raise frame.query_failure(jn.QueryError(
                    "The Timestamp field must evaluate to a valid ISO-8601 extended offset date-time "
                    f"format string, but was '{to_json(stamp)}'."))
            deadline = moment.timestamp()
        output = data if state.output is ABSENT else frame.evaluate(state.output, "Output", bindings)
        frame.assign(state.assign, None, bindings)
    else:
        effective = frame.path("InputPath", state.input_path, data)
        deadline = _deadline(frame, state, effective, start)
        frame.assign(state.assign, effective)
        output = frame.path("OutputPath", state.output_path, effective)
    await scope.run.effects.wait_until(f"{key}/wait", deadline)
    return _exit(frame, output)


def _deadline(frame: Frame, state: WaitState, data: Any, start: float) -> float:
    # https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
    if state.seconds is not ABSENT:
        return start + float(state.seconds)
    if state.timestamp is not ABSENT:
        moment = parse_timestamp(state.timestamp)
        return moment.timestamp() if moment else start
    if state.seconds_path is not None:
        path = state.seconds_path
        try:
            value = select(path, data, frame.env)
        except (NoMatch, UndefinedVariable):
            raise frame.runtime(f"The SecondsPath parameter does not reference an input value: {path}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not value.is_integer()
        ):
            raise frame.runtime(
                f"The SecondsPath parameter cannot be parsed as a long value: {path} == {_text(value)}"
            )
        if value < 0:
            raise frame.runtime(
                f"The SecondsPath parameter references a negative value: {path} == {_text(value)}"
            )
        return start + int(value)
    path = state.timestamp_path or "$"
    try:
        value = select(path, data, frame.env)
    except (NoMatch, UndefinedVariable):
        raise frame.runtime(f"The TimestampPath parameter does not reference an input value: {path}") from None
    moment = parse_timestamp(value)
    if moment is None:
        raise frame.runtime(
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
            f"date-time format string: {path} == {_text(value)}"
        )
    return moment.timestamp()


# -- Task, and Retry / Catch for Task, Parallel and Map ------------------------------------------


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
            if isinstance(state, ParallelState):
                frame.scope.emit("ParallelStateFailed")
            catch = e.first_match(state.catch, failure.error)
            if catch is None:
                raise
            return _caught(frame, catch[1], failure)
        return _exit(frame, output)


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


async def _task(scope: Scope, state: TaskState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = _enter(scope, state, key, data)
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
        raise frame.runtime(f"The {field} parameter references an invalid value: {path} == {_text(found)}")
    return int(found)


async def _parallel(scope: Scope, state: ParallelState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = _enter(scope, state, key, data)
    return await attempts(frame, state, fanout.parallel_attempt)


async def _map(scope: Scope, state: MapState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = _enter(scope, state, key, data)
    return await attempts(frame, state, fanout.map_attempt)



_HANDLERS: dict[type, Callable[[Scope, Any, str, Any], Awaitable[tuple[str | None, Any]]]] = {
    PassState: _pass,
    TaskState: _task,
    ChoiceState: _choice,
    WaitState: _wait,
    SucceedState: _succeed,
    FailState: _fail,
    ParallelState: _parallel,
    MapState: _map,
}
