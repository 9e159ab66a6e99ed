"""validate_definition: the model it builds and AWS's diagnostics for broken definitions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from overcast.workflows.asl import InvalidDefinition, validate_definition
from overcast.workflows.asl.definition import analyse
from overcast.workflows.asl.model import JSONATA, MapState, PassState, TaskState


def _text(doc: Any) -> str:
    return json.dumps(doc)


def test_builds_the_model() -> None:
    machine = validate_definition(_text({
        "QueryLanguage": "JSONata", "StartAt": "A", "TimeoutSeconds": 5,
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}], "Next": "C"},
            "C": {"Type": "Map", "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                  "End": True},
        },
    }))
    assert machine.start_at == "A" and machine.timeout_seconds == 5
    assert isinstance(machine.states["A"], PassState) and machine.states["A"].query_language == JSONATA
    task = machine.states["B"]
    assert isinstance(task, TaskState) and task.retry[0].max_attempts == 0
    assert isinstance(machine.states["C"], MapState) and machine.states["C"].mode == "INLINE"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"States": {"A": {"Type": "Succeed"}}},
         "SCHEMA_VALIDATION_FAILED: Missing required property 'StartAt' at /"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "X"}}},
         "MISSING_TRANSITION_TARGET: Missing 'Next' target: X at /States/A/Next"),
        ({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}}},
         'MISSING_TRANSITION_TARGET: State "B" is not reachable. at /States/B'),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass"}}},
         "SCHEMA_VALIDATION_FAILED: These fields are required: [End, Next] at /States/A"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.a[", "End": True}}},
         "INVALID_JSON_PATH"),
        ({"StartAt": "A", "States": {"A": {"Type": "Nope", "End": True}}},
         "SCHEMA_VALIDATION_FAILED"),
        ({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                                           "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}],
                                           "End": True}}},
         "SCHEMA_VALIDATION_FAILED: Retrier with 'States.ALL' must be the last one at /States/A/Retry[0]"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Bogus": 1, "End": True}}},
         "SCHEMA_VALIDATION_FAILED: Field 'Bogus' is not supported at /States/A/Bogus"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "States.Nope(1)"},
                                           "End": True}}},
         "SCHEMA_VALIDATION_FAILED"),
        # Custom errors may not take the service's `States.` names.
        ({"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "States.X"}}},
         "SCHEMA_VALIDATION_FAILED: Custom error names may not start with 'States.': States.X at /States/A/Error"),
        ({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                                           "Retry": [{"ErrorEquals": ["Mine", "States.X"]}], "End": True}}},
         "SCHEMA_VALIDATION_FAILED: Custom error names may not start with 'States.': States.X"
         " at /States/A/Retry[0]/ErrorEquals[1]"),
        ({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                                           "Catch": [{"ErrorEquals": ["States.X"], "Next": "B"}], "End": True},
                                     "B": {"Type": "Succeed"}}},
         "at /States/A/Catch[0]/ErrorEquals[0]"),
        ({"QueryLanguage": "JSONata", "StartAt": "A",
          "States": {"A": {"Type": "Pass", "Output": {"v": "{% $states.input. %}"}, "End": True}}},
         "INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/A/Output/v"),
        ({"QueryLanguage": "JSONata", "StartAt": "A",
          "States": {"A": {"Type": "Choice", "Choices": [{"Condition": "{% 1 + %}", "Next": "B"}]},
                     "B": {"Type": "Succeed"}}},
         "INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/A/Choices[0]/Condition"),
    ],
)
def test_invalid_definitions(doc: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidDefinition) as raised:
        validate_definition(_text(doc))
    assert raised.value.message.startswith("Invalid State Machine Definition: '")
    assert expected in raised.value.message
    assert raised.value.code == "InvalidDefinition" and raised.value.status == 400


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"StartAt": "A", "States": {"A": {"Type": ["Pass"], "End": True}}},
         "SCHEMA_VALIDATION_FAILED: Value is not one of the allowed values"),
        ({"StartAt": "A", "States": {"A": {"Type": {"Pass": 1}, "End": True}}},
         "{'Pass': 1} at /States/A/Type"),
        ({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True,
                                                                          "Next": "B"}], "Default": ["B"]},
                                     "B": {"Type": "Succeed"}}},
         "SCHEMA_VALIDATION_FAILED: Expected value of type: String at /States/A/Default"),
    ],
)
def test_a_field_of_the_wrong_json_type_is_a_diagnostic_not_a_crash(doc: dict[str, Any], expected: str) -> None:
    # A list or object where a name belongs could not be looked up (unhashable): it failed with a TypeError.
    with pytest.raises(InvalidDefinition) as raised:
        validate_definition(_text(doc))
    assert expected in raised.value.message


def test_diagnostics_have_code_message_location_severity() -> None:
    machine, diagnostics = analyse(_text({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Z"}}}))
    assert machine is None
    first = diagnostics[0]
    assert (first.code, first.location, first.severity) == (
        "MISSING_TRANSITION_TARGET", "/States/A/Next", "ERROR")


def test_not_json() -> None:
    with pytest.raises(InvalidDefinition, match="INVALID_JSON_DESCRIPTION"):
        validate_definition("{nope")


def test_the_service_errors_are_valid_error_names() -> None:
    catchers = [{"ErrorEquals": ["States.Runtime", "States.TaskFailed"], "Next": "B"},
                {"ErrorEquals": ["States.ALL"], "Next": "B"}]
    validate_definition(_text({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "Catch": catchers, "End": True},
        "B": {"Type": "Fail", "Error": "States.Timeout"},
    }}))


def _choice(rule: dict[str, Any], language: str = "JSONPath") -> str:
    return _text({"QueryLanguage": language, "StartAt": "A", "States": {
        "A": {"Type": "Choice", "Choices": [{**rule, "Next": "B"}], "Default": "B"},
        "B": {"Type": "Succeed"}}})


@pytest.mark.parametrize(
    "rule",
    [
        {"Comment": "top", "Variable": "$.x", "IsPresent": True},
        {"Comment": "top", "And": [{"Comment": "inner", "Variable": "$.x", "IsPresent": True},
                                   {"Not": {"Comment": "negated", "Variable": "$.y", "IsNull": True}}]},
        {"Or": [{"Variable": "$.x", "NumericEquals": 1, "Comment": "last"}]},
    ],
)
def test_choice_rules_nested_or_not_may_carry_a_comment(rule: dict[str, Any]) -> None:
    # The ASL lets any rule, nested in And / Or / Not too, carry a Comment string.
    # https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
    validate_definition(_choice(rule))


@pytest.mark.parametrize(
    ("rule", "language", "expected"),
    [
        ({"Comment": 3, "Variable": "$.x", "IsPresent": True}, "JSONPath",
         "Expected value of type: String at /States/A/Choices[0]/Comment"),
        ({"And": [{"Comment": ["x"], "Variable": "$.x", "IsPresent": True}]}, "JSONPath",
         "Expected value of type: String at /States/A/Choices[0]/And[0]/Comment"),
        ({"Note": "x", "Variable": "$.x", "IsPresent": True}, "JSONPath",
         "Field 'Note' is not supported at /States/A/Choices[0]/Note"),
        ({"Condition": "{% true %}", "Variable": "$.x"}, "JSONata",
         "Field 'Variable' is not supported at /States/A/Choices[0]/Variable"),
    ],
)
def test_choice_rule_fields_are_checked(rule: dict[str, Any], language: str, expected: str) -> None:
    with pytest.raises(InvalidDefinition) as raised:
        validate_definition(_choice(rule, language))
    assert expected in raised.value.message


def test_a_jsonata_choice_rule_may_carry_a_comment() -> None:
    validate_definition(_choice({"Comment": "why", "Condition": "{% true %}", "Output": {}}, "JSONata"))
