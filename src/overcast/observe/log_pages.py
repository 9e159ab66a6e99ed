"""CloudWatch Logs' lists a page at a time: groups, streams, a stream's events and a group's matching events.

Pages and tokens come from the kit (`overcast.kit.pages`): sizes with each operation's default and
most, keyset positions, and tokens bound to their scope, so that a token read back for another
group, stream, filter, account or region is refused with "InvalidParameterException: The
specified nextToken is invalid.". The caller (LogStore) starts a page with `start` (which checks the
token before anything is looked up), finds the group and the stream in the caller's account and
region, and reads the page by their ids.

Events pages hold at most 1 MB of events (each counted as its message's bytes plus 26, as
PutLogEvents counts them) and at most `limit` events, as GetLogEvents' and FilterLogEvents' do
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html).
Their tokens carry the direction they read in (`f` forward, `b` backward) with the position.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from overcast.kit.pages import Keyset, Kinds, Lists, PageLimits, Paging, Position, fetch_page
from overcast.observe.errors import invalid_token
from overcast.observe.log_ingestion import EVENT_OVERHEAD_BYTES
from overcast.observe.log_records import (
    EventPage,
    LogGroup,
    LogStream,
    StoredEvent,
    event_from_row,
    group_from_row,
    stream_from_row,
)
from overcast.observe.log_schema import EVENT_COLUMNS, GROUP_COLUMNS, STREAM_COLUMNS
from overcast.store import Queries

# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html and
# API_DescribeLogStreams.html: limit 1-50, "the default is up to 50 items"; API_GetLogEvents.html and
# API_FilterLogEvents.html: up to 10,000 events, the default.
LISTS = Lists(
    "logs",
    PageLimits(default=50, most=50),  # DescribeLogGroups, DescribeLogStreams
    invalid_token,
    per_operation=(
        ("GetLogEvents", PageLimits(default=10_000, most=10_000)),
        ("FilterLogEvents", PageLimits(default=10_000, most=10_000)),
    ),
)
PAGE_BYTES = 1_048_576
SCAN_LIMIT = 10_000  # events FilterLogEvents examines per call: a sparse match may give an empty page and a token
_SCAN_BATCH = 1000
FORWARD, BACKWARD = "f", "b"
_EDGE = [-1, -1]  # the position before a stream's first event (timestamps are >= 0)

_BY_NAME = Keyset.of(("name", str))
_STREAMS_BY: dict[tuple[bool, bool], Keyset] = {  # (by last event time, descending)
    (False, False): _BY_NAME,
    (False, True): Keyset.of(("-name", str)),
    (True, False): Keyset.of(("last_event_key", int), ("name", str)),
    (True, True): Keyset.of(("-last_event_key", int), ("-name", str)),
}
_IN_STREAM = {FORWARD: Keyset.of(("ts", int), ("seq", int)), BACKWARD: Keyset.of(("-ts", int), ("-seq", int))}
_IN_GROUP = {
    FORWARD: Keyset.of(("ts", int), ("stream", str), ("seq", int)),
    BACKWARD: Keyset.of(("-ts", int), ("-stream", str), ("-seq", int)),
}
# A position in each list; event positions start with their direction.
GROUP_POSITION: Kinds = _BY_NAME.kinds
STREAM_EVENT_POSITION: Kinds = (str, *_IN_STREAM[FORWARD].kinds)
GROUP_EVENT_POSITION: Kinds = (str, *_IN_GROUP[FORWARD].kinds)


def stream_position(by_last_event: bool, descending: bool) -> Kinds:
    return _STREAMS_BY[by_last_event, descending].kinds


async def groups(
    q: Queries, paging: Paging, *, account: str, region: str, prefix: str | None, pattern: str | None
) -> tuple[list[LogGroup], str | None]:
    """Groups by name; `pattern` is a case-sensitive substring (`replace` finds it on both engines)."""
    sql = f"SELECT {GROUP_COLUMNS} FROM log_groups WHERE account = ? AND region = ?"
    params: list[Any] = [account, region]
    if prefix:
        sql += " AND substr(name, 1, ?) = ?"
        params += [len(prefix), prefix]
    if pattern:
        sql += " AND replace(name, ?, '') <> name"
        params.append(pattern)
    rows, next_token = await fetch_page(q, sql, params, _BY_NAME, paging)
    return [group_from_row(r) for r in rows], next_token


async def streams(
    q: Queries,
    paging: Paging,
    *,
    account: str,
    region: str,
    group: str,
    prefix: str | None,
    by_last_event: bool,
    descending: bool,
) -> tuple[list[LogStream], str | None]:
    """Streams by name, or by last event time (streams without events count as 0) then name."""
    sql = (
        f"SELECT * FROM (SELECT {STREAM_COLUMNS}, COALESCE(last_event, 0) AS last_event_key FROM log_streams "
        "WHERE account = ? AND region = ? AND grp = ?) AS s WHERE 1 = 1"
    )
    params: list[Any] = [account, region, group]
    if prefix:
        sql += " AND substr(name, 1, ?) = ?"
        params += [len(prefix), prefix]
    rows, next_token = await fetch_page(q, sql, params, _STREAMS_BY[by_last_event, descending], paging)
    return [stream_from_row(r) for r in rows], next_token


async def stream_events(
    q: Queries, paging: Paging, *, sid: int, start_ms: int | None, end_ms: int | None, from_head: bool
) -> EventPage:
    """A page of one stream's events in [start_ms, end_ms), oldest first: after a forward token's
    position, before a backward token's, else the first (from_head) or the last of the stream.

    Both tokens are always given; at an end, where nothing was read, they name the position that
    was asked for, so the token given is handed back, as AWS does ("If you have reached the end of
    the stream, it returns the same token you passed in", API_GetLogEvents.html)."""
    direction, position = _direction(paging, FORWARD if from_head else BACKWARD)
    select, params = _window(f"SELECT {EVENT_COLUMNS} FROM log_events WHERE sid = ?", [sid], start_ms, end_ms)
    events, _, _ = await _scan(q, select, params, _IN_STREAM[direction], position, paging)
    if direction == BACKWARD:
        events.reverse()
    if not events:
        edge = position or _EDGE
        return EventPage([], paging.token([FORWARD, *edge]), paging.token([BACKWARD, *edge]))
    newest, oldest = events[-1], events[0]
    return EventPage(
        events,
        paging.token([FORWARD, newest.timestamp_ms, newest.seq]),
        paging.token([BACKWARD, oldest.timestamp_ms, oldest.seq]),
    )


async def group_events(
    q: Queries,
    paging: Paging,
    *,
    gid: int,
    streams: Sequence[str] | None,
    stream_prefix: str | None,
    start_ms: int | None,
    end_ms: int | None,
    match: Callable[[str], bool] | None,
    from_head: bool,
    scan_limit: int = SCAN_LIMIT,
) -> tuple[list[StoredEvent], str | None]:
    """A page of a group's events in [start_ms, end_ms) that `match`, across streams by (time, stream,
    sequence): oldest first, or newest first when not `from_head`; a token's direction wins
    (API_FilterLogEvents.html: "On subsequent requests, the nextToken determines the sort direction").
    At most `scan_limit` events are examined, so a sparse match may give few events and a token."""
    direction, position = _direction(paging, FORWARD if from_head else BACKWARD)
    sql = f"SELECT {EVENT_COLUMNS} FROM log_events WHERE gid = ?"
    params: list[Any] = [gid]
    if streams:
        sql += f" AND stream IN ({', '.join('?' for _ in streams)})"
        params += list(streams)
    if stream_prefix:
        sql += " AND substr(stream, 1, ?) = ?"
        params += [len(stream_prefix), stream_prefix]
    select, params = _window(sql, params, start_ms, end_ms)
    events, last, exhausted = await _scan(q, select, params, _IN_GROUP[direction], position, paging, match, scan_limit)
    return events, None if exhausted or last is None else paging.token([direction, *last])


def _direction(paging: Paging, default: str) -> tuple[str, Position | None]:
    if paging.after is None:
        return default, None
    direction, *position = paging.after
    if direction not in (FORWARD, BACKWARD):
        raise invalid_token(paging.token(paging.after))
    return direction, position


def _window(sql: str, params: list[Any], start_ms: int | None, end_ms: int | None) -> tuple[str, list[Any]]:
    if start_ms is not None:
        sql += " AND ts >= ?"
        params.append(start_ms)
    if end_ms is not None:
        sql += " AND ts < ?"
        params.append(end_ms)
    return sql, params


async def _scan(
    q: Queries,
    select: str,
    params: list[Any],
    keyset: Keyset,
    after: Position | None,
    paging: Paging,
    match: Callable[[str], bool] | None = None,
    scan_limit: int | None = None,
) -> tuple[list[StoredEvent], Position | None, bool]:
    """Events in `keyset` order after `after`: at most `paging.size` of those `match` accepts and at most
    PAGE_BYTES of them, examining at most `scan_limit` rows. Returns them, the position to continue
    after (the last row taken or examined), and whether the rows ran out."""
    found: list[StoredEvent] = []
    used = scanned = 0
    position = after
    while True:
        want = _SCAN_BATCH if match is not None else min(_SCAN_BATCH, paging.size - len(found))
        if scan_limit is not None:
            want = min(want, scan_limit - scanned)
        rows, more = await fetch_page(q, select, params, keyset, dataclasses.replace(paging, size=want, after=position))
        for i, row in enumerate(rows):
            event = event_from_row(row)
            if match is None or match(event.message):
                used += len(event.message.encode()) + EVENT_OVERHEAD_BYTES
                if found and used > PAGE_BYTES:
                    return found, position, False
                found.append(event)
            position = keyset.position(row)
            scanned += 1
            if len(found) == paging.size:
                return found, position, more is None and i == len(rows) - 1
        if more is None:
            return found, position, True
        if scan_limit is not None and scanned >= scan_limit:
            return found, position, False
