"""RedriveExecution: a failed Standard execution resumes at its failed state, keeps its history, and
AWS's rules for what may be redriven (status, the 14-day window)."""

from __future__ import annotations

import asyncio
import json

import pytest

from overcast.clock import FakeClock
from overcast.errors import AwsError
from overcast.store import Store
from overcast.workflows.asl import validate_definition
from overcast.workflows.engine.executions import Executions
from overcast.workflows.engine.integrations import Integrations
from overcast.workflows.engine.machines import Machines
from overcast.workflows.engine.records import Execution, MachineConfig
from overcast.workflows.engine.tasks import Outcome, Tasks

from .conftest import CTX, ROLE, history_page

ACTIVITY = "arn:aws:states:us-east-1:111111111111:activity:work"
MACHINE = json.dumps(
    {
        "StartAt": "Prep",
        "States": {
            "Prep": {"Type": "Pass", "Result": "prepared", "ResultPath": "$.prep", "Next": "Work"},
            "Work": {"Type": "Task", "Resource": ACTIVITY, "ResultPath": "$.work", "Next": "Done"},
            "Done": {
                "Type": "Pass",
                "Parameters": {"redrives.$": "$$.Execution.RedriveCount", "work.$": "$.work"},
                "End": True,
            },
        },
    }
)


async def _finished(executions: Executions, arn: str) -> Execution:
    execution = await asyncio.wait_for(executions.wait(arn), 5)
    assert execution.finished, f"the execution did not finish: {execution}"
    return execution


async def _work(tasks: Tasks, outcome: Outcome) -> str:
    found = await asyncio.wait_for(tasks.next_activity_task(ACTIVITY, "w"), 5)
    assert found is not None
    await tasks.complete(CTX, found[0], outcome)
    return found[1]


async def test_redrive_resumes_at_the_failed_state(
    store: Store, clock: FakeClock, machines: Machines, tasks: Tasks
) -> None:
    executions = Executions(store, clock, machines, Integrations(clock, tasks), validate_definition)
    await machines.create_activity(CTX, "work")
    machine, _ = await machines.create(CTX, "sm", MachineConfig(MACHINE, ROLE))
    execution = await executions.start(CTX, machine.arn, "e1", '{"n":1}')
    assert json.loads(await _work(tasks, Outcome(error="Boom", cause="broken"))) == {"n": 1, "prep": "prepared"}
    failed = await _finished(executions, execution.arn)
    assert failed.status == "FAILED" and failed.error == "Boom"
    assert executions.redrive_status(failed) == ("REDRIVABLE", None)

    redriven = await executions.redrive(CTX, execution.arn)
    assert redriven.status == "RUNNING" and redriven.redrive_count == 1 and redriven.redrive_date == clock.now()
    await _work(tasks, Outcome(output='{"ok":true}'))
    done = await _finished(executions, execution.arn)
    assert done.status == "SUCCEEDED" and done.redrive_count == 1
    assert json.loads(done.output or "") == {"redrives": 1, "work": {"ok": True}}

    events, _ = await history_page(store, execution.arn, 1000, None)
    types = [e.type for e in events]
    assert types == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "TaskStateEntered",
        "ActivityScheduled",
        "ActivityStarted",
        "ActivityFailed",
        "ExecutionFailed",
        "ExecutionRedriven",
        "TaskStateEntered",
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
        "TaskStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    redrive_event = events[8]
    assert redrive_event.details == {"redriveCount": 1} and redrive_event.previous_id == 8
    assert events[9].previous_id == 9  # the re-entered state follows ExecutionRedriven

    with pytest.raises(AwsError) as succeeded:
        await executions.redrive(CTX, execution.arn)
    assert succeeded.value.code == "ExecutionNotRedrivable"
    assert "Execution is SUCCEEDED and cannot be redriven" in succeeded.value.message


async def test_redrive_only_within_14_days_of_the_end(
    store: Store, clock: FakeClock, machines: Machines, tasks: Tasks
) -> None:
    executions = Executions(store, clock, machines, Integrations(clock, tasks), validate_definition)
    fail = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "No"}}})
    machine, _ = await machines.create(CTX, "sm", MachineConfig(fail, ROLE))
    execution = await executions.start(CTX, machine.arn, "old", "{}")
    failed = await _finished(executions, execution.arn)
    assert failed.status == "FAILED"
    await clock.advance(14 * 86_400 + 1)
    assert executions.redrive_status(failed) == ("NOT_REDRIVABLE", "Execution redrivable period exceeded")
    with pytest.raises(AwsError) as late:
        await executions.redrive(CTX, execution.arn)
    assert late.value.code == "ExecutionNotRedrivable"
    with pytest.raises(AwsError) as missing:
        await executions.redrive(CTX, execution.arn + "x")
    assert missing.value.code == "ExecutionDoesNotExist"


async def test_task_timers_keep_counting_across_a_replay(
    store: Store, clock: FakeClock, machines: Machines, tasks: Tasks
) -> None:
    """A crash (close, then a new engine that resumes) does not restart TimeoutSeconds / HeartbeatSeconds."""
    executions = Executions(store, clock, machines, Integrations(clock, tasks), validate_definition)
    await machines.create_activity(CTX, "work")
    beats = json.dumps(
        {
            "StartAt": "Work",
            "States": {
                "Work": {
                    "Type": "Task",
                    "Resource": ACTIVITY,
                    "TimeoutSeconds": 100,
                    "HeartbeatSeconds": 30,
                    "End": True,
                },
            },
        }
    )
    machine, _ = await machines.create(CTX, "beats", MachineConfig(beats, ROLE))
    execution = await executions.start(CTX, machine.arn, "e1", "{}")
    found = await asyncio.wait_for(tasks.next_activity_task(ACTIVITY, "w"), 5)
    assert found is not None
    await clock.advance(20)
    await tasks.heartbeat(CTX, found[0])
    await clock.advance(5)
    await executions.close()  # the process dies 25 s in, 5 s after the heartbeat

    again_tasks = Tasks(store, clock)
    again = Executions(store, clock, machines, Integrations(clock, again_tasks), validate_definition)
    assert await again.resume() == 1
    await asyncio.wait_for(clock.sleeping(1), 5)  # the replayed task waits on its timers again
    await clock.advance(24)  # 49 s: 29 s after the heartbeat
    assert (await again.describe(CTX, execution.arn)).status == "RUNNING"
    await clock.advance(2)  # 51 s: the heartbeat period (from 20 s) is over
    failed = await _finished(again, execution.arn)
    assert failed.status == "FAILED" and failed.error == "States.HeartbeatTimeout"
