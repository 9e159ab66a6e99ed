"""run_execution: state semantics, Retry/Catch, Map/Parallel, variables, JSONata, replay."""

from __future__ import annotations

import json
from typing import Any

import pytest

from overcast.workflows.asl import (
    ExecutionContext,
    ExecutionOutcome,
    TaskRequest,
    TaskResult,
    run_execution,
    validate_definition,
)
from tests.workflows.asl.journal import START, MemoryEffects

CONTEXT = ExecutionContext(
    execution_arn="arn:aws:states:us-east-1:000000000000:execution:sm:e1",
    execution_name="e1",
    state_machine_arn="arn:aws:states:us-east-1:000000000000:stateMachine:sm",
    state_machine_name="sm",
    role_arn="arn:aws:iam::000000000000:role/r",
    start_time=START,
)
FN = "arn:aws:lambda:us-east-1:000000000000:function:f"


async def run(definition: dict[str, Any], input: Any = None, effects: MemoryEffects | None = None
              ) -> tuple[ExecutionOutcome, MemoryEffects]:
    effects = effects or MemoryEffects()
    machine = validate_definition(json.dumps(definition))
    return await run_execution(machine, {} if input is None else input, CONTEXT, effects), effects


def one(state: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": {**state, "End": True}}, **top}


def failing(times: int, error: str = "Boom", output: Any = None) -> Any:
    calls = {"n": 0}

    def handler(request: TaskRequest) -> TaskResult:
        calls["n"] += 1
        if calls["n"] <= times:
            return TaskResult(error=error, cause=f"attempt {calls['n']}")
        return TaskResult(output=output if output is not None else request.parameters)

    return handler


async def test_pass_data_flow() -> None:
    outcome, effects = await run(one({"Type": "Pass", "InputPath": "$.in", "Parameters": {"v.$": "$.x"},
                                      "ResultPath": "$.res", "OutputPath": "$.res"}), {"in": {"x": 1}})
    assert (outcome.status, outcome.output) == ("SUCCEEDED", {"v": 1})
    assert effects.types == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"Type": "Pass", "InputPath": "$.a"}, "Invalid path '$.a' : No results for path: $['a']"),
        ({"Type": "Pass", "InputPath": "$.a.b[0]"}, "Invalid path '$.a.b[0]' : No results for path: $['a']['b'][0]"),
        ({"Type": "Pass", "OutputPath": "$.no-such"}, "Invalid path '$.no-such' : No results for path: $['no-such']"),
        ({"Type": "Pass", "Parameters": {"v.$": "$.x"}},
         "The JSONPath '$.x' specified for the field 'v.$' could not be found in the input '{\"z\":1}'"),
        ({"Type": "Pass", "Result": {"r": 1}, "ResultPath": "$.res", "OutputPath": "$.res.s"},
         "Invalid path '$.res.s' : No results for path: $['res']['s']"),
    ],
)
async def test_path_failure_causes(state: dict[str, Any], expected: str) -> None:
    # InputPath / OutputPath: AWS's JsonPath error with the path in bracket notation; a payload template's
    # `.$` field: the field and the input. Both are States.Runtime with the state's prefix.
    # https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
    outcome, _ = await run(one(state), {"z": 1})
    assert outcome.error == "States.Runtime"
    assert outcome.cause == f"An error occurred while executing the state 'S' (entered at the event id #2). {expected}"


