"""LogStore: durable CloudWatch Logs state — log groups, log streams and their events, per account and region.

Events are ordered by (timestamp, sequence) inside a stream, the sequence numbering the events of
a stream in the order they were stored. Reads hide events older than the group's retention
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention);
`expire()` deletes them for good. The wire shapes (tokens, field names) live in api/services/logs.py.

Storing events is the hot path (every Lambda invocation writes three or more), so it is built to
cost one store job: `put_statements` gives the statements of an append for one `execute_batch`
(the stream's sequence numbers are reserved and used inside SQL, with no round trip to read them),
and events are keyed by integer group and stream ids rather than by their names.
"""

from __future__ import annotations

import functools
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from overcast.clock import Clock
from overcast.observe.errors import LogsResourceAlreadyExists, group_not_found, stream_not_found
from overcast.observe.log_records import (
    LogEvent,
    LogGroup,
    LogStream,
    StoredEvent,
    event_from_row,
    group_from_row,
    lambda_log_group,
    lambda_stream_name,
    stream_from_row,
)
from overcast.observe.log_schema import STEPS
from overcast.store import Conflict, Queries, Statement, Store

__all__ = [
    "DAY_MS",
    "EVENT_OVERHEAD_BYTES",
    "LogEvent",
    "LogGroup",
    "LogStore",
    "LogStream",
    "StoredEvent",
    "StreamEvents",
    "lambda_log_group",
    "lambda_stream_name",
]

# Each event costs its message's UTF-8 bytes plus 26 bytes, as PutLogEvents counts a batch
# (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html).
EVENT_OVERHEAD_BYTES = 26
_ROWS_PER_INSERT = 500  # 4 parameters a row stays far below PostgreSQL's 32767 per statement
_SCAN_BATCH = 1000
DAY_MS = 86_400_000

StreamCursor = tuple[int, int]  # (timestamp_ms, seq) of an event in one stream
GroupCursor = tuple[int, str, int]  # (timestamp_ms, stream, seq) of an event in a group


_GROUP_COLUMNS = "account, region, name, created, retention_days, stored_bytes"
_STREAM_COLUMNS = "account, region, grp, name, created, first_event, last_event, last_ingestion, stored_bytes"
_EVENT_COLUMNS = "stream, seq, ts, ingestion, message"


@dataclass(frozen=True, slots=True)
class StreamEvents:
    """Events for one log stream, for `LogStore.put_many`."""

    account: str
    region: str
    group: str
    stream: str
    events: Sequence[LogEvent]


