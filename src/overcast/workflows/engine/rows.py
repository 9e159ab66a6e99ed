"""Execution rows: an `sfn_executions` row read as an Execution record, a new execution's row written, and
ListExecutions' pages of them."""

from __future__ import annotations

from overcast.context import RequestContext
from overcast.kit.pages import Keyset, fetch_page
from overcast.store import Queries, Row
from overcast.workflows.engine.machines import LISTS, config_from, config_json
from overcast.workflows.engine.records import Execution, ExecutionStatus

BY_START = Keyset.of(("-seq", int), ("arn", str))  # newest first


def execution(row: Row) -> Execution:
    return Execution(
        arn=row["arn"],
        machine_arn=row["machine_arn"],
        name=row["name"],
        type=row["type"],
        status=ExecutionStatus(row["status"]),
        input=row["input"],
        start=row["start_date"],
        config=config_from(row["config"]),
        version_arn=row["version_arn"],
        alias_arn=row["alias_arn"],
        output=row["output"],
        error=row["error"],
        cause=row["cause"],
        stop=row["stop_date"],
        trace_header=row["trace_header"],
        redrive_count=int(row["redrive_count"]),
        redrive_date=row["redrive_date"],
        revision_id=row["revision_id"],
        revised=row["revised"],
        map_run_arn=row["map_run_arn"],
        item_count=None if row["item_count"] is None else int(row["item_count"]),
    )


async def insert(q: Queries, e: Execution, *, if_absent: bool = False) -> None:
    """Write a new execution's row (RUNNING); `if_absent`: leave one already there (a replayed child)."""
    conflict = " ON CONFLICT (arn) DO NOTHING" if if_absent else ""
    await q.execute(
        "INSERT INTO sfn_executions (arn, machine_arn, name, type, status, input, start_date, config,"
        " version_arn, alias_arn, trace_header, redrive_count, seq, revision_id, revised, map_run_arn, item_count)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" + conflict,
        e.arn, e.machine_arn, e.name, e.type, e.status.value, e.input, e.start, config_json(e.config), e.version_arn,
        e.alias_arn, e.trace_header, e.redrive_count, int(e.start * 1_000_000), e.revision_id, e.revised,
        e.map_run_arn, e.item_count,
    )  # fmt: skip


async def listed(
    q: Queries, ctx: RequestContext, column: str, value: str, status: str | None, size: int | None, token: str | None
) -> tuple[list[Execution], str | None]:
    """A ListExecutions page of the executions whose `column` is `value` (and whose status is `status`)."""
    sql, args = f"SELECT * FROM sfn_executions WHERE {column} = ?", [value]
    if status:
        sql += " AND status = ?"
        args.append(status)
    page = LISTS.start(ctx, BY_START.kinds, size, token, value, status)
    found, next_token = await fetch_page(q, sql, args, BY_START, page)
    return [execution(r) for r in found], next_token
