"""Records of the Step Functions control plane: state machines, versions, aliases, activities, executions.

An execution's lifecycle is `ExecutionStatus` with one transition function, `next_status`: the only
place that decides which status change an event makes, and which changes are illegal.
https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

STANDARD, EXPRESS = "STANDARD", "EXPRESS"


@dataclass(frozen=True, slots=True)
class MachineConfig:
    """What a version freezes: the definition and the settings that run it."""

    definition: str
    role_arn: str
    type: str = STANDARD
    logging: dict[str, Any] = field(default_factory=dict)
    tracing: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    # EncryptionConfiguration, AWS_OWNED_KEY unless a customer managed key is given (engine/encryption.py).
    encryption: dict[str, Any] = field(default_factory=lambda: {"type": "AWS_OWNED_KEY"})


@dataclass(frozen=True, slots=True)
class StateMachine:
    arn: str
    name: str
    config: MachineConfig
    created: float
    updated: float
    revision_id: str
    status: str = "ACTIVE"


@dataclass(frozen=True, slots=True)
class MachineVersion:
    arn: str  # <state machine arn>:<n>
    machine_arn: str
    version: int
    config: MachineConfig
    revision_id: str
    description: str
    created: float


@dataclass(frozen=True, slots=True)
class MachineAlias:
    arn: str  # <state machine arn>:<alias name>
    machine_arn: str
    name: str
    description: str
    routing: tuple[tuple[str, int], ...]  # (version arn, weight)
    created: float
    updated: float


@dataclass(frozen=True, slots=True)
class Activity:
    arn: str
    name: str
    created: float
    encryption: dict[str, Any] = field(default_factory=lambda: {"type": "AWS_OWNED_KEY"})


class ExecutionStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    PENDING_REDRIVE = "PENDING_REDRIVE"


class ExecutionEvent(enum.StrEnum):
    SUCCEED = "succeed"
    FAIL = "fail"
    TIME_OUT = "time_out"
    ABORT = "abort"
    REDRIVE = "redrive"


# The event that ends an execution, by the interpreter's outcome status.
OUTCOME_EVENTS = {
    "SUCCEEDED": ExecutionEvent.SUCCEED,
    "FAILED": ExecutionEvent.FAIL,
    "TIMED_OUT": ExecutionEvent.TIME_OUT,
}


class IllegalTransition(Exception):
    """An event that the execution's status does not allow (e.g. stopping a finished execution)."""


_TRANSITIONS: dict[tuple[ExecutionStatus, ExecutionEvent], ExecutionStatus] = {
    (ExecutionStatus.RUNNING, ExecutionEvent.SUCCEED): ExecutionStatus.SUCCEEDED,
    (ExecutionStatus.RUNNING, ExecutionEvent.FAIL): ExecutionStatus.FAILED,
    (ExecutionStatus.RUNNING, ExecutionEvent.TIME_OUT): ExecutionStatus.TIMED_OUT,
    (ExecutionStatus.RUNNING, ExecutionEvent.ABORT): ExecutionStatus.ABORTED,
    (ExecutionStatus.PENDING_REDRIVE, ExecutionEvent.ABORT): ExecutionStatus.ABORTED,
    (ExecutionStatus.PENDING_REDRIVE, ExecutionEvent.REDRIVE): ExecutionStatus.RUNNING,
    # A FAILED, TIMED_OUT or ABORTED Standard execution can be redriven
    # (https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html).
    (ExecutionStatus.FAILED, ExecutionEvent.REDRIVE): ExecutionStatus.RUNNING,
    (ExecutionStatus.TIMED_OUT, ExecutionEvent.REDRIVE): ExecutionStatus.RUNNING,
    (ExecutionStatus.ABORTED, ExecutionEvent.REDRIVE): ExecutionStatus.RUNNING,
}


def next_status(status: ExecutionStatus, event: ExecutionEvent) -> ExecutionStatus:
    """The status after `event`; raises IllegalTransition when `status` does not allow it."""
    try:
        return _TRANSITIONS[(status, event)]
    except KeyError:
        raise IllegalTransition(f"{event.value} is not allowed in status {status.value}") from None


@dataclass(frozen=True, slots=True)
class Execution:
    arn: str
    machine_arn: str  # the state machine (never a version or alias ARN)
    name: str
    type: str
    status: ExecutionStatus
    input: str
    start: float
    config: MachineConfig  # what runs: the machine, version or alias target at start time
    version_arn: str | None = None
    alias_arn: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stop: float | None = None
    trace_header: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    revision_id: str | None = None  # the revision it runs; None for a state machine's first
    revised: float | None = None  # when that revision was made (None: recorded before Overcast kept it)
    map_run_arn: str | None = None  # a Distributed Map's child execution: its Map Run
    item_count: int | None = None  # ... and the number of items its input holds

    @property
    def finished(self) -> bool:
        return self.status not in (ExecutionStatus.RUNNING, ExecutionStatus.PENDING_REDRIVE)


@dataclass(frozen=True, slots=True)
class Event:
    """One history event, as GetExecutionHistory reports it: `details` is the *EventDetails member."""

    id: int
    type: str
    timestamp: float
    previous_id: int
    details: dict[str, Any] | None = None