class LogStore:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._ids = random.Random(secrets.randbits(128))

    def _new_id(self) -> int:
        """A random id for a new group or stream, in [2**62, 2**63): apart from the ids the schema
        migration gave existing rows (their rank), unique in practice, and checked by a UNIQUE index."""
        return self._ids.getrandbits(62) | 1 << 62

    async def start(self) -> None:
        await self.store.migrate("logs", STEPS)

    def _now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    # --- groups ---

    async def create_group(self, account: str, region: str, name: str, retention_days: int | None = None) -> LogGroup:
        try:
            await self.store.execute(
                "INSERT INTO log_groups (account, region, name, created, retention_days, stored_bytes, id) "
                "VALUES (?, ?, ?, ?, ?, 0, ?)",
                account,
                region,
                name,
                self._now_ms(),
                retention_days,
                self._new_id(),
            )
        except Conflict:
            raise LogsResourceAlreadyExists("The specified log group already exists") from None
        return await self.group(account, region, name)

    async def group(self, account: str, region: str, name: str) -> LogGroup:
        row = await self.store.fetch_one(
            f"SELECT {_GROUP_COLUMNS} FROM log_groups WHERE account = ? AND region = ? AND name = ?",
            account,
            region,
            name,
        )
        if row is None:
            raise group_not_found()
        return group_from_row(row)

    async def delete_group(self, account: str, region: str, name: str) -> None:
        async with self.store.transaction() as tx:
            key = (account, region, name)
            row = await tx.fetch_one(
                "DELETE FROM log_groups WHERE account = ? AND region = ? AND name = ? RETURNING id", *key
            )
            if row is None:
                raise group_not_found()
            await tx.execute("DELETE FROM log_streams WHERE account = ? AND region = ? AND grp = ?", *key)
            await tx.execute("DELETE FROM log_events WHERE gid = ?", int(row["id"]))

    async def groups(
        self,
        account: str,
        region: str,
        prefix: str | None = None,
        pattern: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> tuple[list[LogGroup], str | None]:
        """Groups by name; `pattern` matches a case-insensitive substring. Returns the page and the
        name to continue after (None on the last page)."""
        sql = f"SELECT {_GROUP_COLUMNS} FROM log_groups WHERE account = ? AND region = ?"
        params: list[Any] = [account, region]
        if prefix:
            sql += " AND substr(name, 1, ?) = ?"
            params += [len(prefix), prefix]
        if after is not None:
            sql += " AND name > ?"
            params.append(after)
        rows = await self.store.fetch_all(sql + " ORDER BY name", *params)
        found = [group_from_row(r) for r in rows]
        if pattern:
            needle = pattern.lower()
            found = [g for g in found if needle in g.name.lower()]
        page = found[:limit]
        return page, (page[-1].name if len(found) > limit else None)

    async def put_retention(self, account: str, region: str, name: str, days: int | None) -> None:
        changed = await self.store.execute(
            "UPDATE log_groups SET retention_days = ? WHERE account = ? AND region = ? AND name = ?",
            days,
            account,
            region,
            name,
        )
        if not changed:
            raise group_not_found()

    # --- streams ---

    async def create_stream(self, account: str, region: str, group: str, name: str) -> None:
        await self.group(account, region, group)
        try:
            await self.store.execute(
                "INSERT INTO log_streams (account, region, grp, name, created, stored_bytes, next_seq, id) "
                "VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
                account,
                region,
                group,
                name,
                self._now_ms(),
                self._new_id(),
            )
        except Conflict:
            raise LogsResourceAlreadyExists("The specified log stream already exists") from None

    async def delete_stream(self, account: str, region: str, group: str, name: str) -> None:
        await self.group(account, region, group)
        async with self.store.transaction() as tx:
            key = (account, region, group, name)
            row = await tx.fetch_one(
                "DELETE FROM log_streams WHERE account = ? AND region = ? AND grp = ? AND name = ? "
                "RETURNING stored_bytes, id",
                *key,
            )
            if row is None:
                raise stream_not_found()
            await tx.execute("DELETE FROM log_events WHERE sid = ?", int(row["id"]))
            await tx.execute(
                "UPDATE log_groups SET stored_bytes = stored_bytes - ? WHERE account = ? AND region = ? AND name = ?",
                int(row["stored_bytes"]),
                account,
                region,
                group,
            )

    async def stream(self, account: str, region: str, group: str, name: str) -> LogStream:
        row = await self.store.fetch_one(
            f"SELECT {_STREAM_COLUMNS} FROM log_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?",
            account,
            region,
            group,
            name,
        )
        if row is None:
            await self.group(account, region, group)
            raise stream_not_found()
        return stream_from_row(row)

    async def streams(
        self,
        account: str,
        region: str,
        group: str,
        prefix: str | None = None,
        by_last_event: bool = False,
        descending: bool = False,
        after: tuple[int, str] | None = None,
        limit: int = 50,
    ) -> tuple[list[LogStream], tuple[int, str] | None]:
        """Streams by name, or by last event time (streams without events count as 0) then name.
        `after` is the (last event time, name) key to continue after; the second item of the
        result is the key to continue after, None on the last page."""
        await self.group(account, region, group)
        sort = "COALESCE(last_event, 0)" if by_last_event else "0"
        sql = (
            f"SELECT {_STREAM_COLUMNS}, {sort} AS sort_key FROM log_streams "
            "WHERE account = ? AND region = ? AND grp = ?"
        )
        params: list[Any] = [account, region, group]
        if prefix:
            sql += " AND substr(name, 1, ?) = ?"
            params += [len(prefix), prefix]
        if after is not None:
            sql += f" AND ({sort}, name) {'<' if descending else '>'} (CAST(? AS BIGINT), ?)"
            params += list(after)
        direction = "DESC" if descending else "ASC"
        sql += f" ORDER BY sort_key {direction}, name {direction} LIMIT ?"
        rows = await self.store.fetch_all(sql, *params, limit + 1)
        page = [stream_from_row(r) for r in rows[:limit]]
        more = len(rows) > limit
        next_key = (int(rows[limit - 1]["sort_key"]), page[-1].name) if more and page else None
        return page, next_key

    # --- events ---

    async def put_events(self, account: str, region: str, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        """Store events, creating the group and the stream if missing (as Lambda does)."""
        await self.put_many([StreamEvents(account, region, group, stream, events)])

    async def put_many(self, batches: Sequence[StreamEvents], tx: Queries | None = None) -> None:
        """`put_events` for several streams at once, as one unit: in the caller's transaction `tx` when
        given (so other writes can share its commit), else on its own (one `execute_batch`)."""
        statements = self.put_statements(batches)
        if statements:
            await (self.store if tx is None else tx).execute_batch(statements)

    def put_statements(self, batches: Sequence[StreamEvents]) -> list[Statement]:
        """The statements that store `batches` as `put_many` does, for the caller's own `execute_batch`
        (so that other writes can go in the same one).

        Groups and streams that are missing are created (ON CONFLICT DO NOTHING, so a stream deleted
        meanwhile, even by another node, comes back). Each stream's sequence numbers are taken from
        its row by the INSERT itself (right after the UPDATE that reserves them and locks the row), so
        there is no round trip to read them, and concurrent appenders on any node never collide.
        Streams and groups are written in key order, so concurrent batches lock rows in one order.
        """
        streams: dict[tuple[str, str, str, str], list[LogEvent]] = {}
        for b in batches:
            if b.events:
                streams.setdefault((b.account, b.region, b.group, b.stream), []).extend(b.events)
        if not streams:
            return []
        now = self._now_ms()
        groups: dict[tuple[str, str, str], int] = {}
        statements: list[Statement] = []
        for key in sorted(streams):
            group = key[:3]
            if group not in groups:
                groups[group] = 0
                statements.append((_ENSURE_GROUP, (*group, now, self._new_id())))
            statements.append((_ENSURE_STREAM, (*key, now, self._new_id())))
            update, inserts, size = _append_statements(key, streams[key], now)
            statements.append(update)
            statements += inserts
            groups[group] += size
        statements += [(_ADD_GROUP_BYTES, (size, *group)) for group, size in groups.items()]
        return statements

    async def append(self, account: str, region: str, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        """Store events in an existing stream (PutLogEvents); the caller has checked the batch."""
        update, inserts, size = _append_statements((account, region, group, stream), events, self._now_ms())
        async with self.store.transaction() as tx:
            if not await tx.execute(update[0], *update[1]):
                exists = await tx.fetch_one(
                    "SELECT name FROM log_groups WHERE account = ? AND region = ? AND name = ?", account, region, group
                )
                raise stream_not_found() if exists else group_not_found()
            await tx.execute_batch([*inserts, (_ADD_GROUP_BYTES, (size, account, region, group))])

    async def _floor(self, group: LogGroup, start_ms: int | None) -> int | None:
        """The earliest timestamp a read may return: `start_ms`, raised to the retention cutoff."""
        if group.retention_days is None:
            return start_ms
        cutoff = self._now_ms() - group.retention_days * DAY_MS
        return cutoff if start_ms is None else max(start_ms, cutoff)

    async def read_stream(
        self,
        account: str,
        region: str,
        group: str,
        stream: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after: StreamCursor | None = None,
        before: StreamCursor | None = None,
        from_head: bool = False,
        limit: int = 10_000,
    ) -> list[StoredEvent]:
        """Events of one stream in [start_ms, end_ms), oldest first: the first `limit` after
        `after`; else the last `limit` before `before`; else the first (from_head) or last `limit`."""
        found = await self.group(account, region, group)
        await self.stream(account, region, group, stream)
        sql = f"SELECT {_EVENT_COLUMNS} FROM log_events WHERE sid = ({_STREAM_ID})"
        params: list[Any] = [account, region, group, stream]
        start_ms = await self._floor(found, start_ms)
        if start_ms is not None:
            sql += " AND ts >= ?"
            params.append(start_ms)
        if end_ms is not None:
            sql += " AND ts < ?"
            params.append(end_ms)
        ascending = True
        if after is not None:
            sql += " AND (ts, seq) > (CAST(? AS BIGINT), CAST(? AS BIGINT))"
            params += list(after)
        elif before is not None:
            sql += " AND (ts, seq) < (CAST(? AS BIGINT), CAST(? AS BIGINT))"
            params += list(before)
            ascending = False
        else:
            ascending = from_head
        order = "ASC" if ascending else "DESC"
        rows = await self.store.fetch_all(sql + f" ORDER BY ts {order}, seq {order} LIMIT ?", *params, limit)
        events = [event_from_row(r) for r in rows]
        return events if ascending else events[::-1]

    async def filter_events(
        self,
        account: str,
        region: str,
        group: str,
        *,
        streams: Sequence[str] | None = None,
        stream_prefix: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after: GroupCursor | None = None,
        match: Callable[[str], bool] | None = None,
        limit: int = 10_000,
        scan_limit: int = 10_000,
    ) -> tuple[list[StoredEvent], GroupCursor | None]:
        """Matching events of a group, oldest first across streams, and the cursor to continue
        after (None when nothing is left). At most `scan_limit` events are examined per call, so
        a sparse match may return fewer than `limit` events and still a cursor, as AWS does."""
        found = await self.group(account, region, group)
        base = f"SELECT {_EVENT_COLUMNS} FROM log_events WHERE gid = ({_GROUP_ID})"
        params: list[Any] = [account, region, group]
        if streams:
            base += f" AND stream IN ({', '.join('?' for _ in streams)})"
            params += list(streams)
        if stream_prefix:
            base += " AND substr(stream, 1, ?) = ?"
            params += [len(stream_prefix), stream_prefix]
        start_ms = await self._floor(found, start_ms)
        if start_ms is not None:
            base += " AND ts >= ?"
            params.append(start_ms)
        if end_ms is not None:
            base += " AND ts < ?"
            params.append(end_ms)
        matched: list[StoredEvent] = []
        scanned = 0
        cursor = after
        while True:
            sql, args = base, list(params)
            if cursor is not None:
                sql += " AND (ts, stream, seq) > (CAST(? AS BIGINT), ?, CAST(? AS BIGINT))"
                args += list(cursor)
            batch = min(_SCAN_BATCH, scan_limit - scanned)
            rows = await self.store.fetch_all(sql + " ORDER BY ts, stream, seq LIMIT ?", *args, batch)
            for row in rows:
                event = event_from_row(row)
                scanned += 1
                cursor = (event.timestamp_ms, event.stream, event.seq)
                if match is None or match(event.message):
                    matched.append(event)
                    if len(matched) == limit:
                        return matched, cursor
            if len(rows) < batch:
                return matched, None
            if scanned >= scan_limit:
                return matched, cursor

    async def expire(self) -> int:
        """Delete events older than their group's retention; the number deleted."""
        now = self._now_ms()
        deleted = 0
        rows = await self.store.fetch_all("SELECT id, retention_days FROM log_groups WHERE retention_days IS NOT NULL")
        for row in rows:
            cutoff = now - int(row["retention_days"]) * DAY_MS
            deleted += await self.store.execute(
                "DELETE FROM log_events WHERE gid = ? AND ts < ?", int(row["id"]), cutoff
            )
        return deleted


_GROUP_ID = "SELECT id FROM log_groups WHERE account = ? AND region = ? AND name = ?"
_STREAM_ID = "SELECT id FROM log_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?"
_ENSURE_GROUP = (
    "INSERT INTO log_groups (account, region, name, created, retention_days, stored_bytes, id) "
    "VALUES (?, ?, ?, ?, NULL, 0, ?) ON CONFLICT (account, region, name) DO NOTHING"
)
_ENSURE_STREAM = (
    "INSERT INTO log_streams (account, region, grp, name, created, stored_bytes, next_seq, id) "
    "VALUES (?, ?, ?, ?, ?, 0, 0, ?) ON CONFLICT (account, region, grp, name) DO NOTHING"
)
_ADD_GROUP_BYTES = "UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE account = ? AND region = ? AND name = ?"
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


def _append_statements(
    key: tuple[str, str, str, str], events: Sequence[LogEvent], now: int
) -> tuple[Statement, list[Statement], int]:
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
