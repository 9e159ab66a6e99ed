"""A mapping's lifecycle: every state and change through the one transition function."""

from __future__ import annotations

import pytest

from overcast.errors import InvalidParameterValue, ValidationException
from overcast.events.mappings.records import Change, InvalidTransition, Settings, State, transition
from overcast.events.mappings.settings import changes, settled


@pytest.mark.parametrize(
    ("state", "change", "enabled", "after"),
    [
        (State.CREATING, Change.SETTLE, True, State.ENABLED),
        (State.CREATING, Change.SETTLE, False, State.DISABLED),
        (State.ENABLED, Change.DISABLE, False, State.DISABLING),
        (State.DISABLING, Change.SETTLE, False, State.DISABLED),
        (State.DISABLED, Change.ENABLE, True, State.ENABLING),
        (State.ENABLING, Change.SETTLE, True, State.ENABLED),
        (State.ENABLED, Change.UPDATE, True, State.UPDATING),
        (State.UPDATING, Change.SETTLE, True, State.ENABLED),
        (State.DISABLED, Change.DELETE, False, State.DELETING),
        (State.UPDATING, Change.DELETE, True, State.DELETING),
    ],
)
def test_transitions(state: State, change: Change, enabled: bool, after: State) -> None:
    assert transition(state, change, enabled=enabled) is after


@pytest.mark.parametrize(
    ("state", "change"),
    [
        (State.UPDATING, Change.UPDATE),
        (State.ENABLING, Change.DISABLE),
        (State.CREATING, Change.DELETE),
        (State.DELETING, Change.DELETE),
        (State.DELETING, Change.SETTLE),
    ],
)
def test_a_mapping_in_transition_refuses_changes(state: State, change: Change) -> None:
    with pytest.raises(InvalidTransition):
        transition(state, change, enabled=True)


def test_settings_follow_lambdas_rules_for_queues() -> None:
    standard = settled(Settings(), changes({"BatchSize": 10000, "MaximumBatchingWindowInSeconds": 1}), fifo=False)
    assert standard.batch_size == 10000
    with pytest.raises(InvalidParameterValue, match="greater than 0 if maximum batch size is greater than 10"):
        settled(Settings(), changes({"BatchSize": 11}), fifo=False)
    with pytest.raises(InvalidParameterValue, match=r"^Maximum batch size must be between 1 and 10 inclusive$"):
        settled(Settings(), changes({"BatchSize": 11, "MaximumBatchingWindowInSeconds": 1}), fifo=True)
    with pytest.raises(ValidationException, match="less than or equal to 10000"):
        changes({"BatchSize": 10001})
    with pytest.raises(ValidationException, match="less than or equal to 300"):
        changes({"MaximumBatchingWindowInSeconds": 301})
    with pytest.raises(ValidationException, match="greater than or equal to 2"):
        changes({"ScalingConfig": {"MaximumConcurrency": 1}})
    with pytest.raises(ValidationException, match="ReportBatchItemFailures"):
        changes({"FunctionResponseTypes": ["Other"]})
    assert changes({"FunctionResponseTypes": ["ReportBatchItemFailures"]}) == {"report_batch_item_failures": True}


@pytest.mark.parametrize(
    "member",
    [{"StartingPosition": "LATEST"}, {"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:x"}}},
     {"MaximumRetryAttempts": 2}, {"BisectBatchOnFunctionError": False}, {"Topics": ["t"]}],
)  # fmt: skip
def test_a_member_of_streams_or_brokers_is_refused_not_ignored(member: dict[str, object]) -> None:
    with pytest.raises(InvalidParameterValue, match=f"Unsupported {next(iter(member))} parameter"):
        changes(member)


def test_a_member_overcast_does_not_run_yet_says_so() -> None:
    with pytest.raises(InvalidParameterValue, match="LoggingConfig on event source mappings is not implemented"):
        changes({"LoggingConfig": {"SystemLogLevel": "INFO"}})


def test_filters_are_compiled_and_counted() -> None:
    pattern = '{"body": {"a": ["1"]}}'
    assert changes({"FilterCriteria": {"Filters": [{"Pattern": pattern}] * 5}})["filters"] == (pattern,) * 5
    with pytest.raises(InvalidParameterValue, match="maximum number of filters"):
        changes({"FilterCriteria": {"Filters": [{"Pattern": pattern}] * 6}})
    with pytest.raises(InvalidParameterValue, match="Invalid filter pattern definition"):
        changes({"FilterCriteria": {"Filters": [{"Pattern": '{"body": "x"}'}]}})
