"""A machine's own TimeoutSeconds, through the engine on the injected clock: the execution ends TIMED_OUT
with an ExecutionTimedOut event whose details are empty, as DescribeExecution and the history show it.
https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html (TimeoutSeconds)
"""

from __future__ import annotations

import asyncio
import json

from overcast.clock import FakeClock
from overcast.store import Store
from overcast.workflows.asl import validate_definition
from overcast.workflows.engine.executions import Executions
from overcast.workflows.engine.integrations import Integrations
from overcast.workflows.engine.machines import Machines
from overcast.workflows.engine.records import MachineConfig
from overcast.workflows.engine.tasks import Tasks

from .conftest import CTX, ROLE, history_page

SLOW = json.dumps({"TimeoutSeconds": 30, "StartAt": "W",
                   "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})  # fmt: skip


async def test_the_machine_timeout_ends_the_execution_timed_out(
    store: Store, clock: FakeClock, machines: Machines, tasks: Tasks
) -> None:
    executions = Executions(store, clock, machines, Integrations(clock, tasks), validate_definition)
    machine, _ = await machines.create(CTX, "slow", MachineConfig(SLOW, ROLE))
    execution = await executions.start(CTX, machine.arn, "e1", "{}")
    await asyncio.wait_for(clock.sleeping(2), 5)  # the Wait state's timer and the execution's
    await clock.advance(29)
    assert (await executions.describe(CTX, execution.arn)).status == "RUNNING"
    await clock.advance(2)
    ended = await asyncio.wait_for(executions.wait(execution.arn), 5)
    assert (ended.status, ended.error, ended.cause, ended.output) == ("TIMED_OUT", None, None, None)
    events, _ = await history_page(store, execution.arn, None, None)
    assert [event.type for event in events] == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    assert events[-1].details == {}
    await executions.close()
