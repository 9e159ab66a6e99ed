"""The stepfunctions API through boto3 against a real server: control plane, executions, history, activities."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.workflows.engine.conftest import finish as _finish

ROLE = "arn:aws:iam::000000000000:role/sfn"


def _definition(states: dict[str, Any], start: str) -> str:
    return json.dumps({"StartAt": start, "States": states})


PASS = _definition({"P": {"Type": "Pass", "Result": {"done": "yes"}, "End": True}}, "P")


@pytest.fixture(scope="module")
def sfn(aws: Any) -> Any:
    return aws("stepfunctions")


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


@pytest.fixture(scope="module")
def runs(sfn: Any) -> bool:
    """The server runs state machines: a Pass machine succeeds (if not, every test that needs it fails)."""
    arn = sfn.create_state_machine(name="probe-" + uuid.uuid4().hex[:8], definition=PASS, roleArn=ROLE)[
        "stateMachineArn"
    ]
    finished = _finish(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert finished["status"] == "SUCCEEDED", f"a Pass state machine did not succeed: {finished}"
    return True


def test_state_machine_control_plane(sfn: Any) -> None:
    name = "cp-" + uuid.uuid4().hex[:8]
    created = sfn.create_state_machine(
        name=name, definition=PASS, roleArn=ROLE, publish=True, tags=[{"key": "team", "value": "a"}]
    )
    arn = created["stateMachineArn"]
    assert arn == f"arn:aws:states:us-east-1:000000000000:stateMachine:{name}"
    assert created["stateMachineVersionArn"] == arn + ":1"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["definition"] == PASS and described["type"] == "STANDARD" and described["status"] == "ACTIVE"
    with pytest.raises(ClientError) as bad:
        sfn.create_state_machine(name=name + "x", definition="{}", roleArn=ROLE)
    assert _code(bad.value) == "InvalidDefinition"
    with pytest.raises(ClientError) as exists:
        sfn.create_state_machine(name=name, definition=PASS.replace("yes", "no"), roleArn=ROLE)
    assert _code(exists.value) == "StateMachineAlreadyExists"
    update = sfn.update_state_machine(stateMachineArn=arn, definition=PASS.replace("yes", "no"), publish=True)
    assert update["stateMachineVersionArn"] == arn + ":2"
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [arn + ":2", arn + ":1"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": arn + ":1", "weight": 100}]
    )["stateMachineAliasArn"]
    assert sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["name"] == "live"
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "a"}]
    assert sfn.validate_state_machine_definition(definition=PASS)["result"] == "OK"
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError) as gone:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert _code(gone.value) == "StateMachineDoesNotExist"


def test_execution_names_are_idempotent_and_history_pages(sfn: Any, runs: bool) -> None:
    wait = _definition({"W": {"Type": "Wait", "Seconds": 3600, "End": True}}, "W")
    arn = sfn.create_state_machine(name="ex-" + uuid.uuid4().hex[:8], definition=wait, roleArn=ROLE)["stateMachineArn"]
    first = sfn.start_execution(stateMachineArn=arn, name="once", input='{"a":1}')
    again = sfn.start_execution(stateMachineArn=arn, name="once", input='{"a":1}')
    assert again["executionArn"] == first["executionArn"]
    with pytest.raises(ClientError) as other:
        sfn.start_execution(stateMachineArn=arn, name="once", input='{"a":2}')
    assert _code(other.value) == "ExecutionAlreadyExists"
    with pytest.raises(ClientError) as bad_input:
        sfn.start_execution(stateMachineArn=arn, input="{nope")
    assert _code(bad_input.value) == "InvalidExecutionInput"
    listed = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
    assert [e["name"] for e in listed] == ["once"]
    stopped = sfn.stop_execution(executionArn=first["executionArn"], error="Why", cause="Because")
    assert stopped["stopDate"]
    described = sfn.describe_execution(executionArn=first["executionArn"])
    assert described["status"] == "ABORTED" and described["error"] == "Why"
    events = sfn.get_execution_history(executionArn=first["executionArn"], maxResults=2)
    assert [e["type"] for e in events["events"]] == ["ExecutionStarted", "WaitStateEntered"]
    rest = sfn.get_execution_history(executionArn=first["executionArn"], nextToken=events["nextToken"])["events"]
    assert rest[-1]["type"] == "ExecutionAborted"
    assert rest[-1]["executionAbortedEventDetails"] == {"error": "Why", "cause": "Because"}
    newest = sfn.get_execution_history(executionArn=first["executionArn"], reverseOrder=True, maxResults=1)
    assert newest["events"][0]["type"] == "ExecutionAborted"
    with pytest.raises(ClientError) as missing:
        sfn.describe_execution(executionArn=first["executionArn"] + "x")
    assert _code(missing.value) == "ExecutionDoesNotExist"


def test_activity_worker_completes_a_task(sfn: Any, aws: Any, runs: bool) -> None:
    activity = sfn.create_activity(name="act-" + uuid.uuid4().hex[:8])["activityArn"]
    machine = _definition({"T": {"Type": "Task", "Resource": activity, "End": True}}, "T")
    arn = sfn.create_state_machine(name="act-" + uuid.uuid4().hex[:8], definition=machine, roleArn=ROLE)[
        "stateMachineArn"
    ]
    polled: list[dict[str, Any]] = []
    poller = threading.Thread(
        target=lambda: polled.append(aws("stepfunctions").get_activity_task(activityArn=activity, workerName="w1"))
    )
    poller.start()  # a long poll with nothing to do yet
    time.sleep(0.2)
    assert sfn.describe_activity(activityArn=activity)["activityArn"] == activity  # the server answers meanwhile
    execution = sfn.start_execution(stateMachineArn=arn, input='{"job":7}')["executionArn"]
    poller.join(30)
    task = polled[0]
    assert json.loads(task["input"]) == {"job": 7}
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    sfn.send_task_success(taskToken=task["taskToken"], output='{"ok":1}')
    done = _finish(sfn, execution)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"ok": 1}
    with pytest.raises(ClientError) as late:
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    assert _code(late.value) == "TaskTimedOut"
    types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert types[2:5] == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]


def test_express_sync_execution(sfn: Any, aws: Any, runs: bool) -> None:
    # StartSyncExecution's model has the host prefix "sync-": a client for a local endpoint turns it off.
    sync = aws("stepfunctions", config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
    arn = sfn.create_state_machine(name="xp-" + uuid.uuid4().hex[:8], definition=PASS, roleArn=ROLE, type="EXPRESS")[
        "stateMachineArn"
    ]
    out = sync.start_sync_execution(stateMachineArn=arn, input="{}")
    assert out["status"] == "SUCCEEDED" and json.loads(out["output"]) == {"done": "yes"}
    assert ":express:" in out["executionArn"] and out["billingDetails"]["billedDurationInMilliseconds"] >= 100
    standard = sfn.create_state_machine(name="st-" + uuid.uuid4().hex[:8], definition=PASS, roleArn=ROLE)
    with pytest.raises(ClientError) as wrong:
        sync.start_sync_execution(stateMachineArn=standard["stateMachineArn"])
    assert _code(wrong.value) == "StateMachineTypeNotSupported"


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ({"StartAt": "A", "States": {"A": {"Type": "Fail", "Error": "States.X"}}},
         "SCHEMA_VALIDATION_FAILED: Custom error names may not start with 'States.': States.X at /States/A/Error"),
        ({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                                           "Retry": [{"ErrorEquals": ["States.X"]}], "End": True}}},
         "at /States/A/Retry[0]/ErrorEquals[0]"),
        ({"QueryLanguage": "JSONata", "StartAt": "A",
          "States": {"A": {"Type": "Pass", "Output": "{% $states.input. %}", "End": True}}},
         "INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/A/Output"),
    ],
)
def test_invalid_definitions_are_refused(sfn: Any, definition: dict[str, Any], expected: str) -> None:
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(name="bad-" + uuid.uuid4().hex[:8], definition=json.dumps(definition), roleArn=ROLE)
    assert _code(refused.value) == "InvalidDefinition"
    message = refused.value.response["Error"]["Message"]
    assert message.startswith("Invalid State Machine Definition: '") and expected in message
    validated = sfn.validate_state_machine_definition(definition=json.dumps(definition))
    assert validated["result"] == "FAIL"
    assert validated["diagnostics"][0]["code"] in ("SCHEMA_VALIDATION_FAILED", "INVALID_JSONATA_EXPRESSION")


def test_redrive_execution(sfn: Any, runs: bool) -> None:
    fail = _definition({"F": {"Type": "Fail", "Error": "No", "Cause": "never"}}, "F")
    arn = sfn.create_state_machine(name="rd-" + uuid.uuid4().hex[:8], definition=fail, roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    failed = _finish(sfn, execution)
    assert failed["status"] == "FAILED" and failed["redriveStatus"] == "REDRIVABLE" and failed["redriveCount"] == 0
    assert sfn.redrive_execution(executionArn=execution)["redriveDate"]
    again = _finish(sfn, execution)
    assert again["status"] == "FAILED" and again["redriveCount"] == 1 and "redriveDate" in again
    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "FailStateEntered", "ExecutionFailed",
        "ExecutionRedriven", "FailStateEntered", "ExecutionFailed",
    ]
    assert events[3]["executionRedrivenEventDetails"] == {"redriveCount": 1}
    ok = sfn.create_state_machine(name="rd-" + uuid.uuid4().hex[:8], definition=PASS, roleArn=ROLE)["stateMachineArn"]
    done = sfn.start_execution(stateMachineArn=ok)["executionArn"]
    assert _finish(sfn, done)["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    with pytest.raises(ClientError) as refused:
        sfn.redrive_execution(executionArn=done)
    assert _code(refused.value) == "ExecutionNotRedrivable"
