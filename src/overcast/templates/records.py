"""A stack, its resources, its events and its change sets as CloudFormation describes them: frozen records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Stack statuses (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html).
CREATE_IN_PROGRESS, CREATE_COMPLETE, CREATE_FAILED = "CREATE_IN_PROGRESS", "CREATE_COMPLETE", "CREATE_FAILED"
ROLLBACK_IN_PROGRESS, ROLLBACK_COMPLETE, ROLLBACK_FAILED = (
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
)
DELETE_IN_PROGRESS, DELETE_COMPLETE, DELETE_FAILED = "DELETE_IN_PROGRESS", "DELETE_COMPLETE", "DELETE_FAILED"
DELETE_SKIPPED = "DELETE_SKIPPED"
UPDATE_IN_PROGRESS, UPDATE_COMPLETE, UPDATE_FAILED = "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"
UPDATE_CLEANUP = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
UPDATE_ROLLBACK_IN_PROGRESS, UPDATE_ROLLBACK_COMPLETE = "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"
UPDATE_ROLLBACK_FAILED = "UPDATE_ROLLBACK_FAILED"
UPDATE_ROLLBACK_CLEANUP = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
REVIEW_IN_PROGRESS = "REVIEW_IN_PROGRESS"
IN_PROGRESS = frozenset(
    (
        CREATE_IN_PROGRESS, ROLLBACK_IN_PROGRESS, DELETE_IN_PROGRESS, UPDATE_IN_PROGRESS, UPDATE_CLEANUP,
        UPDATE_ROLLBACK_IN_PROGRESS, UPDATE_ROLLBACK_CLEANUP,
    )
)  # fmt: skip
# What an operation that stopped with its process (a restart) leaves its stack in.
STOPPED = {
    CREATE_IN_PROGRESS: CREATE_FAILED, ROLLBACK_IN_PROGRESS: ROLLBACK_FAILED, DELETE_IN_PROGRESS: DELETE_FAILED,
    UPDATE_IN_PROGRESS: UPDATE_ROLLBACK_FAILED, UPDATE_CLEANUP: UPDATE_ROLLBACK_FAILED,
    UPDATE_ROLLBACK_IN_PROGRESS: UPDATE_ROLLBACK_FAILED, UPDATE_ROLLBACK_CLEANUP: UPDATE_ROLLBACK_FAILED,
}  # fmt: skip
# Statuses from which UpdateStack / an UPDATE change set may start (a stack that never got created cannot).
UPDATABLE = frozenset((CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE))

# A change set's own statuses (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeChangeSet.html).
CS_CREATE_PENDING, CS_CREATE_COMPLETE, CS_FAILED = "CREATE_PENDING", "CREATE_COMPLETE", "FAILED"
EXEC_UNAVAILABLE, EXEC_AVAILABLE, EXEC_IN_PROGRESS = "UNAVAILABLE", "AVAILABLE", "EXECUTE_IN_PROGRESS"
EXEC_COMPLETE, EXEC_FAILED, EXEC_OBSOLETE = "EXECUTE_COMPLETE", "EXECUTE_FAILED", "OBSOLETE"
NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


@dataclass(frozen=True, slots=True)
class Output:
    key: str
    value: str
    description: str | None = None
    export_name: str | None = None


@dataclass(frozen=True, slots=True)
class Stack:
    id: str  # arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>
    name: str
    account: str
    region: str
    status: str
    status_reason: str | None
    template_body: str  # as given (GetTemplate's Original stage)
    processed: Mapping[str, Any]  # the template after transforms (Processed stage; plans and deletes read it)
    parameters: Mapping[str, str]  # as given or defaulted, NoEcho ones masked on read by `shown_parameters`
    no_echo: frozenset[str]
    outputs: tuple[Output, ...]
    tags: Mapping[str, str]
    capabilities: tuple[str, ...]
    notification_arns: tuple[str, ...]
    description: str | None
    disable_rollback: bool
    created: float
    updated: float | None
    deleted: float | None

    @property
    def shown_parameters(self) -> dict[str, str]:
        return {key: "****" if key in self.no_echo else value for key, value in self.parameters.items()}


@dataclass(frozen=True, slots=True)
class StackResource:
    stack_id: str
    logical_id: str
    type: str
    physical_id: str | None  # what Ref returns
    attributes: Mapping[str, Any]  # Fn::GetAtt values
    status: str
    status_reason: str | None
    properties: Mapping[str, Any]  # resolved, as given to the provider
    updated: float


@dataclass(frozen=True, slots=True)
class StackEvent:
    stack_id: str
    stack_name: str
    event_id: str
    logical_id: str
    physical_id: str
    type: str
    status: str
    status_reason: str | None
    properties: str | None
    timestamp: float


@dataclass(frozen=True, slots=True)
class Detail:
    """One reason a resource changes: a property changed directly, or one it references may change."""

    name: str  # the property
    recreation: str  # Never / Conditional / Always
    evaluation: str  # Static / Dynamic
    source: str  # DirectModification / ResourceReference / ParameterReference
    causing: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    action: str  # Add / Modify / Remove
    logical_id: str
    type: str
    physical_id: str | None = None
    replacement: str | None = None  # True / False / Conditional (Modify only)
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True, slots=True)
class ChangeSet:
    id: str  # arn:...:changeSet/<name>/<uuid>
    name: str
    stack_id: str
    stack_name: str
    kind: str  # CREATE / UPDATE
    status: str
    status_reason: str | None
    execution_status: str
    template_body: str
    parameters: Mapping[str, str]
    tags: Mapping[str, str]
    capabilities: tuple[str, ...]
    description: str | None
    changes: tuple[Change, ...]
    created: float
    notification_arns: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Export:
    name: str
    value: str
    stack_id: str
