"""CloudWatch Logs operations: botocore-named parameters in, the LogStore called, botocore-named outputs out.

Pagination tokens are opaque strings made here: GetLogEvents' `f/...` and `b/...` tokens point
just after (forward) or just before (backward) an event, as AWS's do; FilterLogEvents' and the
Describe operations' tokens encode where the last page stopped.
https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/Welcome.html
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import zlib
from typing import Any

from overcast.api.services import OperationTable, Output, Params
from overcast.context import RequestContext
from overcast.observe.errors import LogsInvalidParameter
from overcast.observe.filter_patterns import compile_pattern
from overcast.observe.logs import EVENT_OVERHEAD_BYTES, LogEvent, LogGroup, LogStore, LogStream, StoredEvent

_GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]+")
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
# PutLogEvents limits (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html).
MAX_BATCH_BYTES = 1_048_576
MAX_SPAN_MS = 24 * 3600 * 1000
MAX_FUTURE_MS = 2 * 3600 * 1000
MAX_AGE_MS = 14 * 24 * 3600 * 1000
DAY_MS = 24 * 3600 * 1000


def _invalid_token() -> LogsInvalidParameter:
    return LogsInvalidParameter("The specified nextToken is invalid.")


def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def _decode(token: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise _invalid_token() from None


def stream_token(direction: str, cursor: tuple[int, int] | None) -> str:
    """`f/...` or `b/...`; all zeros stands for the edge before the stream's first event."""
    ts, seq = cursor or (0, 0)
    return f"{direction}/{ts:019d}{seq + 1 if cursor else 0:019d}/s"


def parse_stream_token(token: str) -> tuple[str, tuple[int, int] | None]:
    match = re.fullmatch(r"([fb])/(\d{19})(\d{19})/s", token)
    if match is None:
        raise _invalid_token()
    ts, seq = int(match[2]), int(match[3])
    return match[1], (None if seq == 0 else (ts, seq - 1))


def event_id(event: StoredEvent) -> str:
    """A 56-digit id, unique in the group, as long as AWS's."""
    return f"{event.timestamp_ms:020d}{zlib.crc32(event.stream.encode()):010d}{event.seq:026d}"


def _group_name(params: Params) -> str:
    """logGroupName, or the name inside logGroupIdentifier (a name or an ARN)."""
    name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
    if name and identifier:
        raise LogsInvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if identifier:
        if identifier.startswith("arn:"):
            parts = identifier.split(":")
            if len(parts) < 7 or parts[5] != "log-group":
                raise LogsInvalidParameter(f"Invalid log group identifier: {identifier}")
            return str(parts[6])
        return str(identifier)
    if not name:
        raise LogsInvalidParameter("Should provide either name or identifier.")
    return str(name)


def _group_out(group: LogGroup) -> Output:
    out: Output = {
        "logGroupName": group.name,
        "creationTime": group.created_ms,
        "metricFilterCount": 0,
        "arn": group.arn + ":*",
        "storedBytes": group.stored_bytes,
        "logGroupClass": "STANDARD",
        "logGroupArn": group.arn,
    }
    if group.retention_days is not None:
        out["retentionInDays"] = group.retention_days
    return out


def _stream_out(stream: LogStream) -> Output:
    out: Output = {
        "logStreamName": stream.name,
        "creationTime": stream.created_ms,
        "arn": stream.arn,
        "storedBytes": stream.stored_bytes,
    }
    if stream.first_event_ms is not None:
        out["firstEventTimestamp"] = stream.first_event_ms
    if stream.last_event_ms is not None:
        out["lastEventTimestamp"] = stream.last_event_ms
    if stream.last_ingestion_ms is not None:
        out["lastIngestionTime"] = stream.last_ingestion_ms
    return out


def _check_group_name(name: str) -> None:
    if not _GROUP_NAME.fullmatch(name):
        raise LogsInvalidParameter(
            f"1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+"
        )


def _check_retention(days: int) -> None:
    if days not in RETENTION_DAYS:
        raise LogsInvalidParameter(
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(str(d) for d in RETENTION_DAYS)}]"
        )


