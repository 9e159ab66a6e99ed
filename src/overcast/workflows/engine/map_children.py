"""A Map Run's STANDARD child executions: each iteration recorded and run as an execution of the Map's
processor, `...:execution:<stateMachineName>/<label>:<uuid>`, with its own history and journal.

A child is driven by its parent's run, never resumed on its own: after a crash the parent's replay reaches
the Map state again and asks for each iteration again. The child's name is a UUID derived from the Map
Run's ARN and the iteration's index, so the replay finds the same child: a finished one answers from its
row (its output or failure, never run again), an unfinished one replays over its own journal (its
completed effects are not run again, its recorded events keep their ids). The child's row is written with
its first journal transaction, its ending with its last, together with the Map Run's count of it.
https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from overcast.clock import Clock
from overcast.store import Queries, Store
from overcast.workflows.asl import ExecutionOutcome
from overcast.workflows.asl import errors as asl_errors
from overcast.workflows.asl.execution import to_json
from overcast.workflows.asl.model import StateMachine
from overcast.workflows.engine import names, redrive, rows
from overcast.workflows.engine.commits import GroupCommit
from overcast.workflows.engine.journal import Journal, TaskRunner
from overcast.workflows.engine.map_runs import LiveMapRun, MapRuns, count_ending, output_of
from overcast.workflows.engine.records import STANDARD, Execution, ExecutionStatus

# Runs an execution's interpreter over its journal (Executions._outcome), with the machine given.
Outcome = Callable[[Execution, Journal, StateMachine], Awaitable[ExecutionOutcome]]


def child_name(map_run_arn: str, index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{map_run_arn}#{index}"))


class Children:
    def __init__(self, store: Store, clock: Clock, runs: MapRuns, run_task: TaskRunner, outcome: Outcome) -> None:
        self.store = store
        self.commits = GroupCommit(store)  # the children's journals commit together (commits.py)
        self.clock = clock
        self.runs = runs
        self.run_task = run_task
        self.outcome = outcome
        runs.children = self
        self._running: dict[str, asyncio.Task[Any]] = {}  # child ARN -> the iteration running it
        self._stopping: dict[str, tuple[str | None, str | None, asyncio.Event]] = {}  # StopExecution's

    async def stop(self, arn: str, error: str | None, cause: str | None) -> bool:
        """StopExecution of a running child: it ends ABORTED and its iteration fails with `error` and `cause`
        (its Map Run counts it aborted). False when no child of that ARN runs here."""
        task = self._running.get(arn)
        if task is None:
            return False
        done = asyncio.Event()
        self._stopping[arn] = (error, cause, done)
        task.cancel()
        await done.wait()
        return True

    async def redrive(self, map_run_arn: str) -> None:
        """Redrive the run's unsuccessful children: each goes on from its unsuccessful states when its
        iteration asks for it again (the Map Run is being redriven with its parent)."""
        found = await self.store.fetch_all(
            "SELECT * FROM sfn_executions WHERE map_run_arn = ? AND status IN (?, ?, ?)",
            map_run_arn, "FAILED", "TIMED_OUT", "ABORTED",
        )  # fmt: skip
        for row in found:
            await redrive.apply(self.store, rows.execution(row), self.clock.now())

    async def run(self, live: LiveMapRun, index: int, input: Any) -> Any:
        """Iteration `index` of `live` as a child execution: its output, or StateFailure with its error."""
        arn = names.execution_arn(live.machine_arn, child_name(live.record.arn, index))
        found = None if live.fresh else await self.store.fetch_one("SELECT * FROM sfn_executions WHERE arn = ?", arn)
        child = None if found is None else rows.execution(found)
        if child is not None and child.finished:
            return output_of(child)
        if child is None:
            child = Execution(
                arn, live.machine_arn, arn.rpartition(":")[2], STANDARD, ExecutionStatus.RUNNING, to_json(input),
                self.clock.now(), dataclasses.replace(live.parent.config, definition=live.definition),
                revision_id=live.parent.revision_id, revised=live.parent.revised, map_run_arn=live.record.arn,
                item_count=live.request.item_counts[index],
            )  # fmt: skip
        journal = Journal(self.commits, self.clock, arn, self.run_task, role_arn=child.config.role_arn)
        journal.loaded = found is None
        if found is None:
            new = child

            async def opening(q: Queries) -> None:
                await rows.insert(q, new, if_absent=True)

            journal.opening = opening
        live.started(index)
        task = asyncio.current_task()
        assert task is not None
        self._running[arn] = task
        try:
            outcome = await self.outcome(child, journal, live.request.processor)
        except asyncio.CancelledError:
            stopping = self._stopping.pop(arn, None)
            # Stopped by StopExecution, or by its Map Run (it failed, or its execution was stopped); not when
            # the engine shuts down (a restart resumes it).
            if stopping is None and self.runs.closing:
                raise
            error, cause, done = stopping or (None, None, None)
            details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
            journal.max_events += 1
            journal.append_event("execution/aborted", "ExecutionAborted", journal.last_event_id, details)
            await self._end(live, index, child, journal, ExecutionOutcome("FAILED", None, error, cause), "ABORTED")
            if done is None:
                raise
            task.uncancel()
            done.set()
            raise asl_errors.StateFailure(error, cause) from None
        finally:
            self._running.pop(arn, None)
        status = outcome.status
        await self._end(live, index, child, journal, outcome, status)
        if status == "SUCCEEDED":
            return outcome.output
        raise asl_errors.StateFailure(outcome.error, outcome.cause)

    async def _end(self, live: LiveMapRun, index: int, child: Execution, journal: Journal,
                   outcome: ExecutionOutcome, status: str) -> None:  # fmt: skip
        """The child's final status and the run's count of it, in its last journal transaction."""
        items = live.request.item_counts[index]

        async def record(q: Queries) -> None:
            # Counted first, while the child's row still says RUNNING: once however often this commits.
            await count_ending(q, live.record.arn, status, items, child.arn)
            await q.execute(
                "UPDATE sfn_executions SET status = ?, output = ?, error = ?, cause = ?, stop_date = ?"
                " WHERE arn = ? AND status = ?",
                status, outcome.output_text, outcome.error, outcome.cause, self.clock.now(), child.arn, "RUNNING",
            )  # fmt: skip

        await journal.flush(record)
        live.ended_as(index, status)
