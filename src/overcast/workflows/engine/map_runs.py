"""Map Runs: the record of each Distributed Map state's run (DescribeMapRun, ListMapRuns, UpdateMapRun,
ListExecutions by mapRunArn) and the live run an execution drives, with its settings and counts.

A Map Run's row is written in the transaction that persists its parent's MapRunStarted event (and the
run's id drawn in the parent's journal), so a replay after a crash finds it and reads it back. A STANDARD
child's ending is counted in the transaction that writes the child's final status, exactly once; EXPRESS
children are inline iterations of the parent's journal, counted in memory and written when the run ends
(a replay runs them again from the journal and counts them again from zero).
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html
https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.kit.pages import fetch_page
from overcast.store import Queries, Row, Store
from overcast.workflows.asl import errors as asl_errors
from overcast.workflows.asl.distributed import MapRunRequest
from overcast.workflows.asl.map_labels import labelled_processor
from overcast.workflows.engine import names, rows
from overcast.workflows.engine.errors import ResourceNotFound
from overcast.workflows.engine.journal import Journal
from overcast.workflows.engine.machines import LISTS
from overcast.workflows.engine.records import STANDARD, Execution

if TYPE_CHECKING:
    from overcast.workflows.engine.map_children import Children

ENDINGS = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
_COLUMN = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timed_out", "ABORTED": "aborted"}


@dataclass(frozen=True, slots=True)
class Counts:
    """MapRunExecutionCounts / MapRunItemCounts (resultsWritten, failuresNotRedrivable and pendingRedrive
    stay 0: no ResultWriter, no Map Run redrive here)."""

    total: int
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    timed_out: int = 0
    aborted: int = 0

    @property
    def pending(self) -> int:
        return self.total - self.running - self.succeeded - self.failed - self.timed_out - self.aborted


@dataclass(frozen=True, slots=True)
class MapRunRecord:
    arn: str
    execution_arn: str
    machine_arn: str  # the state machine whose execution started the run
    execution_type: str
    status: str
    start: float
    stop: float | None
    max_concurrency: int
    tolerated_percentage: float | None
    tolerated_count: int | None
    executions: Counts
    items: Counts
    redrive_count: int = 0
    redrive_date: float | None = None


def _record(row: Row) -> MapRunRecord:
    def counts(prefix: str, total: int) -> Counts:
        return Counts(total, 0, *(int(row[f"{prefix}_{_COLUMN[s]}"]) for s in ENDINGS))

    return MapRunRecord(
        row["arn"], row["execution_arn"], row["machine_arn"], row["execution_type"], row["status"],
        row["start_date"], row["stop_date"], int(row["max_concurrency"]), row["tolerated_percentage"],
        None if row["tolerated_count"] is None else int(row["tolerated_count"]),
        counts("e", int(row["executions_total"])), counts("i", int(row["items_total"])), int(row["redrive_count"]),
        row["redrive_date"],
    )  # fmt: skip


async def count_ending(q: Queries, map_run_arn: str, status: str, items: int, child_arn: str) -> None:
    """The child `child_arn` of the run ended in `status`: counted if its row still says RUNNING (in the
    transaction that then records its ending, so it is counted once)."""
    column = _COLUMN[status]
    await q.execute(
        f"UPDATE sfn_map_runs SET e_{column} = e_{column} + 1, i_{column} = i_{column} + ? WHERE arn = ?"
        " AND EXISTS (SELECT 1 FROM sfn_executions WHERE arn = ? AND status = ?)",
        items, map_run_arn, child_arn, "RUNNING",
    )  # fmt: skip


class LiveMapRun:
    """A Map Run its execution is running in this process: the asl MapRun the interpreter drives."""

    def __init__(self, runs: MapRuns, request: MapRunRequest, parent: Execution, journal: Journal,
                 record: MapRunRecord, fresh: bool) -> None:  # fmt: skip
        self.runs = runs
        self.request = request
        self.parent = parent
        self.journal = journal  # the parent's
        self.redrive_count = record.redrive_count
        self.fresh = fresh  # nothing of its children can be persisted yet
        self.record = record
        self.max_concurrency = record.max_concurrency
        self.tolerated_count: float | None = record.tolerated_count
        self.tolerated_percentage = record.tolerated_percentage
        self.ended = {s: [getattr(record.executions, _COLUMN[s]), getattr(record.items, _COLUMN[s])] for s in ENDINGS}
        self.running = [0, 0]  # executions, items
        self.label = request.label
        self.machine_arn = f"{parent.machine_arn}/{request.label}"  # the processor's labelled ARN
        self.definition = labelled_processor(parent.config.definition, request.label) or "{}"
        self._changed: asyncio.Future[None] | None = None

    async def begin(self) -> None:
        await self.journal.flush()

    def changed(self) -> asyncio.Future[None]:
        if self._changed is None or self._changed.done():
            self._changed = asyncio.get_running_loop().create_future()
        return self._changed

    def settle(self, max_concurrency: int | None, count: int | None, percentage: float | None) -> None:
        """UpdateMapRun's new settings, for the iterations started from now on."""
        if max_concurrency is not None:
            self.max_concurrency = max_concurrency
        if count is not None:
            self.tolerated_count = count
        if percentage is not None:
            self.tolerated_percentage = percentage
        if self._changed is not None and not self._changed.done():
            self._changed.set_result(None)

    def started(self, index: int) -> None:
        self.running[0] += 1
        self.running[1] += self.request.item_counts[index]

    def ended_as(self, index: int, status: str) -> None:
        self.running[0] -= 1
        self.running[1] -= self.request.item_counts[index]
        self.ended[status][0] += 1
        self.ended[status][1] += self.request.item_counts[index]

    async def iterate(self, index: int, input: Any, inline: Callable[[], Awaitable[Any]]) -> Any:
        if self.request.execution_type == STANDARD:
            return await self.runs.children.run(self, index, input)
        # EXPRESS children are not recorded as executions; the run counts them
        # (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html).
        self.started(index)
        status = "ABORTED"
        try:
            output = await inline()
            status = "SUCCEEDED"
            return output
        except asl_errors.StateFailure:
            status = "FAILED"
            raise
        finally:
            if status != "ABORTED" or not self.runs.closing:
                self.ended_as(index, status)

    async def close(self, status: str) -> None:
        await self.runs.close(self, status)

    def snapshot(self) -> MapRunRecord:
        def counts(at: int, total: int) -> Counts:
            return Counts(total, self.running[at], *(self.ended[s][at] for s in ENDINGS))

        r = self.record
        return MapRunRecord(
            r.arn, r.execution_arn, r.machine_arn, r.execution_type, r.status, r.start, r.stop, self.max_concurrency,
            self.tolerated_percentage, None if self.tolerated_count is None else int(self.tolerated_count),
            counts(0, r.executions.total), counts(1, r.items.total), r.redrive_count, r.redrive_date,
        )  # fmt: skip


