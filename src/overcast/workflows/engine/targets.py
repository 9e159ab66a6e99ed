"""What a StartExecution ARN runs: the state machine, one of its versions, or the version an alias picks.

https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from overcast.context import RequestContext
from overcast.workflows.engine import names
from overcast.workflows.engine.errors import ValidationException
from overcast.workflows.engine.machines import Machines
from overcast.workflows.engine.records import MachineConfig


@dataclass(frozen=True, slots=True)
class Target:
    """The machine an execution runs, and the revision DescribeStateMachineForExecution reports for it."""

    machine_arn: str  # the state machine (never a version or alias ARN)
    config: MachineConfig
    version_arn: str | None
    alias_arn: str | None
    revision_id: str | None  # None for a state machine's first revision
    updated: float  # when that revision was made (a new machine's creation date)


async def resolve(machines: Machines, ctx: RequestContext, arn: str) -> Target:
    # "If you provide a qualified state machine ARN that refers to a Distributed Map state, the request
    # fails with ValidationException" (API_StartExecution.html; its text is not documented).
    if names.map_label(arn) is not None:
        raise ValidationException(f"Executions cannot be started on a Distributed Map state's ARN: '{arn}'")
    ref = names.parse_machine_ref(arn)
    alias = None
    if ref.alias is not None:
        alias = await machines.alias(ctx, arn)
        pick, total = random.uniform(0, 100), 0
        arn = alias.routing[-1][0]
        for version_arn, weight in alias.routing:
            total += weight
            if pick < total:
                arn = version_arn
                break
    if alias is not None or ref.version is not None:
        # A version keeps the revision it was published from; AWS documents the null revisionId only for a
        # state machine's first revision (API_DescribeStateMachineForExecution.html).
        version = await machines.version(ctx, arn)
        alias_arn = None if alias is None else alias.arn
        return Target(ref.machine_arn, version.config, version.arn, alias_arn, version.revision_id, version.created)
    machine = await machines.get(ctx, arn)
    # "The first revision ID when you create the state machine is null" (API_DescribeStateMachineForExecution.html).
    revision = machine.revision_id if machine.updated != machine.created else None
    return Target(machine.arn, machine.config, None, None, revision, machine.updated)
