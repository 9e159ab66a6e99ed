"""Execution logs: history events written to a CloudWatch Logs group per the LoggingConfiguration.

Level ALL logs every event, ERROR the failures, FATAL only how a failed execution ended; OFF nothing
(https://docs.aws.amazon.com/step-functions/latest/dg/cloudwatch-log-level.html). Each event is
one JSON line as Step Functions writes it: id, type, details, previous_event_id, event_timestamp
(milliseconds), execution_arn, redrive_count, numbers as strings; with includeExecutionData false
the details carry no input, output or parameters
(https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from typing import Any, Protocol

from overcast.arn import log_group_of
from overcast.context import RequestContext
from overcast.observe.logs import LogEvent, StreamEvents
from overcast.store import Queries
from overcast.workflows.engine.errors import AccessDenied, InvalidLoggingConfiguration
from overcast.workflows.engine.journal import EventLog
from overcast.workflows.engine.names import context_of
from overcast.workflows.engine.records import Event

LEVELS = ("ALL", "ERROR", "FATAL", "OFF")
_FATAL = frozenset({"ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"})
_ERROR = _FATAL | frozenset({
    "FailStateEntered",
    "LambdaFunctionFailed",
    "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed",
    "LambdaFunctionTimedOut",
    "MapIterationAborted",
    "MapIterationFailed",
    "MapStateAborted",
    "MapStateFailed",
    "ParallelStateAborted",
    "ParallelStateFailed",
    "TaskFailed",
    "TaskStartFailed",
    "TaskStateAborted",
    "TaskSubmitFailed",
    "TaskTimedOut",
    "WaitStateAborted",
    # Not in the table (newer than it), but failures all the same.
    "ActivityFailed",
    "ActivityScheduleFailed",
    "ActivityTimedOut",
    "MapRunFailed",
    "MapRunAborted",
    "EvaluationFailed",
    "ChoiceStateAborted",
    "PassStateAborted",
    "SucceedStateAborted",
})
_DATA = ("input", "output", "parameters", "assignedVariables")


class LogSink(Protocol):
    """Where log lines go: overcast.observe.logs.LogStore (put_many shares the caller's transaction)."""

    async def put_many(self, batches: Sequence[Any], tx: Queries | None = None) -> None: ...


def check(ctx: RequestContext, config: dict[str, Any]) -> None:
    """InvalidLoggingConfiguration for a LoggingConfiguration AWS refuses; AccessDeniedException for a log
    group the state machine's account cannot deliver to."""
    # https://docs.aws.amazon.com/step-functions/latest/apireference/API_LoggingConfiguration.html
    level = config.get("level", "OFF")
    destinations = config.get("destinations") or []
    if level != "OFF" and len(destinations) != 1:
        raise InvalidLoggingConfiguration("Invalid Logging Configuration: Must specify exactly one Log Destination.")
    for destination in destinations:
        arn = ((destination or {}).get("cloudWatchLogsLogGroup") or {}).get("logGroupArn") or ""
        group = log_group_of(arn)
        if group is None:
            raise InvalidLoggingConfiguration(f"Invalid Logging Configuration: Invalid Log Destination: '{arn}'.")
        if group[:2] != (ctx.account_id, ctx.region):
            # Logs are delivered only where the machine's own account may write: another account's group
            # (or another region's) is refused as AWS refuses a destination its role cannot reach
            # (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html, "IAM policies for logging").
            raise AccessDenied("The state machine IAM Role is not authorized to access the Log Destination")


def _wanted(level: str, event_type: str) -> bool:
    if level == "ALL":
        return True
    if level == "ERROR":
        return event_type in _ERROR
    if level == "FATAL":
        return event_type in _FATAL
    return False


def line(event: Event, execution_arn: str, redrive_count: int, include_data: bool) -> str:
    """One log event's message."""
    details = event.details or {}
    if not include_data:
        details = {k: v for k, v in details.items() if k not in _DATA}
    return json.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "details": details,
            "previous_event_id": str(event.previous_id),
            "event_timestamp": str(int(event.timestamp * 1000)),
            "execution_arn": execution_arn,
            "redrive_count": str(redrive_count),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def destination(
    sink: LogSink | None, config: dict[str, Any], execution_arn: str, machine_name: str, redrive_count: int,
    started: float,
) -> EventLog | None:
    """The journal's EventLog for one execution run, or None when nothing is logged."""
    level = config.get("level", "OFF")
    destinations = config.get("destinations") or []
    if sink is None or level == "OFF" or not destinations:
        return None
    where = log_group_of((destinations[0].get("cloudWatchLogsLogGroup") or {}).get("logGroupArn") or "")
    if where is None:
        return None
    account, region, group = where
    owner = context_of(execution_arn)
    if (account, region) != (owner.account_id, owner.region):  # refused by check() since; never delivered there
        return None
    include_data = bool(config.get("includeExecutionData", False))
    # Vended log streams are named states/<state machine>/<yyyy-mm-dd-hh-mm>/<8 hex digits>.
    stamp = time.strftime("%Y-%m-%d-%H-%M", time.gmtime(started))
    stream = f"states/{machine_name}/{stamp}/{secrets.token_hex(4)}"

    async def deliver(events: Sequence[Event], tx: Queries | None) -> None:
        lines = [
            LogEvent(int(e.timestamp * 1000), line(e, execution_arn, redrive_count, include_data))
            for e in events
            if _wanted(level, e.type)
        ]
        if lines:
            await sink.put_many([StreamEvents(account, region, group, stream, lines)], tx)

    return deliver
