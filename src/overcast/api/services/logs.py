"""CloudWatch Logs operations: botocore-named parameters in, the LogStore called, botocore-named outputs out.

Pages, tokens, tags and the rules of each operation live in the domain (overcast.observe.logs);
this module only maps names. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/Welcome.html
"""

from __future__ import annotations

from dataclasses import dataclass

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.context import RequestContext
from overcast.kit.tags import Tagging
from overcast.observe.logs import LogEvent, LogGroup, LogStore, LogStream, StoredEvent, group_name


@dataclass(frozen=True, slots=True)
class Services:
    logs: LogStore


def _group(ctx: RequestContext, p: Params) -> str:
    return group_name(ctx, p.get("logGroupName"), p.get("logGroupIdentifier"))


def _group_out(group: LogGroup, brief: bool) -> Output:
    # "If you specify logGroupNamePattern in your request, then only arn, creationTime, and logGroupName
    # are included in the response." (API_DescribeLogGroups.html)
    out: Output = {"logGroupName": group.name, "creationTime": group.created_ms, "arn": group.arn + ":*"}
    if brief:
        return out
    out |= {
        "metricFilterCount": 0,
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
    for key, value in (
        ("firstEventTimestamp", stream.first_event_ms),
        ("lastEventTimestamp", stream.last_event_ms),
        ("lastIngestionTime", stream.last_ingestion_ms),
    ):
        if value is not None:
            out[key] = value
    return out


def _event_out(event: StoredEvent) -> Output:
    return {"timestamp": event.timestamp_ms, "message": event.message, "ingestionTime": event.ingestion_ms}


def _page(key: str, items: list[Output], token: str | None) -> Output:
    return {key: items, "nextToken": token} if token else {key: items}


async def create_log_group(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.logs.create_group(ctx, p["logGroupName"], p.get("tags"))
    return {}


async def delete_log_group(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.logs.delete_group(ctx, p["logGroupName"])
    return {}


async def describe_log_groups(s: Services, ctx: RequestContext, p: Params) -> Output:
    pattern = p.get("logGroupNamePattern")
    groups, token = await s.logs.groups(
        ctx, prefix=p.get("logGroupNamePrefix"), pattern=pattern, limit=p.get("limit"), token=p.get("nextToken")
    )
    return _page("logGroups", [_group_out(g, brief=bool(pattern)) for g in groups], token)


async def put_retention_policy(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.logs.put_retention(ctx, p["logGroupName"], p["retentionInDays"])
    return {}


async def delete_retention_policy(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.logs.put_retention(ctx, p["logGroupName"], None)
    return {}


async def create_log_stream(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.logs.create_stream(ctx, p["logGroupName"], p["logStreamName"])
    return {}


async def delete_log_stream(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.logs.delete_stream(ctx, p["logGroupName"], p["logStreamName"])
    return {}


async def describe_log_streams(s: Services, ctx: RequestContext, p: Params) -> Output:
    streams, token = await s.logs.streams(
        ctx,
        _group(ctx, p),
        prefix=p.get("logStreamNamePrefix"),
        by_last_event=p.get("orderBy", "LogStreamName") == "LastEventTime",
        descending=bool(p.get("descending", False)),
        limit=p.get("limit"),
        token=p.get("nextToken"),
    )
    return _page("logStreams", [_stream_out(st) for st in streams], token)


async def put_log_events(s: Services, ctx: RequestContext, p: Params) -> Output:
    events = [LogEvent(int(e["timestamp"]), e["message"]) for e in p["logEvents"]]
    rejected = await s.logs.put_log_events(ctx, p["logGroupName"], p["logStreamName"], events)
    info = {
        key: value
        for key, value in (
            ("tooNewLogEventStartIndex", rejected.too_new_start),
            ("tooOldLogEventEndIndex", rejected.too_old_end),
            ("expiredLogEventEndIndex", rejected.expired_end),
        )
        if value is not None
    }
    return {"rejectedLogEventsInfo": info} if info else {}


async def get_log_events(s: Services, ctx: RequestContext, p: Params) -> Output:
    page = await s.logs.stream_events(
        ctx,
        _group(ctx, p),
        p["logStreamName"],
        start_ms=p.get("startTime"),
        end_ms=p.get("endTime"),
        limit=p.get("limit"),
        token=p.get("nextToken"),
        from_head=bool(p.get("startFromHead", False)),
    )
    return {
        "events": [_event_out(e) for e in page.events],
        "nextForwardToken": page.forward_token,
        "nextBackwardToken": page.backward_token,
    }


async def filter_log_events(s: Services, ctx: RequestContext, p: Params) -> Output:
    events, token = await s.logs.filter_events(
        ctx,
        _group(ctx, p),
        streams=p.get("logStreamNames"),
        stream_prefix=p.get("logStreamNamePrefix"),
        start_ms=p.get("startTime"),
        end_ms=p.get("endTime"),
        pattern=p.get("filterPattern"),
        from_head=bool(p.get("startFromHead", True)),
        limit=p.get("limit"),
        token=p.get("nextToken"),
    )
    out = _page("events", [{"logStreamName": e.stream, **_event_out(e), "eventId": e.event_id} for e in events], token)
    return out | {"searchedLogStreams": []}


def _tagged(s: Services, p: Params) -> tuple[Tagging, str]:
    """Whose tags a request names: a resourceArn (TagResource, UntagResource, ListTagsForResource) or a
    logGroupName (TagLogGroup, UntagLogGroup, ListTagsLogGroup, the older style)."""
    if "resourceArn" in p:
        return s.logs.tags_by_arn, p["resourceArn"]
    return s.logs.tags_by_name, p["logGroupName"]


async def tag(s: Services, ctx: RequestContext, p: Params) -> Output:
    tagging, target = _tagged(s, p)
    await tagging.tag(ctx, target, p["tags"])
    return {}


async def untag(s: Services, ctx: RequestContext, p: Params) -> Output:
    tagging, target = _tagged(s, p)
    await tagging.untag(ctx, target, p["tagKeys"] if "tagKeys" in p else p["tags"])
    return {}


async def list_tags(s: Services, ctx: RequestContext, p: Params) -> Output:
    tagging, target = _tagged(s, p)
    return {"tags": await tagging.tags(ctx, target)}


HANDLERS: dict[str, Unbound[Services]] = {
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
    "TagResource": tag,
    "UntagResource": untag,
    "ListTagsForResource": list_tags,
    "TagLogGroup": tag,
    "UntagLogGroup": untag,
    "ListTagsLogGroup": list_tags,
}


def operations(logs: LogStore) -> OperationTable:
    return bind(HANDLERS, Services(logs))
