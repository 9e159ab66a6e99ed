"""Distributed Map runs through boto3 against a real server: the Map Run's record and counts, its child
executions, and UpdateMapRun honoured while it runs (API_DescribeMapRun.html, API_ListMapRuns.html,
API_UpdateMapRun.html, API_ListExecutions.html, concepts-examine-map-run.html)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.workflows.engine.conftest import finish

ROLE = "arn:aws:iam::000000000000:role/sfn"


@pytest.fixture(scope="module")
def sfn(aws: Any) -> Any:
    return aws("stepfunctions")


def _error(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**params)
    return str(raised.value.response["Error"]["Code"])


def _map_runs(sfn: Any, execution: str) -> list[dict[str, Any]]:
    """ListMapRuns once the execution has reached its Map state (polling the server, bounded)."""
    deadline = time.monotonic() + 20
    while True:
        runs: list[dict[str, Any]] = sfn.list_map_runs(executionArn=execution)["mapRuns"]
        if runs or time.monotonic() > deadline:
            return runs
        time.sleep(0.05)


def _all_children(sfn: Any, map_run: str, **filters: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"mapRunArn": map_run, "maxResults": 8, **filters}
    while True:
        page = sfn.list_executions(**params)
        items += page["executions"]
        if "nextToken" not in page:
            return items
        params["nextToken"] = page["nextToken"]


def test_a_distributed_map_over_20_items_with_one_tolerated_failure(sfn: Any) -> None:
    suffix = uuid.uuid4().hex[:8]
    activity = sfn.create_activity(name=f"work-{suffix}")["activityArn"]
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}},
    }
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Map", "Label": "items", "ItemsPath": "$.items", "MaxConcurrency": 5,
                "ToleratedFailureCount": 1, "ItemProcessor": processor, "End": True,
            }
        },
    }  # fmt: skip
    machine = sfn.create_state_machine(name=f"fan-{suffix}", definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"items": list(range(20))}))[
        "executionArn"
    ]
    runs = _map_runs(sfn, execution)
    assert len(runs) == 1 and runs[0]["executionArn"] == execution and runs[0]["stateMachineArn"] == machine
    map_run = runs[0]["mapRunArn"]
    assert map_run.startswith(machine.replace(":stateMachine:", ":mapRun:") + "/items:")

    # MaxConcurrency 5: five children run, fifteen wait.
    held = [sfn.get_activity_task(activityArn=activity) for _ in range(5)]
    assert all(task["taskToken"] for task in held)
    described = sfn.describe_map_run(mapRunArn=map_run)
    assert described["status"] == "RUNNING" and described["maxConcurrency"] == 5
    assert described["toleratedFailureCount"] == 1 and described["toleratedFailurePercentage"] == 0
    counts = described["executionCounts"]
    assert (counts["running"], counts["pending"], counts["total"]) == (5, 15, 20)
    assert described["itemCounts"]["total"] == 20

    # UpdateMapRun raises it while the run goes on: the other fifteen start with the first five still held.
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=20)
    assert sfn.describe_map_run(mapRunArn=map_run)["maxConcurrency"] == 20
    held += [sfn.get_activity_task(activityArn=activity) for _ in range(15)]
    assert all(task["taskToken"] for task in held)
    assert sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]["running"] == 20
    for task in held:
        item = json.loads(task["input"])
        if item == 7:
            sfn.send_task_failure(taskToken=task["taskToken"], error="Bad.Item", cause="seven")
        else:
            sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"double": item * 2}))

    parent = finish(sfn, execution)
    assert parent["status"] == "SUCCEEDED", parent
    output = json.loads(parent["output"])
    assert output[7] == {"Error": "Bad.Item", "Cause": "seven"} and output[3] == {"double": 6} and len(output) == 20

    ended = sfn.describe_map_run(mapRunArn=map_run)
    assert ended["status"] == "SUCCEEDED" and ended["stopDate"] >= ended["startDate"]
    for counted in (ended["executionCounts"], ended["itemCounts"]):
        assert (counted["succeeded"], counted["failed"], counted["running"], counted["pending"]) == (19, 1, 0, 0)
        assert counted["total"] == 20 and counted["aborted"] == counted["timedOut"] == 0

    children = _all_children(sfn, map_run)
    assert len(children) == 20 and len({c["executionArn"] for c in children}) == 20
    assert sorted(c["status"] for c in children) == ["FAILED"] + ["SUCCEEDED"] * 19
    assert {(c["stateMachineArn"], c["mapRunArn"], c["itemCount"]) for c in children} == {
        (f"{machine}/items", map_run, 1)
    }
    prefix = machine.replace(":stateMachine:", ":execution:") + "/items:"
    assert all(c["executionArn"].startswith(prefix) for c in children)
    failed = _all_children(sfn, map_run, statusFilter="FAILED")
    assert len(failed) == 1

    child = sfn.describe_execution(executionArn=failed[0]["executionArn"])
    assert child["mapRunArn"] == map_run and json.loads(child["input"]) == 7
    assert (child["error"], child["cause"]) == ("Bad.Item", "seven")
    history = sfn.get_execution_history(executionArn=child["executionArn"])["events"]
    assert history[0]["type"] == "ExecutionStarted" and history[-1]["type"] == "ExecutionFailed"
    assert "TaskStateEntered" in [e["type"] for e in history]
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    # The parent's history has the run's events, never the children's.
    parent_types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert "MapRunStarted" in parent_types and "MapRunSucceeded" in parent_types
    assert "TaskStateEntered" not in parent_types

    # DescribeStateMachineForExecution of a child: the processor, its label and its Map Run.
    for_child = sfn.describe_state_machine_for_execution(executionArn=child["executionArn"])
    assert (for_child["label"], for_child["mapRunArn"]) == ("items", map_run)
    assert json.loads(for_child["definition"]) == processor and for_child["stateMachineArn"] == f"{machine}/items"
    assert for_child["name"] == machine.rpartition(":")[2]

    # The children are the Map Run's, not the state machine's.
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]] == [execution]
    assert _error(sfn.describe_map_run, mapRunArn=map_run[:-4] + "0000") == "ResourceNotFound"
    assert _error(sfn.list_executions, mapRunArn=map_run[:-4] + "0000") == "ResourceNotFound"
    assert _error(sfn.describe_map_run, mapRunArn=execution) == "InvalidArn"
    assert _error(sfn.list_map_runs, executionArn=execution + "x") == "ExecutionDoesNotExist"


def _fan(sfn: Any, processor_states: dict[str, Any], execution_type: str = "STANDARD", **fields: Any) -> str:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
        "StartAt": next(iter(processor_states)),
        "States": processor_states,
    }
    fan = {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}
    definition = json.dumps({"StartAt": "Fan", "States": {"Fan": fan}})
    arn: str = sfn.create_state_machine(name=f"fan-{uuid.uuid4().hex[:8]}", definition=definition, roleArn=ROLE)[
        "stateMachineArn"
    ]
    return arn


CHOOSE = {
    "Pick": {
        "Type": "Choice",
        "Choices": [{"Variable": "$.bad", "BooleanEquals": True, "Next": "Bad"}],
        "Default": "Good",
    },
    "Bad": {"Type": "Fail", "Error": "Bad.Item", "Cause": "bad"},
    "Good": {"Type": "Pass", "End": True},
}


def test_express_children_are_counted_but_not_listed_and_batches_count_their_items(sfn: Any) -> None:
    pick = {**CHOOSE["Pick"], "Choices": [{"Variable": "$.Items[0].bad", "BooleanEquals": True, "Next": "Bad"}]}
    batched = {**CHOOSE, "Pick": pick}
    machine = _fan(sfn, batched, "EXPRESS", ItemBatcher={"MaxItemsPerBatch": 2}, ToleratedFailurePercentage=50)
    items = [{"bad": False}] * 4 + [{"bad": True}]  # batches of 2, 2 and 1 items: each batch is one child
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(items))["executionArn"]
    assert finish(sfn, execution)["status"] == "SUCCEEDED"
    (run,) = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    described = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    assert described["status"] == "SUCCEEDED" and described["toleratedFailurePercentage"] == 50
    executions, counted_items = described["executionCounts"], described["itemCounts"]
    assert (executions["total"], executions["succeeded"], executions["failed"]) == (3, 2, 1)
    assert (counted_items["total"], counted_items["succeeded"], counted_items["failed"]) == (5, 4, 1)
    # "Express child workflow executions ... are not recorded" as executions: nothing to list.
    assert sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"] == []


def test_a_run_past_its_tolerated_failures_fails_and_aborts_what_still_runs(sfn: Any) -> None:
    activity = sfn.create_activity(name=f"held-{uuid.uuid4().hex[:8]}")["activityArn"]
    states = {
        "Pick": {**CHOOSE["Pick"], "Default": "Hold"},
        "Bad": CHOOSE["Bad"],
        "Hold": {"Type": "Task", "Resource": activity, "End": True},
    }
    machine = _fan(sfn, states, ToleratedFailureCount=1)
    items = [{"bad": True}, {"bad": False}, {"bad": True}]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(items))["executionArn"]
    parent = finish(sfn, execution)
    assert (parent["status"], parent["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    (run,) = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    described = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    assert described["status"] == "FAILED" and "stopDate" in described
    counts = described["executionCounts"]
    assert (counts["failed"], counts["aborted"], counts["running"], counts["pending"]) == (2, 1, 0, 0)
    held = _all_children(sfn, run["mapRunArn"], statusFilter="ABORTED")
    assert len(held) == 1
    history = sfn.get_execution_history(executionArn=held[0]["executionArn"])["events"]
    assert history[-1]["type"] == "ExecutionAborted"
    types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert "MapRunFailed" in types and types[-1] == "ExecutionFailed"


def test_stopping_the_parent_aborts_its_map_run_and_children(sfn: Any) -> None:
    activity = sfn.create_activity(name=f"held-{uuid.uuid4().hex[:8]}")["activityArn"]
    machine = _fan(sfn, {"Hold": {"Type": "Task", "Resource": activity, "End": True}})
    execution = sfn.start_execution(stateMachineArn=machine, input="[1, 2]")["executionArn"]
    for _ in range(2):
        assert sfn.get_activity_task(activityArn=activity)["taskToken"]
    (run,) = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    sfn.stop_execution(executionArn=execution, error="Stop.It")
    assert sfn.describe_execution(executionArn=execution)["status"] == "ABORTED"
    described = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    assert described["status"] == "ABORTED" and described["executionCounts"]["aborted"] == 2
    assert {c["status"] for c in _all_children(sfn, run["mapRunArn"])} == {"ABORTED"}


def test_a_stopped_child_is_aborted_and_counts_as_its_iterations_failure(sfn: Any) -> None:
    activity = sfn.create_activity(name=f"held-{uuid.uuid4().hex[:8]}")["activityArn"]
    machine = _fan(sfn, {"Hold": {"Type": "Task", "Resource": activity, "End": True}}, ToleratedFailureCount=1)
    execution = sfn.start_execution(stateMachineArn=machine, input="[1, 2]")["executionArn"]
    tasks = [sfn.get_activity_task(activityArn=activity) for _ in range(2)]
    (run,) = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    arns = [c["executionArn"] for c in _all_children(sfn, run["mapRunArn"])]
    assert len(arns) == 2  # listed while they run
    inputs = {arn: json.loads(sfn.describe_execution(executionArn=arn)["input"]) for arn in arns}
    stopped = next(arn for arn, item in inputs.items() if item == 1)
    sfn.stop_execution(executionArn=stopped, error="Stop.It", cause="enough")
    child = sfn.describe_execution(executionArn=stopped)
    assert (child["status"], child["error"], child["cause"]) == ("ABORTED", "Stop.It", "enough")
    other = next(t for t in tasks if json.loads(t["input"]) == 2)
    sfn.send_task_success(taskToken=other["taskToken"], output='"two"')
    parent = finish(sfn, execution)
    assert parent["status"] == "SUCCEEDED", parent
    assert json.loads(parent["output"]) == [{"Error": "Stop.It", "Cause": "enough"}, "two"]
    counts = sfn.describe_map_run(mapRunArn=run["mapRunArn"])["executionCounts"]
    assert (counts["aborted"], counts["succeeded"], counts["failed"]) == (1, 1, 0)


def test_redriving_the_parent_redrives_its_map_run_and_only_its_unsuccessful_children(sfn: Any) -> None:
    activity = sfn.create_activity(name=f"held-{uuid.uuid4().hex[:8]}")["activityArn"]
    machine = _fan(sfn, {"Hold": {"Type": "Task", "Resource": activity, "End": True}})
    execution = sfn.start_execution(stateMachineArn=machine, input="[1, 2]")["executionArn"]
    held = [sfn.get_activity_task(activityArn=activity) for _ in range(2)]
    tasks = {json.loads(t["input"]): t["taskToken"] for t in held}
    sfn.send_task_success(taskToken=tasks[2], output='"two"')
    (run,) = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    sfn.send_task_failure(taskToken=tasks[1], error="Flaky", cause="once")
    assert finish(sfn, execution)["status"] == "FAILED"
    failed = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    assert (failed["status"], failed["redriveCount"], failed["executionCounts"]["failed"]) == ("FAILED", 0, 1)
    children = {c["status"]: c["executionArn"] for c in _all_children(sfn, run["mapRunArn"])}
    done_history = sfn.get_execution_history(executionArn=children["SUCCEEDED"])["events"]

    sfn.redrive_execution(executionArn=execution)
    task = sfn.get_activity_task(activityArn=activity)  # only the failed child runs its Task again
    assert json.loads(task["input"]) == 1
    sfn.send_task_success(taskToken=task["taskToken"], output='"one"')
    parent = finish(sfn, execution)
    assert parent["status"] == "SUCCEEDED" and json.loads(parent["output"]) == ["one", "two"]
    redriven = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    assert (redriven["status"], redriven["redriveCount"]) == ("SUCCEEDED", 1) and "redriveDate" in redriven
    counts = redriven["executionCounts"]
    assert (counts["succeeded"], counts["failed"], counts["total"]) == (2, 0, 2)
    again = sfn.describe_execution(executionArn=children["FAILED"])
    assert (again["status"], again["redriveCount"]) == ("SUCCEEDED", 1)
    assert sfn.get_execution_history(executionArn=children["SUCCEEDED"])["events"] == done_history
    types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert types.count("MapRunStarted") == 1 and types.count("MapRunRedriven") == 1
    assert len(_all_children(sfn, run["mapRunArn"])) == 2
