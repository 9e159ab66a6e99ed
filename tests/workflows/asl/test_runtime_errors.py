"""The cause texts of runtime errors: Map's Items and *Path numbers, Wait's Timestamp, JSONata values
that are no JSON (functions). Each state fails with AWS's prefix, "An error occurred while executing
the state 'S' (entered at the event id #2).", then the text below.
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

from typing import Any

import pytest

from overcast.workflows.asl import TaskRequest, TaskResult
from tests.workflows.asl.journal import MemoryEffects
from tests.workflows.asl.test_interpreter import FN, one, run

PREFIX = "An error occurred while executing the state 'S' (entered at the event id #2). "
PROCESSOR = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def _map(**fields: Any) -> dict[str, Any]:
    return {"Type": "Map", "ItemProcessor": PROCESSOR, **fields}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("MaxConcurrencyPath", "abc",
         'The MaxConcurrencyPath field refers to value "abc" which is not a valid integer: $.v'),
        ("MaxConcurrencyPath", {"a": 1},
         'The MaxConcurrencyPath field refers to value "{"a":1}" which is not a valid integer: $.v'),
        ("MaxConcurrencyPath", -1, "Expected non-negative integer for MaxConcurrency, got '-1' instead."),
        ("ToleratedFailureCountPath", True,
         'The ToleratedFailureCountPath field refers to value "true" which is not a valid integer: $.v'),
        ("ToleratedFailureCountPath", "-2",
         "Expected non-negative integer for ToleratedFailureCount, got '-2' instead."),
        ("ToleratedFailurePercentagePath", "x",
         'The ToleratedFailurePercentagePath field refers to value "x" which is not a valid number: $.v'),
        ("ToleratedFailurePercentagePath", 101,
         "Expected a number between 0 and 100 for ToleratedFailurePercentage, got '101' instead."),
    ],
)
async def test_map_path_numbers(field: str, value: Any, expected: str) -> None:
    # https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html (MaxConcurrencyPath,
    # ToleratedFailureCountPath, ToleratedFailurePercentagePath select a number from the input)
    outcome, _ = await run(one(_map(ItemsPath="$.items", **{field: "$.v"})), {"items": [1], "v": value})
    assert (outcome.error, outcome.cause) == ("States.Runtime", PREFIX + expected)


@pytest.mark.parametrize(("field", "value"), [("MaxConcurrencyPath", "2"), ("MaxConcurrencyPath", 2.7),
                                              ("ToleratedFailureCountPath", "0"),
                                              ("ToleratedFailurePercentagePath", "12.5")])
async def test_map_path_numbers_from_strings_and_fractions(field: str, value: Any) -> None:
    outcome, _ = await run(one(_map(ItemsPath="$.items", **{field: "$.v"})), {"items": [1, 2, 3], "v": value})
    assert (outcome.status, outcome.output) == ("SUCCEEDED", [1, 2, 3])


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ("{% $states.input.n %}", "'$states.input.n' specified for the field 'Items' returned an unexpected result "
         "type. Expected 'array', but was 'number' for value: 1.5"),
        ("{% $states.input.s %}", "'$states.input.s' specified for the field 'Items' returned an unexpected result "
         "type. Expected 'array', but was 'string' for value: \"abc\""),
        ("{% $states.input.o %}", "'$states.input.o' specified for the field 'Items' returned an unexpected result "
         "type. Expected 'array', but was 'object' for value: {\"k\":[1]}"),
        ("{% $states.input.b %}", "'$states.input.b' specified for the field 'Items' returned an unexpected result "
         "type. Expected 'array', but was 'boolean' for value: false"),
        ("{% null %}", "'null' specified for the field 'Items' returned an unexpected result type. Expected "
         "'array', but was 'null' for value: null"),
    ],
)
async def test_jsonata_items_of_the_wrong_type(items: str, expected: str) -> None:
    # https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html ("Items" must give a JSON array)
    outcome, effects = await run(one(_map(Items=items), QueryLanguage="JSONata"),
                                 {"n": 1.5, "s": "abc", "o": {"k": [1]}, "b": False})
    assert outcome.error == "States.QueryEvaluationError"
    assert outcome.cause == PREFIX + "The JSONata expression " + expected
    failed = effects.events[-2]
    assert (failed.type, failed.details["location"]) == ("EvaluationFailed", "Items")


@pytest.mark.parametrize(
    ("output", "shown"),
    [("{% $sum %}", "$sum"), ("{% function($x) { $x } %}", "function($x) { $x }"),
     ("{% {'f': $uppercase} %}", "{'f': $uppercase}"), ("{% [1, $count] %}", "[1, $count]")],
)
async def test_a_jsonata_function_value_is_no_json(output: str, shown: str) -> None:
    # A function is a JSONata value but not a JSON one: the field fails with States.QueryEvaluationError.
    # https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
    outcome, _ = await run(one({"Type": "Pass", "Output": output}, QueryLanguage="JSONata"), {})
    assert outcome.error == "States.QueryEvaluationError"
    assert outcome.cause == (
        PREFIX + f"The JSONata expression '{shown}' specified for the field 'Output' returned an unsupported "
        "result type.")


async def test_a_jsonata_function_may_still_be_called() -> None:
    state = {"Type": "Pass", "Output": "{% $map([1, 2], function($v) { $v * 2 }) ~> $sum() %}"}
    outcome, _ = await run(one(state, QueryLanguage="JSONata"), {})
    assert (outcome.status, outcome.output) == ("SUCCEEDED", 6)


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("{% $states.input.t %}", "$states.input.t == 2024-13-01 10:00"),
        ("{% $states.input.n %}", "$states.input.n == 12"),
    ],
)
async def test_jsonata_wait_timestamp_that_is_no_timestamp(timestamp: str, expected: str) -> None:
    # https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html (an ISO-8601 extended offset
    # date-time, e.g. 2016-03-14T01:59:00Z)
    state = {"Type": "Wait", "Timestamp": timestamp}
    outcome, _ = await run(one(state, QueryLanguage="JSONata"), {"t": "2024-13-01 10:00", "n": 12})
    assert outcome.error == "States.Runtime"
    assert outcome.cause == (
        PREFIX + "The Timestamp parameter does not reference a valid ISO-8601 extended offset date-time "
        f"format string: {expected}")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("TimestampPath", "yesterday", "The TimestampPath parameter does not reference a valid ISO-8601 "
         "extended offset date-time format string: $.v == yesterday"),
        ("SecondsPath", "ten", "The SecondsPath parameter cannot be parsed as a long value: $.v == ten"),
        ("SecondsPath", -3, "The SecondsPath parameter references a negative value: $.v == -3"),
    ],
)
async def test_wait_path_causes(field: str, value: Any, expected: str) -> None:
    outcome, _ = await run(one({"Type": "Wait", field: "$.v"}), {"v": value})
    assert (outcome.error, outcome.cause) == ("States.Runtime", PREFIX + expected)


async def test_a_retried_map_records_its_failure_once() -> None:
    # Each attempt of a Map runs its iterations again (MapStateStarted, MapIteration*); MapStateFailed comes
    # once, when no Retrier takes the failure, before a Catcher's MapStateExited.
    # https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
    processor = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "no"}}}
    state = _map(ItemsPath="$", ItemProcessor=processor,
                 Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 1}],
                 Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}])
    definition = {"StartAt": "S", "States": {"S": {**state, "End": True}, "Caught": {"Type": "Pass", "End": True}}}
    outcome, effects = await run(definition, [1])
    assert outcome.status == "SUCCEEDED" and outcome.output == {"Error": "Boom", "Cause": "no"}
    attempt = ["MapStateStarted", "MapIterationStarted", "FailStateEntered", "MapIterationFailed"]
    assert effects.types == ["ExecutionStarted", "MapStateEntered", *attempt * 3, "MapStateFailed", "MapStateExited",
                             "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


async def test_a_map_retried_into_success_records_no_failure() -> None:
    calls = {"n": 0}

    def flaky(request: TaskRequest) -> TaskResult:
        calls["n"] += 1
        return TaskResult(error="Flaky", cause="once") if calls["n"] == 1 else TaskResult(output=request.parameters)

    processor = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN, "End": True}}}
    state = _map(ItemsPath="$", ItemProcessor=processor, Retry=[{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1}])
    outcome, effects = await run(one(state), [7], MemoryEffects(flaky))
    assert (outcome.status, outcome.output) == ("SUCCEEDED", [7])
    assert "MapStateFailed" not in effects.types
    assert effects.types.count("MapStateStarted") == 2
    assert effects.types[-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ('{% $number("abc") %}', 'D3030: Unable to cast value to a number: "abc"'),
        ("{% $number($states.input.a) %}", "T0410: Argument 1 of function number does not match function signature"),
        ('{% 1 + "a" %}', "T2002: The right side of the + operator must evaluate to a number"),
        ("{% $nope() %}", "T1006: Attempted to invoke a non-function"),
        ('{% $error("custom") %}', "D3137: custom"),
    ],
)
async def test_jsonata_evaluation_errors(output: str, expected: str) -> None:
    # JSONata's own error codes and messages (https://docs.jsonata.org/), after AWS's words for the field.
    outcome, _ = await run(one({"Type": "Pass", "Output": output}, QueryLanguage="JSONata"), {"a": [1, 2]})
    assert outcome.error == "States.QueryEvaluationError"
    source = output[2:-2].strip()
    assert outcome.cause == (
        PREFIX + f"The JSONata expression '{source}' specified for the field 'Output' threw an error during "
        f"evaluation. {expected}")


@pytest.mark.parametrize(("output", "expected"), [('{% $number("12.5") %}', 12.5), ('{% $number("0x1F") %}', 31),
                                                  ("{% $number(true) %}", 1), ('{% ["1", "2"].$number() %}', [1, 2])])
async def test_jsonata_number_conversions(output: str, expected: Any) -> None:
    outcome, _ = await run(one({"Type": "Pass", "Output": output}, QueryLanguage="JSONata"), {})
    assert (outcome.status, outcome.output) == ("SUCCEEDED", expected)