class ExecutionMapRuns:
    """The asl MapRuns of one execution's run: opens its Map Runs over its journal."""

    def __init__(self, runs: MapRuns, execution: Execution, journal: Journal) -> None:
        self.runs, self.execution, self.journal = runs, execution, journal

    async def open(self, request: MapRunRequest) -> LiveMapRun:
        return await self.runs.open(self.execution, self.journal, request)


class MapRuns:
    """Every Map Run: records in the store, the running ones live in this process."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.children: Children  # set by Executions, which runs the child executions
        self.closing = False  # the engine is shutting down: nothing it cancels is aborted, a restart resumes it
        self._live: dict[str, LiveMapRun] = {}

    def for_execution(self, execution: Execution, journal: Journal) -> ExecutionMapRuns:
        return ExecutionMapRuns(self, execution, journal)

    async def open(self, parent: Execution, journal: Journal, request: MapRunRequest) -> LiveMapRun:
        row = await self.store.fetch_one("SELECT * FROM sfn_map_runs WHERE arn = ?", request.arn)
        fresh = row is None
        if row is None:
            now = self.clock.now()
            count = None if request.tolerated_count is None else int(request.tolerated_count)

            async def insert(q: Queries) -> None:
                await q.execute(
                    "INSERT INTO sfn_map_runs (arn, execution_arn, machine_arn, execution_type, status, start_date,"
                    " max_concurrency, tolerated_percentage, tolerated_count, executions_total, items_total,"
                    " parent_redrives, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (arn) DO NOTHING",
                    request.arn, parent.arn, parent.machine_arn, request.execution_type, "RUNNING", now,
                    request.max_concurrency, request.tolerated_percentage, count, len(request.item_counts),
                    sum(request.item_counts), parent.redrive_count, int(now * 1_000_000),
                )  # fmt: skip

            # With the run id the parent drew: one transaction.
            await journal.flush(insert)
        elif row["status"] != "RUNNING" and parent.redrive_count > int(row["parent_redrives"]):
            await self._redrive(request.arn, parent.redrive_count)
        row = await self.store.fetch_one("SELECT * FROM sfn_map_runs WHERE arn = ?", request.arn)
        assert row is not None
        live = LiveMapRun(self, request, parent, journal, _record(row), fresh)
        self._live[request.arn] = live
        return live

    async def _redrive(self, arn: str, parent_redrives: int) -> None:
        """The parent was redriven with this run unfinished: "A redriven parent workflow redrives all the
        unsuccessful states, including Distributed Map" (redrive-map-run.html). Its unsuccessful STANDARD
        children are redriven first, then the run itself is marked, so a crash in between redrives the rest."""
        await self.children.redrive(arn)
        unsuccessful = ", ".join(f"{p}_{_COLUMN[s]} = 0" for p in "ei" for s in ENDINGS if s != "SUCCEEDED")
        await self.store.execute(
            "UPDATE sfn_map_runs SET status = ?, stop_date = NULL, redrive_count = redrive_count + 1, redrive_date = ?,"
            f" parent_redrives = ?, {unsuccessful} WHERE arn = ? AND parent_redrives < ?",
            "RUNNING", self.clock.now(), parent_redrives, arn, parent_redrives,
        )  # fmt: skip

    async def close(self, live: LiveMapRun, status: str) -> None:
        if status == "ABORTED" and self.closing:
            self._live.pop(live.record.arn, None)
            return
        sets = "status = ?, stop_date = ?"
        args: list[Any] = [status, self.clock.now()]
        if live.request.execution_type != STANDARD:  # EXPRESS counts live only in memory until now
            for s in ENDINGS:
                sets += f", e_{_COLUMN[s]} = ?, i_{_COLUMN[s]} = ?"
                args += live.ended[s]
        await self.store.execute(
            f"UPDATE sfn_map_runs SET {sets} WHERE arn = ? AND status = ?", *args, live.record.arn, "RUNNING"
        )
        self._live.pop(live.record.arn, None)

    # --- the API -------------------------------------------------------------------------------------------

    async def describe(self, ctx: RequestContext, arn: str) -> MapRunRecord:
        if not names.owns(ctx, arn, "mapRun"):
            raise _no_map_run(arn)
        live = self._live.get(arn)
        if live is not None:
            return live.snapshot()
        row = await self.store.fetch_one("SELECT * FROM sfn_map_runs WHERE arn = ?", arn)
        if row is None:
            raise _no_map_run(arn)
        return _record(row)

    async def listing(
        self, ctx: RequestContext, execution_arn: str, max_results: int | None, token: str | None
    ) -> tuple[list[MapRunRecord], str | None]:
        """ListMapRuns of an execution the caller has described already."""
        page = LISTS.start(ctx, rows.BY_START.kinds, max_results, token, execution_arn)
        found, next_token = await fetch_page(
            self.store, "SELECT * FROM sfn_map_runs WHERE execution_arn = ?", [execution_arn], rows.BY_START, page
        )
        return [self._live[r["arn"]].snapshot() if r["arn"] in self._live else _record(r) for r in found], next_token

    async def children_of(
        self, ctx: RequestContext, arn: str, status: str | None, max_results: int | None, token: str | None
    ) -> tuple[list[Execution], str | None]:
        """ListExecutions by mapRunArn: the run's STANDARD child executions (EXPRESS ones are not recorded)."""
        await self.describe(ctx, arn)
        return await rows.listed(self.store, ctx, "map_run_arn", arn, status, max_results, token)

    async def update(
        self, ctx: RequestContext, arn: str, max_concurrency: int | None, count: int | None, percentage: float | None
    ) -> None:
        """UpdateMapRun: stored, and honoured from now on by the run if it runs in this process."""
        await self.describe(ctx, arn)
        sets = [(c, v) for c, v in (("max_concurrency", max_concurrency), ("tolerated_count", count),
                                    ("tolerated_percentage", percentage)) if v is not None]  # fmt: skip
        if sets:
            await self.store.execute(
                "UPDATE sfn_map_runs SET " + ", ".join(f"{c} = ?" for c, _ in sets) + " WHERE arn = ?",
                *[v for _, v in sets],
                arn,
            )
        live = self._live.get(arn)
        if live is not None:
            live.settle(max_concurrency, count, percentage)


def _no_map_run(arn: str) -> ResourceNotFound:
    return ResourceNotFound(f"Resource not found: '{arn}'")


def output_of(child: Execution) -> Any:
    """A finished child's result for its Map state: its output, or its failure."""
    if child.output is not None:
        return json.loads(child.output)
    raise asl_errors.StateFailure(child.error, child.cause)
