"""A Standard execution survives kill -9 of the server: it resumes by replay and no state runs twice.

This one test uses the real clock (a 2 s Wait) because the server is a real process.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import boto3

from tests.conftest import start_server

ROLE = "arn:aws:iam::000000000000:role/sfn"
MACHINE = json.dumps(
    {
        "StartAt": "Before",
        "States": {
            "Before": {"Type": "Pass", "Result": "before", "ResultPath": "$.before", "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 2, "Next": "After"},
            "After": {"Type": "Pass", "Result": "after", "ResultPath": "$.after", "End": True},
        },
    }
)


def _client(url: str) -> Any:
    return boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1")


def test_wait_survives_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data)
    try:
        sfn = _client(server.url)
        arn = sfn.create_state_machine(name="nap", definition=MACHINE, roleArn=ROLE)["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, name="e1", input='{"n":1}')["executionArn"]
        deadline = time.monotonic() + 10
        types: list[str] = []
        while "WaitStateEntered" not in types and time.monotonic() < deadline:
            types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
            described = sfn.describe_execution(executionArn=execution)
            assert described["status"] != "FAILED", f"the execution should be waiting: {described}"
            time.sleep(0.05)  # polling a real server process, bounded by the deadline
        assert "WaitStateEntered" in types
    finally:
        server.stop(signal.SIGKILL)
    restarted = start_server(data)
    try:
        sfn = _client(restarted.url)
        deadline = time.monotonic() + 20
        described = sfn.describe_execution(executionArn=execution)
        while described["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.1)
            described = sfn.describe_execution(executionArn=execution)
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"]) == {"n": 1, "before": "before", "after": "after"}
        events = sfn.get_execution_history(executionArn=execution)["events"]
        assert [e["type"] for e in events] == [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded",
        ]
        assert [e["id"] for e in events] == list(range(1, 9))
    finally:
        restarted.stop()
