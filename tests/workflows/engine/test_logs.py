"""Executions log to CloudWatch Logs per the state machine's LoggingConfiguration (through boto3)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::000000000000:role/sfn"


def _logging(group_arn: str, level: str, data: bool) -> dict[str, Any]:
    return {
        "level": level,
        "includeExecutionData": data,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group_arn}}],
    }


def _lines(logs: Any, group: str, want: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while True:
        events = logs.filter_log_events(logGroupName=group)["events"]
        if len(events) >= want or time.monotonic() > deadline:
            return [json.loads(e["message"]) for e in events]
        time.sleep(0.05)


def test_express_execution_logs_every_event_with_its_data(aws: Any) -> None:
    sfn = aws("stepfunctions", config=Config(inject_host_prefix=False))
    logs = aws("logs")
    group = "/aws/vendedlogs/states/xp-" + uuid.uuid4().hex[:8]
    logs.create_log_group(logGroupName=group)
    group_arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": 1}, "End": True}}}
    arn = sfn.create_state_machine(
        name="xp-" + uuid.uuid4().hex[:8], definition=json.dumps(definition), roleArn=ROLE, type="EXPRESS",
        loggingConfiguration=_logging(group_arn, "ALL", True),
    )["stateMachineArn"]
    done = sfn.start_sync_execution(stateMachineArn=arn, input='{"a":1}')
    assert done["status"] == "SUCCEEDED"
    lines = _lines(logs, group, 4)
    assert [line["type"] for line in lines] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    first = lines[0]
    assert first["id"] == "1" and first["previous_event_id"] == "0" and first["redrive_count"] == "0"
    assert first["execution_arn"] == done["executionArn"] and first["event_timestamp"].isdigit()
    assert first["details"]["input"] == '{"a":1}' and first["details"]["roleArn"] == ROLE
    assert lines[-1]["details"]["output"] == '{"ok":1}'
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    assert stream.startswith(f"states/{arn.rsplit(':', 1)[1]}/")


def test_standard_execution_logs_only_errors_at_level_error_without_data(aws: Any) -> None:
    sfn = aws("stepfunctions")
    logs = aws("logs")
    group = "st-" + uuid.uuid4().hex[:8]
    logs.create_log_group(logGroupName=group)
    group_arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Next": "F"},
        "F": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"},
    }}
    arn = sfn.create_state_machine(
        name="st-" + uuid.uuid4().hex[:8], definition=json.dumps(definition), roleArn=ROLE,
        loggingConfiguration=_logging(group_arn, "ERROR", False),
    )["stateMachineArn"]
    sfn.start_execution(stateMachineArn=arn, input='{"secret":1}')
    lines = _lines(logs, group, 2)
    assert [line["type"] for line in lines] == ["FailStateEntered", "ExecutionFailed"]
    assert "input" not in lines[0]["details"] and lines[0]["details"]["name"] == "F"
    assert lines[1]["details"] == {"error": "Broken", "cause": "on purpose"}


def test_logging_needs_one_destination(aws: Any) -> None:
    sfn = aws("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(
            name="lg-" + uuid.uuid4().hex[:8], definition=definition, roleArn=ROLE,
            loggingConfiguration={"level": "ALL"},
        )
    assert refused.value.response["Error"]["Code"] == "InvalidLoggingConfiguration"
