"""History: the persisted events of an execution, read back in pages as GetExecutionHistory answers.

Events are written by the run's journal (see `journal`); this module reads them and writes batches.
A Standard execution's history holds at most 25,000 events; the engine fails the execution when it
would grow past that (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html,
"Maximum execution history size").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from overcast.kit.pages import Keyset, Paging, fetch_page
from overcast.store import Queries
from overcast.workflows.engine.records import Event

MAX_EVENTS = 25_000
_ROWS_PER_INSERT = 500  # 6 parameters a row stays far below PostgreSQL's 32767 per statement
_DATA_MEMBERS = ("input", "output")


async def append(q: Queries, execution_arn: str, events: Sequence[tuple[Event, str]]) -> None:
    """Persist events, each with its replay key (stored with the details so a replay finds it), in
    multi-row INSERTs (one store round trip per 500 events rather than one per event)."""
    for start in range(0, len(events), _ROWS_PER_INSERT):
        chunk = events[start : start + _ROWS_PER_INSERT]
        values: list[Any] = []
        for event, key in chunk:
            stored = {"key": key, "details": event.details}
            values += [execution_arn, event.id, event.type, event.timestamp, event.previous_id, json.dumps(stored)]
        await q.execute(
            "INSERT INTO sfn_history (execution_arn, id, type, ts, previous_id, details) VALUES "
            + ", ".join("(?, ?, ?, ?, ?, ?)" for _ in chunk)
            + " ON CONFLICT (execution_arn, id) DO NOTHING",
            *values,
        )


async def rekey(q: Queries, execution_arn: str, event: Event, key: str) -> None:
    """Give a persisted event another replay key (a redrive retires the keys of what runs again)."""
    await q.execute(
        "UPDATE sfn_history SET details = ? WHERE execution_arn = ? AND id = ?",
        json.dumps({"key": key, "details": event.details}),
        execution_arn,
        event.id,
    )


async def keyed(q: Queries, execution_arn: str) -> dict[str, Event]:
    """Every persisted event of an execution by its replay key."""
    rows = await q.fetch_all("SELECT * FROM sfn_history WHERE execution_arn = ? ORDER BY id", execution_arn)
    out: dict[str, Event] = {}
    for row in rows:
        stored = json.loads(row["details"])
        out[stored["key"]] = Event(int(row["id"]), row["type"], row["ts"], int(row["previous_id"]), stored["details"])
    return out


def by_id(reverse: bool) -> Keyset:
    """History in event order, or newest first with reverseOrder."""
    return Keyset.of(("-id" if reverse else "id", int))


async def page(
    q: Queries, execution_arn: str, paging: Paging, reverse: bool = False, include_data: bool = True
) -> tuple[list[Event], str | None]:
    rows, token = await fetch_page(
        q, "SELECT * FROM sfn_history WHERE execution_arn = ?", [execution_arn], by_id(reverse), paging
    )
    events = []
    for row in rows:
        stored = json.loads(row["details"])
        details = stored["details"]
        if details is not None and not include_data:
            details = {k: v for k, v in details.items() if k not in _DATA_MEMBERS}
        events.append(Event(int(row["id"]), row["type"], row["ts"], int(row["previous_id"]), details))
    return events, token


def wire(event: Event, member: str | None) -> dict[str, Any]:
    """A HistoryEvent as GetExecutionHistory returns it (botocore member names)."""
    out: dict[str, Any] = {"timestamp": event.timestamp, "type": event.type, "id": event.id}
    out["previousEventId"] = event.previous_id
    if member is not None and event.details is not None:
        out[member] = event.details
    return out
