"""Mappings: the event source mappings of every account, kept in the store, and their pollers told of each change.

Each call answers as Lambda does, with the state the mapping is on its way through (Creating, Updating,
Enabling, Disabling, Deleting); the pollers then start, change or stop, and the mapping settles (Enabled or
Disabled, or is gone), before the call returns, so a Get after it sees where it settled.
"""

from __future__ import annotations

import asyncio
import json
import uuid as uuids
from collections.abc import Mapping as Members
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any, Protocol

from overcast.arn import parse_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import AwsError, InvalidParameterValue, ResourceConflict, ResourceNotFound
from overcast.events.mappings import settings as checks
from overcast.events.mappings.records import Change, InvalidTransition, Mapping, Settings, State, transition
from overcast.events.mappings.schema import STEPS
from overcast.functions import versions
from overcast.functions.names import AccessDenied, caller_arn, function_arn, parse_function_ref
from overcast.functions.validation import TAG_RULES
from overcast.kit import tags
from overcast.kit.pages import Keyset, Lists, PageLimits, fetch_page
from overcast.store import Queries, Row, Store
from overcast.store.migrations import components

_COLUMNS = (
    "uuid, account, region, event_source_arn, function_arn, enabled, state, reason, settings, last_modified, "
    "last_result"
)
_INSERT = f"INSERT INTO event_source_mappings ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_BY_UUID = Keyset.of(("uuid", str))
# ListEventSourceMappings: MaxItems 1-10,000, at most 100 a page
# (https://docs.aws.amazon.com/lambda/latest/api/API_ListEventSourceMappings.html).
_LISTS = Lists(
    "lambda", PageLimits(default=100, most=100), lambda _: InvalidParameterValue("Invalid pagination marker.")
)
USER_INITIATED = "USER_INITIATED"
NO_RECORDS = "No records processed"
MAPPING_PREFIX = "event-source-mapping:"
_NO_QUEUE = (
    "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist or you do not have access to it."
)  # fmt: skip


class ResourceInUse(AwsError):
    code, status = "ResourceInUseException", 400


class QueueDirectory(Protocol):
    """What mappings need of the queues service: a queue's attributes (FifoQueue), or its own error if none."""

    async def attributes(self, ctx: RequestContext, queue: str) -> Members[str, str]: ...


class Pollers(Protocol):
    """Who polls: told of every change, it starts, changes or stops the mapping's pollers."""

    async def apply(self, mapping: Mapping) -> None: ...

    async def close(self) -> None: ...


