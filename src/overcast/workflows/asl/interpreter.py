"""The execution semantics of the Amazon States Language: run_execution over a StateMachine.

One coroutine per scope walks states in order; each state type is one function: Pass, Succeed,
Fail, Choice and Wait below; Task, and Retry and Catch around the attempts of Task, Parallel and
Map, in attempts.py (Parallel's and Map's attempts in fanout.py).
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-states.html
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from overcast.workflows.asl import errors as e
from overcast.workflows.asl import jsonata as jn
from overcast.workflows.asl.attempts import run_map, run_parallel, run_task
from overcast.workflows.asl.choice import ChoicePathError, holds, parse_timestamp
from overcast.workflows.asl.distributed import MapRuns
from overcast.workflows.asl.execution import (
    Effects,
    EventStamp,
    ExecutionContext,
    ExecutionOutcome,
    HistoryEvent,
    TaskRequest,
    TaskResult,
    as_text,
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
from overcast.workflows.asl.scope import Frame, Run, Scope, enter_state, exit_state

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
    machine: StateMachine, input: Any, context: ExecutionContext, effects: Effects, map_runs: MapRuns | None = None
) -> ExecutionOutcome:
    """Run one execution to its end and return how it ended.

    `input` is the parsed execution input (JSON). Emits every history event from
    ExecutionStarted to ExecutionSucceeded/Failed/TimedOut through `effects.emit`, performs
    tasks, waits, random draws through `effects` (keys: see overcast.workflows.asl.execution).
    Deterministic given the effects' answers, so the engine can replay it after a crash.
    The machine's TimeoutSeconds is a durable timer too: wait_until("execution/timeout", ...).
    Cancelling the coroutine (StopExecution) stops it without emitting more events: the engine
    records ExecutionAborted. With `map_runs`, Distributed Map states run as Map Runs the engine records
    (asl/distributed.py); without, their iterations run inline.
    """
    run = Run(machine, input, context, effects, run_scope, map_runs)
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
    # AWS records the machine's own timeout with empty details (no error, no cause): the event
    # type says it all, unlike a state's TimeoutSeconds, which is a States.Timeout error.
    # https://docs.aws.amazon.com/step-functions/latest/apireference/API_ExecutionTimedOutEventDetails.html
    top.emit("ExecutionTimedOut", {})
    return ExecutionOutcome("TIMED_OUT")


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


# -- Pass, Succeed, Fail, Choice, Wait ----------------------------------------------------------


async def _pass(scope: Scope, state: PassState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = enter_state(scope, state, key, data)
    if state.query_language == JSONATA:
        bindings = frame.bindings()
        output = data if state.output is ABSENT else frame.evaluate(state.output, "Output", bindings)
        frame.assign(state.assign, None, bindings)
        return exit_state(frame, output)
    effective = frame.path("InputPath", state.input_path, data)
    if state.parameters is not ABSENT:
        effective = frame.template(state.parameters, effective)
    result = effective if state.result is ABSENT else state.result
    frame.assign(state.assign, result)
    output = frame.result_path(state.result_path, data, result)
    return exit_state(frame, frame.path("OutputPath", state.output_path, output))


async def _succeed(scope: Scope, state: SucceedState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = enter_state(scope, state, key, data)
    if state.query_language == JSONATA:
        output = data if state.output is ABSENT else frame.evaluate(state.output, "Output", frame.bindings())
    else:
        output = frame.path("OutputPath", state.output_path, frame.path("InputPath", state.input_path, data))
    exit_state(frame, output)
    return None, output


async def _fail(scope: Scope, state: FailState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = enter_state(scope, state, key, data)
    if state.query_language == JSONATA:
        bindings = frame.bindings()
        error = None if state.error is ABSENT else frame.evaluate(state.error, "Error", bindings)
        cause = None if state.cause is ABSENT else frame.evaluate(state.cause, "Cause", bindings)
    else:
        error = _fail_field(frame, "ErrorPath", state.error, state.error_path, data)
        cause = _fail_field(frame, "CausePath", state.cause, state.cause_path, data)
    raise e.StateFailure(
        None if error is None else as_text(error), None if cause is None else as_text(cause)
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


async def _choice(scope: Scope, state: ChoiceState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = enter_state(scope, state, key, data)
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
                exit_state(frame, output)
                return rule.next, output
        following = _default(frame, state)
        output = data if state.output is ABSENT else frame.evaluate(state.output, "Output", bindings)
        frame.assign(state.assign, None, bindings)
        exit_state(frame, output)
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
    exit_state(frame, output)
    return following, output


def _default(frame: Frame, state: ChoiceState) -> str:
    if state.default is None:
        raise e.StateFailure(
            e.NO_CHOICE_MATCHED,
            f"{frame.prefix()} No Choice Rule matched and no Default was specified",
        )
    return state.default


async def _wait(scope: Scope, state: WaitState, key: str, data: Any) -> tuple[str | None, Any]:
    frame = enter_state(scope, state, key, data)
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
                # As TimestampPath's: States.Runtime, the expression and the value it gave.
                # https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
                source = jn.expression_text(state.timestamp) if jn.is_expression(state.timestamp) else state.timestamp
                raise frame.runtime(
                    "The Timestamp parameter does not reference a valid ISO-8601 extended offset date-time "
                    f"format string: {as_text(source)} == {as_text(stamp)}"
                )
            deadline = moment.timestamp()
        output = data if state.output is ABSENT else frame.evaluate(state.output, "Output", bindings)
        frame.assign(state.assign, None, bindings)
    else:
        effective = frame.path("InputPath", state.input_path, data)
        deadline = _deadline(frame, state, effective, start)
        frame.assign(state.assign, effective)
        output = frame.path("OutputPath", state.output_path, effective)
    await scope.run.effects.wait_until(f"{key}/wait", deadline)
    return exit_state(frame, output)


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
                f"The SecondsPath parameter cannot be parsed as a long value: {path} == {as_text(value)}"
            )
        if value < 0:
            raise frame.runtime(
                f"The SecondsPath parameter references a negative value: {path} == {as_text(value)}"
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
            f"date-time format string: {path} == {as_text(value)}"
        )
    return moment.timestamp()


_HANDLERS: dict[type, Callable[[Scope, Any, str, Any], Awaitable[tuple[str | None, Any]]]] = {
    PassState: _pass,
    TaskState: run_task,
    ChoiceState: _choice,
    WaitState: _wait,
    SucceedState: _succeed,
    FailState: _fail,
    ParallelState: run_parallel,
    MapState: run_map,
}