def operations(logs: LogStore) -> OperationTable:
    def now_ms() -> int:
        return int(logs.clock.now() * 1000)

    async def create_log_group(ctx: RequestContext, params: Params) -> Output:
        name = params["logGroupName"]
        _check_group_name(name)
        await logs.create_group(ctx.account_id, ctx.region, name)
        return {}

    async def delete_log_group(ctx: RequestContext, params: Params) -> Output:
        await logs.delete_group(ctx.account_id, ctx.region, params["logGroupName"])
        return {}

    async def describe_log_groups(ctx: RequestContext, params: Params) -> Output:
        prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
        if prefix and pattern:
            raise LogsInvalidParameter(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
            )
        token = params.get("nextToken")
        after = _decode(token) if token else None
        if after is not None and not isinstance(after, str):
            raise _invalid_token()
        page, last = await logs.groups(
            ctx.account_id, ctx.region, prefix=prefix, pattern=pattern, after=after, limit=params.get("limit", 50)
        )
        out: Output = {"logGroups": [_group_out(g) for g in page]}
        if last is not None:
            out["nextToken"] = _encode(last)
        return out

    async def put_retention_policy(ctx: RequestContext, params: Params) -> Output:
        days = params["retentionInDays"]
        _check_retention(days)
        await logs.put_retention(ctx.account_id, ctx.region, params["logGroupName"], days)
        return {}

    async def delete_retention_policy(ctx: RequestContext, params: Params) -> Output:
        await logs.put_retention(ctx.account_id, ctx.region, params["logGroupName"], None)
        return {}

    async def create_log_stream(ctx: RequestContext, params: Params) -> Output:
        await logs.create_stream(ctx.account_id, ctx.region, params["logGroupName"], params["logStreamName"])
        return {}

    async def delete_log_stream(ctx: RequestContext, params: Params) -> Output:
        await logs.delete_stream(ctx.account_id, ctx.region, params["logGroupName"], params["logStreamName"])
        return {}

    async def describe_log_streams(ctx: RequestContext, params: Params) -> Output:
        group = _group_name(params)
        prefix = params.get("logStreamNamePrefix")
        by_last_event = params.get("orderBy", "LogStreamName") == "LastEventTime"
        if prefix and by_last_event:
            raise LogsInvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        token = params.get("nextToken")
        after: tuple[int, str] | None = None
        if token:
            decoded = _decode(token)
            if not (isinstance(decoded, list) and len(decoded) == 2):
                raise _invalid_token()
            after = (int(decoded[0]), str(decoded[1]))
        page, next_key = await logs.streams(
            ctx.account_id,
            ctx.region,
            group,
            prefix=prefix,
            by_last_event=by_last_event,
            descending=bool(params.get("descending", False)),
            after=after,
            limit=params.get("limit", 50),
        )
        out: Output = {"logStreams": [_stream_out(s) for s in page]}
        if next_key is not None:
            out["nextToken"] = _encode(list(next_key))
        return out

    async def put_log_events(ctx: RequestContext, params: Params) -> Output:
        group, stream = params["logGroupName"], params["logStreamName"]
        events = [LogEvent(int(e["timestamp"]), e["message"]) for e in params["logEvents"]]
        size = sum(len(e.message.encode()) + EVENT_OVERHEAD_BYTES for e in events)
        if size > MAX_BATCH_BYTES:
            raise LogsInvalidParameter(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
        if any(a.timestamp_ms > b.timestamp_ms for a, b in itertools.pairwise(events)):
            raise LogsInvalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
        if events and events[-1].timestamp_ms - events[0].timestamp_ms > MAX_SPAN_MS:
            raise LogsInvalidParameter(
                "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
            )
        found = await logs.group(ctx.account_id, ctx.region, group)
        now = now_ms()
        too_old = sum(1 for e in events if e.timestamp_ms < now - MAX_AGE_MS)
        expired = 0
        if found.retention_days is not None:
            expired = sum(1 for e in events if e.timestamp_ms < now - found.retention_days * DAY_MS)
        too_new = next((i for i, e in enumerate(events) if e.timestamp_ms > now + MAX_FUTURE_MS), len(events))
        first = max(too_old, expired)
        accepted = events[first:too_new]
        await logs.stream(ctx.account_id, ctx.region, group, stream)
        if accepted:
            await logs.append(ctx.account_id, ctx.region, group, stream, accepted)
        rejected: Output = {}
        if too_new < len(events):
            rejected["tooNewLogEventStartIndex"] = too_new
        if too_old:
            rejected["tooOldLogEventEndIndex"] = too_old
        if expired:
            rejected["expiredLogEventEndIndex"] = expired
        return {"rejectedLogEventsInfo": rejected} if rejected else {}

    async def get_log_events(ctx: RequestContext, params: Params) -> Output:
        group, stream = _group_name(params), params["logStreamName"]
        token = params.get("nextToken")
        direction, cursor = parse_stream_token(token) if token else ("", None)
        common: dict[str, Any] = {
            "start_ms": params.get("startTime"),
            "end_ms": params.get("endTime"),
            "limit": params.get("limit", 10_000),
        }
        where = (ctx.account_id, ctx.region, group, stream)
        if direction == "f":
            read = await logs.read_stream(*where, after=cursor, from_head=True, **common)
        elif direction == "b":
            if cursor is None:  # nothing lies before the start
                read = []
                await logs.stream(*where)
            else:
                read = await logs.read_stream(*where, before=cursor, **common)
        else:
            read = await logs.read_stream(*where, from_head=bool(params.get("startFromHead")), **common)
        if read:
            forward = stream_token("f", (read[-1].timestamp_ms, read[-1].seq))
            backward = stream_token("b", (read[0].timestamp_ms, read[0].seq))
        else:  # at an end: the same place, both ways (AWS hands back the token it was given)
            forward, backward = stream_token("f", cursor), stream_token("b", cursor)
        return {
            "events": [
                {"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.ingestion_ms} for e in read
            ],
            "nextForwardToken": forward,
            "nextBackwardToken": backward,
        }

    async def filter_log_events(ctx: RequestContext, params: Params) -> Output:
        group = _group_name(params)
        names, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if names and prefix:
            raise LogsInvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        token = params.get("nextToken")
        after: tuple[int, str, int] | None = None
        if token:
            decoded = _decode(token)
            if not (isinstance(decoded, list) and len(decoded) == 3):
                raise _invalid_token()
            after = (int(decoded[0]), str(decoded[1]), int(decoded[2]))
        end = params.get("endTime")
        found, cursor = await logs.filter_events(
            ctx.account_id,
            ctx.region,
            group,
            streams=names,
            stream_prefix=prefix,
            start_ms=params.get("startTime"),
            end_ms=None if end is None else end + 1,  # FilterLogEvents' endTime is inclusive
            after=after,
            match=compile_pattern(params.get("filterPattern")),
            limit=params.get("limit", 10_000),
        )
        out: Output = {
            "events": [
                {
                    "logStreamName": e.stream,
                    "timestamp": e.timestamp_ms,
                    "message": e.message,
                    "ingestionTime": e.ingestion_ms,
                    "eventId": event_id(e),
                }
                for e in found
            ],
            "searchedLogStreams": [],
        }
        if cursor is not None:
            out["nextToken"] = _encode(list(cursor))
        return out

    return {
        "CreateLogGroup": create_log_group,
        "DeleteLogGroup": delete_log_group,
        "DescribeLogGroups": describe_log_groups,
        "PutRetentionPolicy": put_retention_policy,
        "DeleteRetentionPolicy": delete_retention_policy,
        "CreateLogStream": create_log_stream,
        "DeleteLogStream": delete_log_stream,
        "DescribeLogStreams": describe_log_streams,
        "PutLogEvents": put_log_events,
        "GetLogEvents": get_log_events,
        "FilterLogEvents": filter_log_events,
    }
