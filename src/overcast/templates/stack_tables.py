"""Stacks' tables (migration steps for `store.migrate("stacks", STEPS)`) and their rows read and written as records.

Steps are identified by position: never change a released step, append new ones. Times are epoch
milliseconds; mappings and lists are JSON text.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from overcast.store import Queries, Row
from overcast.templates.records import (
    Change,
    ChangeSet,
    Detail,
    Export,
    Output,
    Stack,
    StackEvent,
    StackResource,
)

R = TypeVar("R")

STEPS: list[str] = [
    "CREATE TABLE cfn_stacks (id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "name TEXT NOT NULL, status TEXT NOT NULL, status_reason TEXT, template_body TEXT NOT NULL, "
    "processed TEXT NOT NULL, parameters TEXT NOT NULL, no_echo TEXT NOT NULL, outputs TEXT NOT NULL, "
    "tags TEXT NOT NULL, capabilities TEXT NOT NULL, notification_arns TEXT NOT NULL, description TEXT, "
    "disable_rollback BIGINT NOT NULL, created BIGINT NOT NULL, updated BIGINT, deleted BIGINT);"
    # One live stack per name in an account and Region; deleted ones keep their rows (ListStacks shows them).
    "CREATE INDEX cfn_stacks_by_name ON cfn_stacks (account, region, name, deleted);"
    "CREATE TABLE cfn_resources (stack_id TEXT NOT NULL, logical_id TEXT NOT NULL, type TEXT NOT NULL, "
    "physical_id TEXT, attributes TEXT NOT NULL, status TEXT NOT NULL, status_reason TEXT, "
    "properties TEXT NOT NULL, updated BIGINT NOT NULL, PRIMARY KEY (stack_id, logical_id));"
    "CREATE TABLE cfn_events (stack_id TEXT NOT NULL, seq BIGINT NOT NULL, event_id TEXT NOT NULL, "
    "stack_name TEXT NOT NULL, logical_id TEXT NOT NULL, physical_id TEXT NOT NULL, type TEXT NOT NULL, "
    "status TEXT NOT NULL, status_reason TEXT, properties TEXT, ts BIGINT NOT NULL, PRIMARY KEY (stack_id, seq));"
    # An export name is unique in an account and Region.
    "CREATE TABLE cfn_exports (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "value TEXT NOT NULL, stack_id TEXT NOT NULL, PRIMARY KEY (account, region, name));"
    "CREATE TABLE cfn_imports (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "stack_id TEXT NOT NULL, PRIMARY KEY (account, region, name, stack_id));"
    "CREATE TABLE cfn_change_sets (id TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "name TEXT NOT NULL, stack_id TEXT NOT NULL, stack_name TEXT NOT NULL, kind TEXT NOT NULL, "
    "status TEXT NOT NULL, status_reason TEXT, execution_status TEXT NOT NULL, template_body TEXT NOT NULL, "
    "parameters TEXT NOT NULL, tags TEXT NOT NULL, capabilities TEXT NOT NULL, description TEXT, "
    "changes TEXT NOT NULL, created BIGINT NOT NULL, notification_arns TEXT NOT NULL);"
    "CREATE INDEX cfn_change_sets_by_stack ON cfn_change_sets (stack_id, name)",
]


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _s(ms: Any) -> float | None:
    return None if ms is None else int(ms) / 1000


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


# --- stacks ---------------------------------------------------------------------------------------------

STACK_COLUMNS = (
    "id, account, region, name, status, status_reason, template_body, processed, parameters, no_echo, outputs, "
    "tags, capabilities, notification_arns, description, disable_rollback, created, updated, deleted"
)


def stack_row(s: Stack) -> tuple[Any, ...]:
    outputs = [[o.key, o.value, o.description, o.export_name] for o in s.outputs]
    return (
        s.id, s.account, s.region, s.name, s.status, s.status_reason, s.template_body, dumps(s.processed),
        dumps(s.parameters), dumps(sorted(s.no_echo)), dumps(outputs), dumps(s.tags), dumps(list(s.capabilities)),
        dumps(list(s.notification_arns)), s.description, int(s.disable_rollback), _ms(s.created), _ms(s.updated),
        _ms(s.deleted),
    )  # fmt: skip


def _record(kind: type[R], row: Row, **read: Callable[[Any], Any]) -> R:
    """A record from a row whose columns are named as its fields; `read` converts the columns that need it."""
    return kind(**{f.name: read.get(f.name, _same)(row[f.name]) for f in dataclasses.fields(kind)})  # type: ignore[arg-type]


def _same(value: Any) -> Any:
    return value


def _seconds(ms: Any) -> float:
    return int(ms) / 1000


def stack_from(row: Row) -> Stack:
    return _record(
        Stack, row, processed=json.loads, parameters=json.loads, tags=json.loads, created=_seconds,
        no_echo=lambda text: frozenset(json.loads(text)),
        outputs=lambda text: tuple(Output(*item) for item in json.loads(text)),
        capabilities=lambda text: tuple(json.loads(text)),
        notification_arns=lambda text: tuple(json.loads(text)),
        disable_rollback=bool, updated=_s, deleted=_s,
    )  # fmt: skip


async def put_stack(q: Queries, s: Stack) -> None:
    placeholders = ", ".join("?" * len(STACK_COLUMNS.split(", ")))
    updates = ", ".join(f"{c} = excluded.{c}" for c in STACK_COLUMNS.split(", ")[1:])
    await q.execute(
        f"INSERT INTO cfn_stacks ({STACK_COLUMNS}) VALUES ({placeholders}) ON CONFLICT (id) DO UPDATE SET {updates}",
        *stack_row(s),
    )


# --- resources ------------------------------------------------------------------------------------------

RESOURCE_COLUMNS = "stack_id, logical_id, type, physical_id, attributes, status, status_reason, properties, updated"


def resource_from(row: Row) -> StackResource:
    return _record(StackResource, row, attributes=json.loads, properties=json.loads, updated=_seconds)


async def put_resource(q: Queries, r: StackResource) -> None:
    await q.execute(
        f"INSERT INTO cfn_resources ({RESOURCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (stack_id, logical_id) DO UPDATE SET type = excluded.type, physical_id = excluded.physical_id, "
        "attributes = excluded.attributes, status = excluded.status, status_reason = excluded.status_reason, "
        "properties = excluded.properties, updated = excluded.updated",
        r.stack_id, r.logical_id, r.type, r.physical_id, dumps(r.attributes), r.status, r.status_reason,
        dumps(r.properties), _ms(r.updated),
    )  # fmt: skip


async def resources_of(q: Queries, stack_id: str) -> list[StackResource]:
    rows = await q.fetch_all(
        f"SELECT {RESOURCE_COLUMNS} FROM cfn_resources WHERE stack_id = ? ORDER BY logical_id", stack_id
    )
    return [resource_from(row) for row in rows]


# --- events ---------------------------------------------------------------------------------------------

EVENT_COLUMNS = (
    "stack_id, seq, event_id, stack_name, logical_id, physical_id, type, status, status_reason, properties, ts"
)


async def put_event(q: Queries, seq: int, e: StackEvent) -> None:
    await q.execute(
        f"INSERT INTO cfn_events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        e.stack_id, seq, e.event_id, e.stack_name, e.logical_id, e.physical_id, e.type, e.status, e.status_reason,
        e.properties, _ms(e.timestamp),
    )  # fmt: skip


def event_from(row: Row) -> StackEvent:
    return StackEvent(
        stack_id=row["stack_id"],
        stack_name=row["stack_name"],
        event_id=row["event_id"],
        logical_id=row["logical_id"],
        physical_id=row["physical_id"],
        type=row["type"],
        status=row["status"],
        status_reason=row["status_reason"],
        properties=row["properties"],
        timestamp=_s(row["ts"]) or 0.0,
    )


# --- change sets ----------------------------------------------------------------------------------------

CHANGE_SET_COLUMNS = (
    "id, account, region, name, stack_id, stack_name, kind, status, status_reason, execution_status, "
    "template_body, parameters, tags, capabilities, description, changes, created, notification_arns"
)


def _change_json(c: Change) -> list[Any]:
    details = [[d.name, d.recreation, d.evaluation, d.source, d.causing] for d in c.details]
    return [c.action, c.logical_id, c.type, c.physical_id, c.replacement, details]


def _change_from(item: Sequence[Any]) -> Change:
    action, logical_id, kind, physical_id, replacement, details = item
    return Change(action, logical_id, kind, physical_id, replacement, tuple(Detail(*d) for d in details))


async def put_change_set(q: Queries, account: str, region: str, c: ChangeSet) -> None:
    placeholders = ", ".join("?" * len(CHANGE_SET_COLUMNS.split(", ")))
    updates = ", ".join(f"{col} = excluded.{col}" for col in CHANGE_SET_COLUMNS.split(", ")[1:])
    await q.execute(
        f"INSERT INTO cfn_change_sets ({CHANGE_SET_COLUMNS}) VALUES ({placeholders}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        c.id, account, region, c.name, c.stack_id, c.stack_name, c.kind, c.status, c.status_reason,
        c.execution_status, c.template_body, dumps(c.parameters), dumps(c.tags), dumps(list(c.capabilities)),
        c.description, dumps([_change_json(ch) for ch in c.changes]), _ms(c.created),
        dumps(list(c.notification_arns)),
    )  # fmt: skip


def change_set_from(row: Row) -> ChangeSet:
    return _record(
        ChangeSet, row, parameters=json.loads, tags=json.loads, created=_seconds,
        capabilities=lambda text: tuple(json.loads(text)),
        changes=lambda text: tuple(_change_from(item) for item in json.loads(text)),
        notification_arns=lambda text: tuple(json.loads(text)),
    )  # fmt: skip


# --- exports and imports --------------------------------------------------------------------------------


async def exports_of(q: Queries, account: str, region: str) -> list[Export]:
    rows = await q.fetch_all(
        "SELECT name, value, stack_id FROM cfn_exports WHERE account = ? AND region = ? ORDER BY name",
        account,
        region,
    )
    return [Export(row["name"], row["value"], row["stack_id"]) for row in rows]


async def replace_exports(q: Queries, account: str, region: str, stack_id: str, exports: Mapping[str, str]) -> None:
    """The stack's exports become `exports` (a Conflict if another stack exports one of the names)."""
    await q.execute(
        "DELETE FROM cfn_exports WHERE account = ? AND region = ? AND stack_id = ?", account, region, stack_id
    )
    for name, value in exports.items():
        await q.execute(
            "INSERT INTO cfn_exports (account, region, name, value, stack_id) VALUES (?, ?, ?, ?, ?)",
            account, region, name, value, stack_id,
        )  # fmt: skip


async def replace_imports(q: Queries, account: str, region: str, stack_id: str, names: Sequence[str]) -> None:
    await q.execute(
        "DELETE FROM cfn_imports WHERE account = ? AND region = ? AND stack_id = ?", account, region, stack_id
    )
    for name in dict.fromkeys(names):
        await q.execute(
            "INSERT INTO cfn_imports (account, region, name, stack_id) VALUES (?, ?, ?, ?)",
            account, region, name, stack_id,
        )  # fmt: skip


async def importers(q: Queries, account: str, region: str, name: str) -> list[str]:
    """The ids of the stacks that import export `name`."""
    rows = await q.fetch_all(
        "SELECT stack_id FROM cfn_imports WHERE account = ? AND region = ? AND name = ? ORDER BY stack_id",
        account,
        region,
        name,
    )
    return [str(row["stack_id"]) for row in rows]