async def test_retry_backoff_and_success() -> None:
    effects = MemoryEffects(failing(2))
    state = {"Type": "Task", "Resource": FN, "Retry": [
        {"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 2}]}
    outcome, effects = await run(one(state), {"k": 1}, effects)
    assert outcome.status == "SUCCEEDED" and outcome.output == {"k": 1}
    assert [k for k, _ in effects.requests] == ["/S#0/a0", "/S#0/a1", "/S#0/a2"]
    assert [when - START for _, when in effects.waits] == [2, 2 + 6]


async def test_retry_max_delay_and_full_jitter() -> None:
    effects = MemoryEffects(failing(1))
    state = {"Type": "Task", "Resource": FN, "Retry": [
        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 100, "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}]}
    outcome, effects = await run(one(state), {}, effects)
    assert outcome.status == "SUCCEEDED"
    (_, when), = effects.waits
    assert 0 <= when - START <= 10


async def test_max_attempts_zero_and_catch() -> None:
    effects = MemoryEffects(failing(5))
    definition = {"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": FN, "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 0}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Done"}], "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    outcome, effects = await run(definition, {"keep": True}, effects)
    assert outcome.output == {"keep": True, "err": {"Error": "Boom", "Cause": "attempt 1"}}
    assert len(effects.requests) == 1


async def test_task_failed_does_not_match_timeout() -> None:
    effects = MemoryEffects(failing(1, "States.Timeout"))
    state = {"Type": "Task", "Resource": FN, "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "X"}]}
    definition = {"StartAt": "S", "States": {"S": {**state, "End": True}, "X": {"Type": "Succeed"}}}
    outcome, _ = await run(definition, {}, effects)
    assert (outcome.status, outcome.error) == ("FAILED", "States.Timeout")


async def test_runtime_errors_are_not_caught() -> None:
    state = {"Type": "Task", "Resource": FN, "InputPath": "$.nope",
             "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "X"}]}
    definition = {"StartAt": "S", "States": {"S": {**state, "End": True}, "X": {"Type": "Succeed"}}}
    outcome, _ = await run(definition, {}, MemoryEffects(failing(0)))
    assert outcome.error == "States.Runtime"


async def test_task_request_carries_timeouts_and_token() -> None:
    effects = MemoryEffects(failing(0, output={"ok": 1}))
    state = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
             "Parameters": {"token.$": "$$.Task.Token"}, "TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 5}
    _, effects = await run(one(state), {"t": 30}, effects)
    (_, request), = effects.requests
    assert request.timeout_seconds == 30 and request.heartbeat_seconds == 5
    assert request.task_token and request.parameters == {"token": request.task_token}


async def test_wait_states_use_durable_timers() -> None:
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Wait", "Seconds": 10, "Next": "B"},
        "B": {"Type": "Wait", "TimestampPath": "$.at", "End": True}}}
    outcome, effects = await run(definition, {"at": "2026-01-02T00:00:00Z"})
    assert outcome.status == "SUCCEEDED"
    assert effects.waits == [("/A#0/wait", START + 10), ("/B#0/wait", START + 86400)]


async def test_choice_default_and_no_match() -> None:
    definition = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}]},
        "Big": {"Type": "Succeed"}}}
    outcome, _ = await run(definition, {"n": 5})
    assert outcome.status == "SUCCEEDED"
    outcome, _ = await run(definition, {"n": 0})
    assert outcome.error == "States.NoChoiceMatched"


async def test_parallel_and_variable_scopes() -> None:
    definition = {"StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
        "P": {"Type": "Parallel", "Branches": [
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Parameters": {"seen.$": "$x"}, "Assign": {"y": 2},
                                              "End": True}}},
            {"StartAt": "C", "States": {"C": {"Type": "Pass", "Result": 3, "End": True}}}], "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"x.$": "$x", "out.$": "$"}, "End": True}}}
    outcome, effects = await run(definition)
    assert outcome.output == {"x": 1, "out": [{"seen": 1}, 3]}
    assert "ParallelStateSucceeded" in effects.types