class Mappings:
    """The event source mappings: CreateEventSourceMapping and its siblings, and the list pollers start from."""

    def __init__(self, store: Store, clock: Clock, queues: QueueDirectory, pollers: Pollers) -> None:
        self.store = store
        self.clock = clock
        self.queues = queues
        self.pollers = pollers
        self._migrated: asyncio.Task[None] | None = None
        # TagResource / UntagResource / ListTags on a mapping's ARN, over the kit's one tags table.
        self.tagging = tags.Tagging(store, self._taggable, TAG_RULES)

    async def _ready(self) -> None:
        """The tables, made on first use (a server that maps nothing pays nothing at start)."""
        if self._migrated is None or (self._migrated.done() and self._migrated.exception() is not None):
            self._migrated = asyncio.get_running_loop().create_task(self._migrate())
        await asyncio.shield(self._migrated)

    async def _migrate(self) -> None:
        await tags.migrate(self.store)
        await self.store.migrate("mappings", STEPS)

    async def tag(self, ctx: RequestContext, arn: str, given: Members[str, str]) -> None:
        await self._ready()
        await self.tagging.tag(ctx, arn, given)

    async def untag(self, ctx: RequestContext, arn: str, keys: Sequence[str]) -> None:
        await self._ready()
        await self.tagging.untag(ctx, arn, keys)

    async def tags(self, ctx: RequestContext, arn: str) -> dict[str, str]:
        await self._ready()
        return await self.tagging.tags(ctx, arn)

    async def _taggable(self, q: Queries, ctx: RequestContext, resource: str) -> str:
        """A mapping's ARN, from TagResource's Resource, when the mapping is the caller's."""
        arn = parse_arn(resource)
        uuid = arn.resource.removeprefix(MAPPING_PREFIX) if arn is not None else ""
        if arn is not None and arn.account != ctx.account_id:  # as another account's function is
            raise AccessDenied(
                f"User: {caller_arn(ctx.account_id, ctx.region)} is not authorized to perform: "
                f"lambda:{ctx.operation} on resource: {resource}"
            )
        if arn is None or arn.region != ctx.region or uuid == arn.resource:
            raise ResourceNotFound(f"Event source mapping not found: {resource}")
        return _mapping(await self._row(q, ctx, uuid)).arn

    async def _fifo(self, ctx: RequestContext, queue_arn: str) -> bool:
        arn = parse_arn(queue_arn)
        if arn is None or arn.service != "sqs":
            raise InvalidParameterValue(
                "Overcast maps only Amazon SQS queues yet; this event source is not implemented: " + queue_arn
            )
        try:
            attributes = await self.queues.attributes(ctx, queue_arn)
        except AwsError as e:
            # Lambda reports the queue's own error by its query-protocol code, a missing queue with SQS's longer
            # text (as LocalStack, whose messages follow AWS's, answers it).
            code, message = _NO_QUEUE if e.code == "QueueDoesNotExist" else (e.code, e.message)
            raise InvalidParameterValue(
                f"Error occurred while ReceiveMessage. SQS Error Code: {code}. SQS Error Message: {message}"
            ) from None
        return attributes.get("FifoQueue") == "true"

    async def create(self, ctx: RequestContext, members: Members[str, Any]) -> Mapping:
        """CreateEventSourceMapping: the mapping, Creating (then Enabled, or Disabled with Enabled false)."""
        await self._ready()
        queue_arn = str(members.get("EventSourceArn") or "")
        given = checks.changes(members)
        ref = parse_function_ref(str(members.get("FunctionName", "")), ctx.account_id, ctx.region)
        async with self.store.transaction() as tx:  # the function first: its errors are Lambda's own
            await versions.resolve(tx, ctx, ref.name, ref.qualifier)
        settings = checks.settled(Settings(), given, fifo=await self._fifo(ctx, queue_arn))
        enabled = members.get("Enabled") is not False
        given_tags = dict(members.get("Tags") or {})
        TAG_RULES.check(given_tags)
        mapping = Mapping(
            str(uuids.uuid4()), ctx.account_id, ctx.region, queue_arn,
            function_arn(ctx.account_id, ctx.region, ref.name, ref.qualifier), enabled, State.CREATING,
            USER_INITIATED, settings, self.clock.now(), NO_RECORDS,
        )  # fmt: skip
        async with self.store.transaction() as tx:
            await versions.resolve(tx, ctx, ref.name, ref.qualifier)
            twin = await tx.fetch_one(
                "SELECT uuid FROM event_source_mappings WHERE account = ? AND region = ? AND event_source_arn = ? "
                "AND function_arn = ?",
                ctx.account_id, ctx.region, queue_arn, mapping.function_arn,
            )  # fmt: skip
            if twin is not None:
                raise ResourceConflict(
                    f'The event source arn (" {queue_arn} ") and function (" {ref.name} ") provided mapping already '
                    f"exists. Please update or delete the existing mapping with UUID {twin['uuid']}"
                )
            await tx.execute(_INSERT, *_values(mapping))
            await tags.add(tx, mapping.arn, given_tags, TAG_RULES)
        await self._settle(mapping)
        return mapping

    async def get(self, ctx: RequestContext, uuid: str) -> Mapping:
        await self._ready()
        return _mapping(await self._row(self.store, ctx, uuid))

    async def _row(self, q: Queries, ctx: RequestContext, uuid: str) -> Row:
        row = await q.fetch_one(
            f"SELECT {_COLUMNS} FROM event_source_mappings WHERE uuid = ? AND account = ? AND region = ?",
            uuid, ctx.account_id, ctx.region,
        )  # fmt: skip
        if row is None:
            raise ResourceNotFound("The resource you requested does not exist.")
        return row

    async def update(self, ctx: RequestContext, uuid: str, members: Members[str, Any]) -> Mapping:
        """UpdateEventSourceMapping: the members given change; Enabled moves it through Enabling or Disabling."""
        await self._ready()
        given = checks.changes(members)
        current = await self.get(ctx, uuid)
        settings = checks.settled(current.settings, given, fifo=await self._fifo(ctx, current.event_source_arn))
        async with self.store.transaction() as tx:
            current = _mapping(await self._row(tx, ctx, uuid))
            target = current.function_arn
            if members.get("FunctionName"):
                ref = parse_function_ref(str(members["FunctionName"]), ctx.account_id, ctx.region)
                await versions.resolve(tx, ctx, ref.name, ref.qualifier)
                target = function_arn(ctx.account_id, ctx.region, ref.name, ref.qualifier)
            enabled = current.enabled if members.get("Enabled") is None else bool(members["Enabled"])
            change = Change.UPDATE
            if enabled != current.enabled and not given and target == current.function_arn:
                change = Change.ENABLE if enabled else Change.DISABLE
            mapping = replace(
                current, function_arn=target, enabled=enabled, state=_moved(current.state, change, enabled),
                state_transition_reason=USER_INITIATED, settings=settings, last_modified=self.clock.now(),
            )  # fmt: skip
            await tx.execute("DELETE FROM event_source_mappings WHERE uuid = ?", uuid)
            await tx.execute(_INSERT, *_values(mapping))
        await self._settle(mapping)
        return mapping

    async def delete(self, ctx: RequestContext, uuid: str) -> Mapping:
        """DeleteEventSourceMapping: the mapping as it was, Deleting; its pollers stop and it is gone."""
        await self._ready()
        async with self.store.transaction() as tx:
            current = _mapping(await self._row(tx, ctx, uuid))
            mapping = replace(current, state=_moved(current.state, Change.DELETE, current.enabled))
            await tx.execute("UPDATE event_source_mappings SET state = ? WHERE uuid = ?", mapping.state.value, uuid)
        await self._settle(mapping)
        return mapping

    async def _settle(self, mapping: Mapping) -> None:
        await self.pollers.apply(mapping)
        if mapping.state is State.DELETING:
            async with self.store.transaction() as tx:
                await tx.execute("DELETE FROM event_source_mappings WHERE uuid = ?", mapping.uuid)
                await tags.drop(tx, mapping.arn)
            return
        settled = transition(mapping.state, Change.SETTLE, enabled=mapping.enabled)
        await self.store.execute(
            "UPDATE event_source_mappings SET state = ? WHERE uuid = ? AND last_modified = ?",
            settled.value, mapping.uuid, mapping.last_modified,
        )  # fmt: skip

    async def processed(self, mapping: Mapping, result: str) -> None:
        """A poller's word on its last batch (LastProcessingResult: OK, or PROBLEM: ...)."""
        sql = "UPDATE event_source_mappings SET last_result = ? WHERE uuid = ?"
        await self.store.execute(sql, result, mapping.uuid)

    async def list(
        self,
        ctx: RequestContext,
        event_source_arn: str | None,
        function_name: str | None,
        marker: str | None,
        max_items: int | None,
    ) -> tuple[list[Mapping], str | None]:
        """ListEventSourceMappings: the caller's mappings, of a queue and/or a function, a page at a time."""
        await self._ready()
        paging = _LISTS.start(
            ctx, _BY_UUID.kinds, max_items, marker, event_source_arn or "", function_name or "",
            operation="ListEventSourceMappings",
        )  # fmt: skip
        sql = f"SELECT {_COLUMNS} FROM event_source_mappings WHERE account = ? AND region = ?"
        params: list[Any] = [ctx.account_id, ctx.region]
        if event_source_arn:
            sql += " AND event_source_arn = ?"
            params.append(event_source_arn)
        if function_name:
            ref = parse_function_ref(function_name, ctx.account_id, ctx.region)
            arn = function_arn(ctx.account_id, ctx.region, ref.name, ref.qualifier)
            if ref.qualifier is None:  # a function's name names its versions' and aliases' mappings too
                sql += " AND (function_arn = ? OR substr(function_arn, 1, ?) = ?)"
                params += [arn, len(arn) + 1, arn + ":"]
            else:
                sql += " AND function_arn = ?"
                params.append(arn)
        rows, token = await fetch_page(self.store, sql, params, _BY_UUID, paging)
        return [_mapping(row) for row in rows], token

    async def enabled(self) -> Sequence[Mapping]:
        """Every account's mappings that poll (the pollers' start after a restart)."""
        if "mappings" not in await components(self.store):
            return []
        await self._ready()
        rows = await self.store.fetch_all(f"SELECT {_COLUMNS} FROM event_source_mappings WHERE enabled = 1")
        return [_mapping(row) for row in rows]


def _moved(state: State, change: Change, enabled: bool) -> State:
    try:
        return transition(state, change, enabled=enabled)
    except InvalidTransition:
        raise ResourceInUse(
            f"Cannot complete the request because the event source mapping is in the {state.value} state. "
            "Try again later."
        ) from None


def _values(mapping: Mapping) -> list[Any]:
    return [
        mapping.uuid, mapping.account, mapping.region, mapping.event_source_arn, mapping.function_arn,
        int(mapping.enabled), mapping.state.value, mapping.state_transition_reason,
        json.dumps(asdict(mapping.settings)), mapping.last_modified, mapping.last_processing_result,
    ]  # fmt: skip


def _mapping(row: Row) -> Mapping:
    stored = json.loads(row["settings"])
    stored["filters"] = tuple(stored["filters"])
    if stored.get("metrics") is not None:
        stored["metrics"] = tuple(stored["metrics"])
    return Mapping(
        str(row["uuid"]), str(row["account"]), str(row["region"]), str(row["event_source_arn"]),
        str(row["function_arn"]), bool(row["enabled"]), State(row["state"]), str(row["reason"]),
        Settings(**stored), float(row["last_modified"]), str(row["last_result"]),
    )  # fmt: skip
