"""A Standard execution (and a Map Run's children) survives kill -9 of the server: it resumes by replay and
no state runs twice.

These tests use the real clock (a 2 s Wait; polling) because the server is a real process.
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


def test_a_map_runs_children_survive_kill_9(tmp_path: Path) -> None:
    """Two of four children end before the server is killed, two after it restarts: the same four children,
    each finished once, counted once (their task tokens are durable, so the worker answers them after)."""
    data = tmp_path / "data"
    server = start_server(data)
    try:
        sfn = _client(server.url)
        activity = sfn.create_activity(name="held")["activityArn"]
        processor = {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work",
            "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}},
        }
        fan = {"Type": "Map", "ItemProcessor": processor, "End": True}
        machine = sfn.create_state_machine(
            name="fan", definition=json.dumps({"StartAt": "Fan", "States": {"Fan": fan}}), roleArn=ROLE
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine, input="[0, 1, 2, 3]")["executionArn"]
        held = [sfn.get_activity_task(activityArn=activity) for _ in range(4)]
        tokens = {json.loads(t["input"]): t["taskToken"] for t in held}
        for item in (0, 1):
            sfn.send_task_success(taskToken=tokens[item], output=json.dumps(item * 10))
        (run,) = sfn.list_map_runs(executionArn=execution)["mapRuns"]
        deadline = time.monotonic() + 10
        while sfn.describe_map_run(mapRunArn=run["mapRunArn"])["executionCounts"]["succeeded"] < 2:
            assert time.monotonic() < deadline, "two children should have ended"
            time.sleep(0.05)  # polling a real server process, bounded by the deadline
        before = {c["executionArn"]: c for c in sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"]}
    finally:
        server.stop(signal.SIGKILL)
    restarted = start_server(data)
    try:
        sfn = _client(restarted.url)
        for item in (2, 3):
            sfn.send_task_success(taskToken=tokens[item], output=json.dumps(item * 10))
        deadline = time.monotonic() + 20
        described = sfn.describe_execution(executionArn=execution)
        while described["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.1)
            described = sfn.describe_execution(executionArn=execution)
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == [0, 10, 20, 30]
        after = {c["executionArn"]: c for c in sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"]}
        assert set(after) == set(before) and {c["status"] for c in after.values()} == {"SUCCEEDED"}
        for arn, child in before.items():
            if child["status"] == "SUCCEEDED":
                assert after[arn]["stopDate"] == child["stopDate"]
            types = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
            assert types.count("ExecutionStarted") == 1 and types.count("ActivitySucceeded") == 1
            assert types[-1] == "ExecutionSucceeded"
        counts = sfn.describe_map_run(mapRunArn=run["mapRunArn"])["executionCounts"]
        assert (counts["succeeded"], counts["total"], counts["running"], counts["pending"]) == (4, 4, 0, 0)
    finally:
        restarted.stop()
