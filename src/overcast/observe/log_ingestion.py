"""How log events are stored: the statements of an append, and PutLogEvents' rules for a batch.

Storing events is the hot path (every Lambda invocation writes three or more), so an append costs
one store job: `statements` gives the statements of an append for one `execute_batch` (the
stream's sequence numbers are reserved and used inside SQL, with no round trip to read them), and
events are keyed by integer group and stream ids rather than by their names. Nothing here looks
anything up: the writers (Lambda's outbox writer, API Gateway's access logs, Step Functions'
execution logs) name the account and region they write to.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from overcast.observe.errors import LogsInvalidParameter
from overcast.observe.log_records import LogEvent, Rejected
from overcast.store import Statement

# Each event costs its message's UTF-8 bytes plus 26 bytes, as PutLogEvents counts a batch
# (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html).
EVENT_OVERHEAD_BYTES = 26
# PutLogEvents' limits (the same page).
MAX_BATCH_BYTES = 1_048_576
MAX_SPAN_MS = 24 * 3600 * 1000
MAX_FUTURE_MS = 2 * 3600 * 1000
MAX_AGE_MS = 14 * 24 * 3600 * 1000
DAY_MS = 86_400_000
_ROWS_PER_INSERT = 500  # 4 parameters a row stays far below PostgreSQL's 32767 per statement

StreamKey = tuple[str, str, str, str]  # (account, region, group, stream)


@dataclass(frozen=True, slots=True)
class StreamEvents:
    """Events for one log stream, for `LogStore.put_many`."""

    account: str
    region: str
    group: str
    stream: str
    events: Sequence[LogEvent]


def statements(batches: Sequence[StreamEvents], now: int, new_id: Callable[[], int]) -> list[Statement]:
    """The statements that store `batches`, creating the groups and streams that are missing
    (ON CONFLICT DO NOTHING, so a stream deleted meanwhile, even by another node, comes back).

    Each stream's sequence numbers are taken from its row by the INSERT itself (right after the
    UPDATE that reserves them and locks the row), so there is no round trip to read them, and
    concurrent appenders on any node never collide. Streams and groups are written in key order, so
    concurrent batches lock rows in one order.
    """
    streams: dict[StreamKey, list[LogEvent]] = {}
    for b in batches:
        if b.events:
            streams.setdefault((b.account, b.region, b.group, b.stream), []).extend(b.events)
    if not streams:
        return []
    groups: dict[tuple[str, str, str], int] = {}
    out: list[Statement] = []
    for key in sorted(streams):
        group = key[:3]
        if group not in groups:
            groups[group] = 0
            out.append((_ENSURE_GROUP, (*group, now, new_id())))
        out.append((_ENSURE_STREAM, (*key, now, new_id())))
        update, inserts, size = append_statements(key, streams[key], now)
        out.append(update)
        out += inserts
        groups[group] += size
    out += [(ADD_GROUP_BYTES, (size, *group)) for group, size in groups.items()]
    return out


def append_statements(key: StreamKey, events: Sequence[LogEvent], now: int) -> tuple[Statement, list[Statement], int]:
    """The UPDATE that reserves sequence numbers for `events` in stream `key` (it changes no row
    when the stream does not exist), the INSERTs that must follow it, and the bytes they add."""
    size = sum(len(e.message.encode()) for e in events) + EVENT_OVERHEAD_BYTES * len(events)
    first = min(e.timestamp_ms for e in events)
    last = max(e.timestamp_ms for e in events)
    count = len(events)
    update: Statement = (_RESERVE, (count, size, now, first, first, last, last, *key))
    inserts: list[Statement] = []
    for start in range(0, count, _ROWS_PER_INSERT):
        chunk = events[start : start + _ROWS_PER_INSERT]
        values: list[Any] = [count]
        k = start
        for event in chunk:
            values += (k, event.timestamp_ms, event.ingestion_ms or now, event.message)
            k += 1
        values += key
        inserts.append((_insert_events_sql(len(chunk)), values))
    return update, inserts, size


def check_batch(events: Sequence[LogEvent]) -> None:
    """PutLogEvents' refusals of a whole batch: too large, out of order, spanning more than a day."""
    size = sum(len(e.message.encode()) + EVENT_OVERHEAD_BYTES for e in events)
    if size > MAX_BATCH_BYTES:
        raise LogsInvalidParameter(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
    if any(a.timestamp_ms > b.timestamp_ms for a, b in itertools.pairwise(events)):
        raise LogsInvalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
    if events and events[-1].timestamp_ms - events[0].timestamp_ms > MAX_SPAN_MS:
        raise LogsInvalidParameter(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
        )


def accepted(events: Sequence[LogEvent], now: int, retention_days: int | None) -> tuple[Sequence[LogEvent], Rejected]:
    """The events of a (checked, chronological) batch that PutLogEvents stores, and those it rejects:
    older than 14 days or than the group's retention at the start, more than 2 hours ahead at the end."""
    too_old = sum(1 for e in events if e.timestamp_ms < now - MAX_AGE_MS)
    expired = 0
    if retention_days is not None:
        expired = sum(1 for e in events if e.timestamp_ms < now - retention_days * DAY_MS)
    too_new = next((i for i, e in enumerate(events) if e.timestamp_ms > now + MAX_FUTURE_MS), len(events))
    rejected = Rejected(too_new if too_new < len(events) else None, too_old or None, expired or None)
    return events[max(too_old, expired) : too_new], rejected


_ENSURE_GROUP = (
    "INSERT INTO log_groups (account, region, name, created, retention_days, stored_bytes, id) "
    "VALUES (?, ?, ?, ?, NULL, 0, ?) ON CONFLICT (account, region, name) DO NOTHING"
)
_ENSURE_STREAM = (
    "INSERT INTO log_streams (account, region, grp, name, created, stored_bytes, next_seq, id) "
    "VALUES (?, ?, ?, ?, ?, 0, 0, ?) ON CONFLICT (account, region, grp, name) DO NOTHING"
)
ADD_GROUP_BYTES = "UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE account = ? AND region = ? AND name = ?"
# Reserves the sequence numbers of `count` events (and locks the row until the end of the transaction).
_RESERVE = (
    "UPDATE log_streams SET next_seq = next_seq + ?, stored_bytes = stored_bytes + ?, last_ingestion = ?, "
    "first_event = CASE WHEN first_event IS NULL OR first_event > ? THEN CAST(? AS BIGINT) ELSE first_event END, "
    "last_event = CASE WHEN last_event IS NULL OR last_event < ? THEN CAST(? AS BIGINT) ELSE last_event END "
    "WHERE account = ? AND region = ? AND grp = ? AND name = ?"
)


@functools.lru_cache(maxsize=64)
def _insert_events_sql(rows: int) -> str:
    """INSERT of `rows` events of one stream, numbered from the sequence numbers `_RESERVE` just
    reserved: event k (0-based in the append) gets next_seq - count + k. Parameters: count, then
    (k, ts, ingestion, message) per event, then the stream's key. CROSS JOIN makes SQLite look the
    stream and its group up once, not once per event."""
    values = ", ".join("(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), ?)" for _ in range(rows))
    return (
        "INSERT INTO log_events (gid, sid, seq, ts, ingestion, stream, message) "
        "SELECT g.id, s.id, s.next_seq - CAST(? AS BIGINT) + v.column1, v.column2, v.column3, s.name, v.column4 "
        f"FROM log_streams s CROSS JOIN log_groups g CROSS JOIN (VALUES {values}) AS v "
        "WHERE s.account = ? AND s.region = ? AND s.grp = ? AND s.name = ? "
        "AND g.account = s.account AND g.region = s.region AND g.name = s.grp"
    )
