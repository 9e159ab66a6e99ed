"""Event source mappings' records: a mapping's settings, its lifecycle, and the one function that moves it."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from overcast.arn import format_arn


class State(enum.Enum):
    """A mapping's State as Lambda answers it
    (https://docs.aws.amazon.com/lambda/latest/api/API_EventSourceMappingConfiguration.html)."""

    CREATING = "Creating"
    ENABLING = "Enabling"
    ENABLED = "Enabled"
    DISABLING = "Disabling"
    DISABLED = "Disabled"
    UPDATING = "Updating"
    DELETING = "Deleting"


class Change(enum.Enum):
    """What happens to a mapping: a user's call, or its pollers having started or stopped (settled)."""

    ENABLE = "enable"
    DISABLE = "disable"
    UPDATE = "update"
    DELETE = "delete"
    SETTLE = "settle"


_SETTLED = {State.ENABLED, State.DISABLED}
# The state a change leads to from a settled state; a mapping in transition takes no change but SETTLE (and
# DELETE), as Lambda answers ResourceInUseException to a call on a mapping still changing.
_AFTER = {Change.ENABLE: State.ENABLING, Change.DISABLE: State.DISABLING, Change.UPDATE: State.UPDATING}


class InvalidTransition(Exception):
    """A change the mapping's state does not allow (the caller answers ResourceInUseException)."""


def transition(state: State, change: Change, *, enabled: bool) -> State:
    """The state `change` moves a mapping in `state` to; `enabled` is whether it is to poll once settled."""
    if change is Change.SETTLE:
        if state is State.DELETING:
            raise InvalidTransition("a deleted mapping does not settle")
        return State.ENABLED if enabled else State.DISABLED
    if change is Change.DELETE:
        if state in (State.DELETING, State.CREATING):
            raise InvalidTransition(state.value)
        return State.DELETING
    if state not in _SETTLED:
        raise InvalidTransition(state.value)
    if change is Change.UPDATE:
        return State.UPDATING
    return _AFTER[change]


@dataclass(frozen=True, slots=True)
class Settings:
    """What a mapping does with its queue: the members CreateEventSourceMapping sets, UpdateEventSourceMapping
    changes."""

    batch_size: int = 10
    maximum_batching_window: int = 0
    filters: tuple[str, ...] = ()  # FilterCriteria's patterns, as given
    report_batch_item_failures: bool = False
    maximum_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency
    metrics: tuple[str, ...] | None = None  # MetricsConfig.Metrics (None: no MetricsConfig given)
    kms_key_arn: str | None = None  # KMSKeyArn, the key AWS encrypts the filter criteria with


@dataclass(frozen=True, slots=True)
class Mapping:
    uuid: str
    account: str
    region: str
    event_source_arn: str  # the queue's ARN
    function_arn: str  # as named: unqualified, or a version's or an alias'
    enabled: bool  # what the user asked for; `state` is where it is on the way there
    state: State
    state_transition_reason: str
    settings: Settings
    last_modified: float
    last_processing_result: str

    @property
    def arn(self) -> str:
        return format_arn("lambda", self.region, self.account, f"event-source-mapping:{self.uuid}")
