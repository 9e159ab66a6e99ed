"""LogStore: durable CloudWatch Logs state — log groups, log streams, their events and tags, per account and region.

Every lookup takes the caller's RequestContext and stays inside its account and region: a log
group ARN of another account or region names no group of the caller's (ResourceNotFoundException).
Events are ordered by (timestamp, sequence) inside a stream, the sequence numbering the events of
a stream in the order they were stored. Reads hide events older than the group's retention
(https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention);
`expire()` deletes them for good. Lists are read a page at a time (log_pages.py); writers that
are not API calls (Lambda, API Gateway, Step Functions) store events with `put_many` /
`put_statements` (log_ingestion.py), which name the account and region they write to.
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Mapping, Sequence

from overcast.arn import log_group_of, parse_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.kit import tags
from overcast.kit.tags import Tagging, TagRules
from overcast.observe import log_ingestion, log_pages
from overcast.observe.errors import (
    LogsInvalidParameter,
    LogsResourceAlreadyExists,
    LogsResourceNotFound,
    LogsTooManyTags,
    group_not_found,
    stream_not_found,
)
from overcast.observe.filter_patterns import compile_pattern
from overcast.observe.log_ingestion import (
    ADD_GROUP_BYTES,
    DAY_MS,
    EVENT_OVERHEAD_BYTES,
    StreamEvents,
    append_statements,
    check_batch,
)
from overcast.observe.log_records import (
    EventPage,
    LogEvent,
    LogGroup,
    LogStream,
    Rejected,
    StoredEvent,
    group_arn,
    group_from_row,
    lambda_log_group,
    lambda_stream_name,
    stream_from_row,
)
from overcast.observe.log_schema import GROUP_COLUMNS, STEPS, STREAM_COLUMNS
from overcast.store import Conflict, Queries, Row, Statement, Store

__all__ = [
    "DAY_MS",
    "EVENT_OVERHEAD_BYTES",
    "EventPage",
    "LogEvent",
    "LogGroup",
    "LogStore",
    "LogStream",
    "Rejected",
    "StoredEvent",
    "StreamEvents",
    "group_name",
    "lambda_log_group",
    "lambda_stream_name",
]

# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
_GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]+")
# FilterLogEvents: "Setting startFromHead to false is supported only when startTime is on or after
# Jan 1, 2024 00:00:00 UTC" (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html).
_NEWEST_FIRST_SINCE_MS = 1_704_067_200_000
_TOO_MANY_TAGS = "A resource can have no more than 50 tags."
# Tagging by ARN (TagResource) answers TooManyTagsException; the older by-name operations (TagLogGroup)
# and CreateLogGroup's tags know only InvalidParameterException (their errors in the botocore model).
_TAG_RULES = TagRules(
    too_many=lambda arn: LogsTooManyTags(_TOO_MANY_TAGS, fields={"resourceName": arn}), invalid=LogsInvalidParameter
)
_GROUP_TAG_RULES = TagRules(too_many=lambda arn: LogsInvalidParameter(_TOO_MANY_TAGS), invalid=LogsInvalidParameter)
_GROUP = "SELECT id, retention_days FROM log_groups WHERE account = ? AND region = ? AND name = ?"
_STREAM_ID = "SELECT id FROM log_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?"


def group_name(ctx: RequestContext, name: str | None, identifier: str | None) -> str:
    """The log group a request names: logGroupName, or logGroupIdentifier (a name, or the group's ARN,
    logGroupArn, also taken with arn's trailing `:*`). An ARN of another account or region names none
    of the caller's groups: ResourceNotFoundException."""
    if name and identifier:
        raise LogsInvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    if identifier:
        if parse_arn(identifier) is None:
            return identifier
        found = log_group_of(identifier)
        if found is None:
            raise LogsInvalidParameter(f"Invalid log group identifier: {identifier}")
        return _own(ctx, found)
    if not name:
        raise LogsInvalidParameter("Should provide either name or identifier.")
    return name


def _own(ctx: RequestContext, group: tuple[str, str, str]) -> str:
    account, region, name = group
    if (account, region) != (ctx.account_id, ctx.region):
        raise group_not_found()
    return name


async def _group_row(q: Queries, ctx: RequestContext, name: str) -> Row:
    row = await q.fetch_one(_GROUP, ctx.account_id, ctx.region, name)
    if row is None:
        raise group_not_found()
    return row


async def _tagged_by_name(q: Queries, ctx: RequestContext, name: str) -> str:
    """The tag set of the caller's group `name` (TagLogGroup, UntagLogGroup, ListTagsLogGroup)."""
    await _group_row(q, ctx, name)
    return group_arn(ctx.account_id, ctx.region, name)


async def _tagged_by_arn(q: Queries, ctx: RequestContext, arn: str) -> str:
    """The tag set a resourceArn names (TagResource, UntagResource, ListTagsForResource): a log group's.
    Destinations, Logs' other taggable resource, do not exist here."""
    found = log_group_of(arn)
    if found is None:
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "logs":
            raise LogsInvalidParameter(f"Invalid resource ARN: {arn}")
        raise LogsResourceNotFound("The specified resource does not exist.")
    return await _tagged_by_name(q, ctx, _own(ctx, found))


class LogStore:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._ids = random.Random(secrets.randbits(128))
        # TagResource, UntagResource, ListTagsForResource; TagLogGroup, UntagLogGroup, ListTagsLogGroup.
        self.tags_by_arn = Tagging(store, _tagged_by_arn, _TAG_RULES)
        self.tags_by_name = Tagging(store, _tagged_by_name, _GROUP_TAG_RULES)

    def _new_id(self) -> int:
        """A random id for a new group or stream, in [2**62, 2**63): apart from the ids the schema
        migration gave existing rows (their rank), unique in practice, and checked by a UNIQUE index."""
        return self._ids.getrandbits(62) | 1 << 62

    async def start(self) -> None:
        await tags.migrate(self.store)
        await self.store.migrate("logs", STEPS)

    def _now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    # --- groups ---

    async def create_group(self, ctx: RequestContext, name: str, group_tags: Mapping[str, str] | None = None) -> None:
        if not _GROUP_NAME.fullmatch(name):
            raise LogsInvalidParameter(
                f"1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {_GROUP_NAME.pattern}"
            )
        async with self.store.transaction() as tx:
            try:
                await tx.execute(
                    "INSERT INTO log_groups (account, region, name, created, retention_days, stored_bytes, id) "
                    "VALUES (?, ?, ?, ?, NULL, 0, ?)",
                    ctx.account_id,
                    ctx.region,
                    name,
                    self._now_ms(),
                    self._new_id(),
                )
            except Conflict:
                raise LogsResourceAlreadyExists("The specified log group already exists") from None
            await tags.add(tx, group_arn(ctx.account_id, ctx.region, name), group_tags or {}, _GROUP_TAG_RULES)

    async def group(self, ctx: RequestContext, name: str) -> LogGroup:
        row = await self.store.fetch_one(
            f"SELECT {GROUP_COLUMNS} FROM log_groups WHERE account = ? AND region = ? AND name = ?",
            ctx.account_id,
            ctx.region,
            name,
        )
        if row is None:
            raise group_not_found()
        return group_from_row(row)

    async def delete_group(self, ctx: RequestContext, name: str) -> None:
        async with self.store.transaction() as tx:
            key = (ctx.account_id, ctx.region, name)
            row = await tx.fetch_one(
                "DELETE FROM log_groups WHERE account = ? AND region = ? AND name = ? RETURNING id", *key
            )
            if row is None:
                raise group_not_found()
            await tx.execute("DELETE FROM log_streams WHERE account = ? AND region = ? AND grp = ?", *key)
            await tx.execute("DELETE FROM log_events WHERE gid = ?", int(row["id"]))
            await tags.drop(tx, group_arn(*key))

    async def groups(
        self,
        ctx: RequestContext,
        *,
        prefix: str | None = None,
        pattern: str | None = None,
        limit: int | None = None,
        token: str | None = None,
    ) -> tuple[list[LogGroup], str | None]:
        """A page of groups by name (DescribeLogGroups), and the next page's token (None on the last)."""
        if prefix and pattern:
            raise LogsInvalidParameter(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
            )
        paging = log_pages.LISTS.start(
            ctx, log_pages.GROUP_POSITION, limit, token, prefix, pattern, operation="DescribeLogGroups"
        )
        return await log_pages.groups(
            self.store, paging, account=ctx.account_id, region=ctx.region, prefix=prefix, pattern=pattern
        )

    async def put_retention(self, ctx: RequestContext, name: str, days: int | None) -> None:
        if days is not None and days not in RETENTION_DAYS:
            raise LogsInvalidParameter(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(str(d) for d in RETENTION_DAYS)}]"
            )
        changed = await self.store.execute(
            "UPDATE log_groups SET retention_days = ? WHERE account = ? AND region = ? AND name = ?",
            days,
            ctx.account_id,
            ctx.region,
            name,
        )
        if not changed:
            raise group_not_found()

    # --- streams ---

    async def create_stream(self, ctx: RequestContext, group: str, name: str) -> None:
        async with self.store.transaction() as tx:
            await _group_row(tx, ctx, group)
            try:
                await tx.execute(
                    "INSERT INTO log_streams (account, region, grp, name, created, stored_bytes, next_seq, id) "
                    "VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
                    ctx.account_id,
                    ctx.region,
                    group,
                    name,
                    self._now_ms(),
                    self._new_id(),
                )
            except Conflict:
                raise LogsResourceAlreadyExists("The specified log stream already exists") from None

    async def delete_stream(self, ctx: RequestContext, group: str, name: str) -> None:
        async with self.store.transaction() as tx:
            await _group_row(tx, ctx, group)
            key = (ctx.account_id, ctx.region, group, name)
            row = await tx.fetch_one(
                "DELETE FROM log_streams WHERE account = ? AND region = ? AND grp = ? AND name = ? "
                "RETURNING stored_bytes, id",
                *key,
            )
            if row is None:
                raise stream_not_found()
            await tx.execute("DELETE FROM log_events WHERE sid = ?", int(row["id"]))
            await tx.execute(ADD_GROUP_BYTES, -int(row["stored_bytes"]), *key[:3])

    async def stream(self, ctx: RequestContext, group: str, name: str) -> LogStream:
        row = await self.store.fetch_one(
            f"SELECT {STREAM_COLUMNS} FROM log_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?",
            ctx.account_id,
            ctx.region,
            group,
            name,
        )
        if row is None:
            await _group_row(self.store, ctx, group)
            raise stream_not_found()
        return stream_from_row(row)

    async def streams(
        self,
        ctx: RequestContext,
        group: str,
        *,
        prefix: str | None = None,
        by_last_event: bool = False,
        descending: bool = False,
        limit: int | None = None,
        token: str | None = None,
    ) -> tuple[list[LogStream], str | None]:
        """A page of a group's streams (DescribeLogStreams) by name, or by last event time then name."""
        if prefix and by_last_event:
            raise LogsInvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        filters = (group, prefix, by_last_event, descending)
        kinds = log_pages.stream_position(by_last_event, descending)
        paging = log_pages.LISTS.start(ctx, kinds, limit, token, *filters, operation="DescribeLogStreams")
        await _group_row(self.store, ctx, group)
        return await log_pages.streams(
            self.store,
            paging,
            account=ctx.account_id,
            region=ctx.region,
            group=group,
            prefix=prefix,
            by_last_event=by_last_event,
            descending=descending,
        )

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
        (so that other writes can go in the same one)."""
        return log_ingestion.statements(batches, self._now_ms(), self._new_id)

    async def put_log_events(
        self, ctx: RequestContext, group: str, stream: str, events: Sequence[LogEvent]
    ) -> Rejected:
        """PutLogEvents: store a batch in an existing stream; the events it rejects, by index
        (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html)."""
        check_batch(events)
        now = self._now_ms()
        key = (ctx.account_id, ctx.region, group, stream)
        async with self.store.transaction() as tx:
            row = await _group_row(tx, ctx, group)
            kept, rejected = log_ingestion.accepted(events, now, row["retention_days"])
            if not kept:
                if await tx.fetch_one(_STREAM_ID, *key) is None:
                    raise stream_not_found()
                return rejected
            update, inserts, size = append_statements(key, kept, now)
            if not await tx.execute(update[0], *update[1]):
                raise stream_not_found()
            await tx.execute_batch([*inserts, (ADD_GROUP_BYTES, (size, *key[:3]))])
        return rejected

    def _floor(self, row: Row, start_ms: int | None) -> int | None:
        """The earliest timestamp a read may return: `start_ms`, raised to the retention cutoff."""
        if row["retention_days"] is None:
            return start_ms
        cutoff = self._now_ms() - int(row["retention_days"]) * DAY_MS
        return cutoff if start_ms is None else max(start_ms, cutoff)

    async def stream_events(
        self,
        ctx: RequestContext,
        group: str,
        stream: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int | None = None,
        token: str | None = None,
        from_head: bool = False,
    ) -> EventPage:
        """GetLogEvents: a page of a stream's events in [start_ms, end_ms), and the tokens on from it."""
        paging = log_pages.LISTS.start(
            ctx, log_pages.STREAM_EVENT_POSITION, limit, token, group, stream, operation="GetLogEvents"
        )
        found = await _group_row(self.store, ctx, group)
        row = await self.store.fetch_one(_STREAM_ID, ctx.account_id, ctx.region, group, stream)
        if row is None:
            raise stream_not_found()
        return await log_pages.stream_events(
            self.store,
            paging,
            sid=int(row["id"]),
            start_ms=self._floor(found, start_ms),
            end_ms=end_ms,
            from_head=from_head,
        )

    async def filter_events(
        self,
        ctx: RequestContext,
        group: str,
        *,
        streams: Sequence[str] | None = None,
        stream_prefix: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        pattern: str | None = None,
        from_head: bool = True,
        limit: int | None = None,
        token: str | None = None,
        scan_limit: int = log_pages.SCAN_LIMIT,
    ) -> tuple[list[StoredEvent], str | None]:
        """FilterLogEvents: a page of a group's events from `start_ms` to `end_ms` (both included, as its
        startTime and endTime) that match the filter pattern, and the next page's token."""
        if streams and stream_prefix:
            raise LogsInvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        if not from_head and start_ms is not None and start_ms < _NEWEST_FIRST_SINCE_MS:
            raise LogsInvalidParameter("startFromHead false is supported only with a startTime on or after 2024-01-01.")
        match = compile_pattern(pattern)
        filters = (group, streams, stream_prefix, start_ms, end_ms, pattern)
        paging = log_pages.LISTS.start(
            ctx, log_pages.GROUP_EVENT_POSITION, limit, token, *filters, operation="FilterLogEvents"
        )
        found = await _group_row(self.store, ctx, group)
        return await log_pages.group_events(
            self.store,
            paging,
            gid=int(found["id"]),
            streams=streams,
            stream_prefix=stream_prefix,
            start_ms=self._floor(found, start_ms),
            end_ms=None if end_ms is None else end_ms + 1,
            match=match,
            from_head=from_head,
            scan_limit=scan_limit,
        )

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
