"""TestState through boto3: one state's data flow (inspectionData), statuses, and a real Lambda Task."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/sfn"


@pytest.fixture(scope="module")
def sfn(aws: Any) -> Any:
    # TestState's model has the host prefix "sync-": a client for a local endpoint turns it off.
    return aws("stepfunctions", config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))


def test_pass_state_data_flow_at_debug(sfn: Any) -> None:
    state = {"Type": "Pass", "InputPath": "$.order", "Parameters": {"id.$": "$.id", "kind": "book"},
             "ResultPath": "$.picked", "OutputPath": "$.picked", "Next": "Ship"}
    out = sfn.test_state(definition=json.dumps(state), roleArn=ROLE, input='{"order":{"id":7}}',
                         inspectionLevel="DEBUG")
    assert out["status"] == "SUCCEEDED" and out["nextState"] == "Ship"
    assert json.loads(out["output"]) == {"id": 7, "kind": "book"}
    data = out["inspectionData"]
    assert json.loads(data["input"]) == {"order": {"id": 7}}
    assert json.loads(data["afterInputPath"]) == {"id": 7}
    assert json.loads(data["afterParameters"]) == {"id": 7, "kind": "book"}
    assert json.loads(data["afterResultPath"]) == {"order": {"id": 7}, "picked": {"id": 7, "kind": "book"}}
    info = sfn.test_state(definition=json.dumps(state), roleArn=ROLE, input='{"order":{"id":7}}')
    assert "inspectionData" not in info


def test_choice_and_fail_and_a_state_of_a_whole_machine(sfn: Any) -> None:
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}],
              "Default": "Small"}
    assert sfn.test_state(definition=json.dumps(choice), roleArn=ROLE, input='{"n":5}')["nextState"] == "Big"
    failed = sfn.test_state(definition=json.dumps({"Type": "Fail", "Error": "Oops", "Cause": "why"}), roleArn=ROLE)
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "Oops", "why")
    machine = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                           "B": {"Type": "Pass", "Result": 2, "End": True}}}
    out = sfn.test_state(definition=json.dumps(machine), roleArn=ROLE, stateName="B")
    assert out["status"] == "SUCCEEDED" and out["output"] == "2" and "nextState" not in out
    with pytest.raises(ClientError) as bad:
        sfn.test_state(definition=json.dumps({"Type": "Pass", "InputPath": "$.a[", "End": True}), roleArn=ROLE)
    assert bad.value.response["Error"]["Code"] == "InvalidDefinition"


def _zip(body: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", body)
    return buffer.getvalue()


def test_task_invokes_lambda_and_reports_retry_and_catch(sfn: Any, aws: Any) -> None:
    lam = aws("lambda")
    name = "ts-" + uuid.uuid4().hex[:8]
    code = (
        "def handler(event, context):\n"
        "    if event.get('fail'):\n"
        "        raise ValueError('bad input')\n"
        "    return {'doubled': event['n'] * 2}\n"
    )
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
                              Code={"ZipFile": _zip(code)})["FunctionArn"]
    task = {"Type": "Task", "Resource": arn, "ResultSelector": {"value.$": "$.doubled"}, "ResultPath": "$.r",
            "End": True}
    out = sfn.test_state(definition=json.dumps(task), roleArn=ROLE, input='{"n":21}', inspectionLevel="DEBUG")
    assert out["status"] == "SUCCEEDED", out
    assert json.loads(out["output"]) == {"n": 21, "r": {"value": 42}}
    assert json.loads(out["inspectionData"]["result"]) == {"doubled": 42}
    assert json.loads(out["inspectionData"]["afterResultSelector"]) == {"value": 42}

    retried = dict(task, Retry=[{"ErrorEquals": ["ValueError"], "IntervalSeconds": 2, "MaxAttempts": 2}])
    out = sfn.test_state(definition=json.dumps(retried), roleArn=ROLE, input='{"fail":true}', inspectionLevel="DEBUG")
    assert out["status"] == "RETRIABLE" and out["error"] == "ValueError"
    assert out["inspectionData"]["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 2}
    caught = dict(task, Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.problem", "Next": "Handle"}])
    out = sfn.test_state(definition=json.dumps(caught), roleArn=ROLE, input='{"fail":true}', inspectionLevel="DEBUG")
    assert out["status"] == "CAUGHT_ERROR" and out["nextState"] == "Handle"
    assert json.loads(out["output"])["problem"]["Error"] == "ValueError"
    assert out["inspectionData"]["errorDetails"] == {"catchIndex": 0}
    failed = sfn.test_state(definition=json.dumps(task), roleArn=ROLE, input='{"fail":true}')
    assert failed["status"] == "FAILED" and failed["error"] == "ValueError" and "bad input" in failed["cause"]
