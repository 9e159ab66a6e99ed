"""Lambda tasks through a real server with boto3: what reaches the function, and the 256 KiB result limit."""

from __future__ import annotations

import json
import sys
import time
import uuid
from typing import Any

import pytest

from tests.functions.zips import handler_zip

ROLE = "arn:aws:iam::000000000000:role/sfn"
RUNTIME = f"python3.{sys.version_info.minor}"

# The function answers with the event it received, or (given {"bytes": n, "char": c}) a string of n
# bytes of UTF-8 made of the character c.
ECHO = """
def handler(event, context):
    if isinstance(event, dict) and "char" in event:
        return {"big": event["char"] * (event["bytes"] // len(event["char"].encode("utf-8")))}
    return {"received": event, "type": type(event).__name__}
"""


@pytest.fixture(scope="module")
def echo(aws: Any) -> str:
    name = "sfn-echo-" + uuid.uuid4().hex[:8]
    created = aws("lambda").create_function(
        FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="index.handler", Code={"ZipFile": handler_zip(ECHO)},
    )  # fmt: skip
    return str(created["FunctionArn"])


def _run(aws: Any, states: dict[str, Any], payload: Any = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = aws("stepfunctions")
    arn = sfn.create_state_machine(
        name="lt-" + uuid.uuid4().hex[:8], roleArn=ROLE,
        definition=json.dumps({"StartAt": next(iter(states)), "States": states}),
    )["stateMachineArn"]  # fmt: skip
    text = json.dumps(payload or {}, ensure_ascii=False)
    execution = sfn.start_execution(stateMachineArn=arn, input=text)["executionArn"]
    deadline = time.monotonic() + 60
    while True:  # a liveness poll of the real server: the function runs in its own process
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return described, sfn.get_execution_history(executionArn=execution)["events"]


def test_lambda_invoke_sends_a_string_payload_verbatim(aws: Any, echo: str) -> None:
    # lambda:invoke hands Payload to Invoke as its body: a string is that body, not JSON to quote.
    # https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
    states = {
        "Text": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": echo, "Payload": '{"a": [1, "x"]}'},
                 "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.text", "Next": "FromPath"},
        "FromPath": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": echo, "Payload.$": "$.s"},
                     "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.path", "Next": "Object"},
        "Object": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": echo, "Payload": {"k": "v"}},
                   "ResultSelector": {"p.$": "$.Payload"}, "ResultPath": "$.object", "End": True},
    }
    described, _ = _run(aws, states, {"s": "\"quoted\""})
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["text"] == {"p": {"received": {"a": [1, "x"]}, "type": "dict"}}
    assert output["path"] == {"p": {"received": "quoted", "type": "str"}}
    assert output["object"] == {"p": {"received": {"k": "v"}, "type": "dict"}}


@pytest.mark.parametrize(
    ("resource", "failed_event"),
    [("arn:aws:states:::lambda:invoke", "TaskFailed"), ("function", "LambdaFunctionFailed")],
)
def test_a_result_over_256_kib_of_utf8_fails_with_data_limit_exceeded(
    aws: Any, echo: str, resource: str, failed_event: str
) -> None:
    # States.DataLimitExceeded when a connector's output is over the payload quota (256 KiB of UTF-8):
    # https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
    # 100,000 three-byte characters are 300,000 bytes but only 100,000 characters: bytes are counted.
    if resource == "function":
        task: dict[str, Any] = {"Type": "Task", "Resource": echo}
    else:
        task = {"Type": "Task", "Resource": resource, "Parameters": {"FunctionName": echo, "Payload.$": "$"}}
    states = {"Big": {**task, "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Caught"}],
                      "End": True},
              "Caught": {"Type": "Pass", "End": True}}  # fmt: skip
    described, events = _run(aws, states, {"bytes": 300_000, "char": "€"})
    assert described["status"] == "SUCCEEDED", described
    caught = json.loads(described["output"])
    assert caught["Error"] == "States.DataLimitExceeded"
    assert "returned a result with a size exceeding the maximum number of bytes service limit." in caught["Cause"]
    assert failed_event in [event["type"] for event in events]


def test_a_result_just_under_the_limit_passes(aws: Any, echo: str) -> None:
    # ~250,000 bytes of two-byte characters: under 262,144 bytes with the JSON around them.
    described, _ = _run(aws, {"Big": {"Type": "Task", "Resource": echo, "End": True}}, {"bytes": 250_000, "char": "é"})
    assert described["status"] == "SUCCEEDED", described
    assert len(json.loads(described["output"])["big"]) == 125_000


def test_a_state_output_over_the_limit_fails_the_execution(aws: Any) -> None:
    # Input: 25,000 four-byte characters (100,000 bytes); output: three copies (300,000 bytes).
    states = {"Grow": {"Type": "Pass", "Parameters": {"v.$": "States.Array($.s, $.s, $.s)"}, "End": True}}
    described, _ = _run(aws, states, {"s": "\U0001F600" * 25_000})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.DataLimitExceeded"
    assert described["cause"] == (
        "The state/task 'Grow' returned a result with a size exceeding the maximum number of bytes service limit."
    )