async def test_inline_map_with_selector_and_concurrency() -> None:
    state = {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
             "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
             "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN, "End": True}}}}
    outcome, effects = await run(one(state), {"items": ["a", "b", "c"]}, MemoryEffects(failing(0)))
    assert outcome.output == [{"i": 0, "v": "a"}, {"i": 1, "v": "b"}, {"i": 2, "v": "c"}]
    assert sorted(k for k, _ in effects.requests) == ["/S#0/i0/T#0/a0", "/S#0/i1/T#0/a0", "/S#0/i2/T#0/a0"]
    assert effects.types.count("MapIterationSucceeded") == 3


async def test_map_tolerated_failures() -> None:
    processor = {"StartAt": "F", "States": {"F": {"Type": "Choice", "Choices": [
        {"Variable": "$", "NumericEquals": 1, "Next": "Bad"}], "Default": "Ok"},
        "Bad": {"Type": "Fail", "Error": "E"}, "Ok": {"Type": "Succeed"}}}
    base = {"Type": "Map", "ItemProcessor": {**processor, "ProcessorConfig": {"Mode": "DISTRIBUTED",
                                                                               "ExecutionType": "STANDARD"}}}
    outcome, effects = await run(one({**base, "ToleratedFailureCount": 1}), [0, 1, 2])
    assert outcome.status == "SUCCEEDED" and outcome.output[0] == 0 and outcome.output[1] == {"Error": "E"}
    assert "MapRunStarted" in effects.types and "MapIterationStarted" not in effects.types
    outcome, _ = await run(one({**base, "ToleratedFailureCount": 0}), [0, 1, 2])
    assert outcome.error == "States.ExceedToleratedFailureThreshold"


async def test_item_reader_is_a_clear_failure() -> None:
    state = {"Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {}},
             "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}}
    outcome, _ = await run(one(state), [])
    assert outcome.error == "States.ItemReaderFailed" and "not supported" in (outcome.cause or "")


async def test_jsonata_state() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"total": "{% $sum($states.input.xs) %}"},
              "Output": {"n": "{% $count($states.input.xs) %}"}, "Next": "B"},
        "B": {"Type": "Pass", "Output": "{% {'n': $states.input.n, 'total': $total, 'r': $range(1, 3, 1),"
              " 'p': $partition([1,2,3], 2), 'h': $hash('input data', 'MD5')} %}", "End": True}}}
    outcome, _ = await run(definition, {"xs": [1, 2, 3]})
    assert outcome.output == {"n": 3, "total": 6, "r": [1, 2, 3], "p": [[1, 2], [3]],
                              "h": "812f45842bc6d66ee14572ce20db8e86"}


async def test_jsonata_undefined_is_a_query_error() -> None:
    outcome, effects = await run(one({"Type": "Pass", "Output": "{% $nothing %}"}, QueryLanguage="JSONata"))
    assert outcome.error == "States.QueryEvaluationError"
    assert effects.types[-2:] == ["EvaluationFailed", "ExecutionFailed"]


async def test_data_limit_exceeded() -> None:
    outcome, _ = await run(one({"Type": "Pass", "Parameters": {"big.$": "$.s"}}), {"s": "x" * 300_000})
    assert outcome.error == "States.DataLimitExceeded"


async def test_execution_timeout() -> None:
    definition = {"TimeoutSeconds": 5, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}

    class Slow(MemoryEffects):
        async def wait_until(self, key: str, epoch_seconds: float) -> None:
            if key != "execution/timeout":
                import asyncio

                await asyncio.Event().wait()  # never fires: the execution timer wins
            await super().wait_until(key, epoch_seconds)

    outcome, effects = await run(definition, {}, Slow())
    # The machine's TimeoutSeconds ends the execution TIMED_OUT with an ExecutionTimedOut event whose
    # details are empty (ExecutionTimedOutEventDetails: error and cause are optional, AWS sets neither);
    # the running state gets no Exited event.
    # https://docs.aws.amazon.com/step-functions/latest/apireference/API_ExecutionTimedOutEventDetails.html
    assert (outcome.status, outcome.error, outcome.cause, outcome.output_text) == ("TIMED_OUT", None, None, None)
    assert effects.types == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    assert effects.events[-1].details == {}


async def test_replay_is_deterministic_and_repeats_no_work() -> None:
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$", "ItemProcessor": {
        "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN, "Retry": [
            {"ErrorEquals": ["States.ALL"], "JitterStrategy": "FULL"}], "Next": "R"},
            "R": {"Type": "Pass", "Parameters": {"r.$": "States.MathRandom(0, 100)", "u.$": "States.UUID()"},
                  "End": True}}}, "End": True}}}
    effects = MemoryEffects(failing(1))
    first, effects = await run(definition, [1, 2, 3], effects)
    events, calls = list(effects.events), len(effects.requests)
    again, effects = await run(definition, [1, 2, 3], effects)
    assert again == first and effects.events == events and len(effects.requests) == calls
    assert effects.replayed == len(events)
