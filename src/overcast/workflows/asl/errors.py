"""States.* errors, the failure an execution carries, and matching of Retry / Catch rules.

https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
RUNTIME = "States.Runtime"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
PERMISSIONS = "States.Permissions"

# Payload limit: 256 KiB of UTF-8 for inputs, outputs, results.
# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
MAX_PAYLOAD_BYTES = 256 * 1024


def exceeds_payload_limit(text: str) -> bool:
    """More than 256 KiB once encoded in UTF-8 (a multi-byte character counts all its bytes)."""
    return len(text) > MAX_PAYLOAD_BYTES // 4 and len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES


def data_limit_cause(name: str) -> str:
    """The cause of States.DataLimitExceeded: `name` is the state's, or a task's resource type."""
    return (
        f"The state/task '{name}' returned a result with a size exceeding the maximum number of bytes "
        "service limit."
    )

# Errors that States.ALL does not match (they end the execution unless named explicitly).
_NOT_MATCHED_BY_ALL = {RUNTIME, DATA_LIMIT_EXCEEDED}
_NEVER_HANDLED = {RUNTIME}


class StateFailure(Exception):
    """A state failed with `error` and `cause` (either may be None, as a Fail state allows)."""

    def __init__(self, error: str | None, cause: str | None = None) -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause

    def __repr__(self) -> str:
        return f"StateFailure({self.error!r}, {self.cause!r})"


class MapFailure(StateFailure):
    """A Map state's iterations failed (or failed beyond the tolerated threshold) once it started:
    MapStateFailed is recorded only when no Retrier runs the Map again."""


class EvaluationFailure(StateFailure):
    """A failure found while evaluating an expression; AWS records an EvaluationFailed event."""

    def __init__(self, error: str, cause: str, location: str | None = None) -> None:
        super().__init__(error, cause)
        self.location = location


class _Rule(Protocol):
    @property
    def error_equals(self) -> tuple[str, ...]: ...


def matches(error_equals: Sequence[str], error: str | None) -> bool:
    """Whether a Retrier's / Catcher's ErrorEquals names `error`."""
    name = error or ""
    if name in _NEVER_HANDLED:
        return False
    for wanted in error_equals:
        if wanted == name:
            return True
        if wanted == ALL and name not in _NOT_MATCHED_BY_ALL:
            return True
        # States.TaskFailed matches every error but States.Timeout (and what ALL excludes).
        if wanted == TASK_FAILED and name != TIMEOUT and name not in _NOT_MATCHED_BY_ALL:
            return True
    return False


R = TypeVar("R", bound=_Rule)


def first_match(rules: Sequence[R], error: str | None) -> tuple[int, R] | None:
    for index, rule in enumerate(rules):
        if matches(rule.error_equals, error):
            return index, rule
    return None
