"""Executions: starting, running, stopping, redriving, describing and listing executions; resuming them after a crash.

Standard executions are durable: the record is written before StartExecution answers, every run
uses a Journal (see `journal`), and `resume()` at server start replays each RUNNING execution.
Express executions run in memory (at least once, at most 5 minutes) with the same interpreter.
https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from overcast.arn import parse_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.store import Conflict, Queries, Store
from overcast.workflows.asl import ExecutionContext, ExecutionOutcome, run_execution
from overcast.workflows.engine import history, logs, names, redrive, rows, targets
from overcast.workflows.engine.errors import (
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionNotRedrivable,
    InvalidExecutionInput,
    StateMachineTypeNotSupported,
    ValidationException,
)
from overcast.workflows.engine.express import ExpressRuns
from overcast.workflows.engine.integrations import Integrations
from overcast.workflows.engine.journal import HistoryLimitExceeded, Journal
from overcast.workflows.engine.machines import LISTS, Machines
from overcast.workflows.engine.map_children import Children
from overcast.workflows.engine.map_runs import MapRuns
from overcast.workflows.engine.records import (
    EXPRESS,
    OUTCOME_EVENTS,
    STANDARD,
    Event,
    Execution,
    ExecutionEvent,
    ExecutionStatus,
    next_status,
)

log = logging.getLogger("overcast.workflows")

Parse = Callable[[str], Any]


def no_execution(arn: str) -> ExecutionDoesNotExist:
    return ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")


class Executions:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        machines: Machines,
        integrations: Integrations,
        parse: Parse,
        log_sink: logs.LogSink | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.machines = machines
        self.integrations = integrations
        self.parse = parse
        self._parsed: dict[str, Any] = {}
        self._runs: dict[str, tuple[asyncio.Task[None], Journal]] = {}
        self._finished: dict[str, asyncio.Event] = {}
        self._express = ExpressRuns(clock)
        self.log_sink = log_sink
        integrations.start_child = self._start_child
        integrations.await_child = self._await_child
        self.map_runs = MapRuns(store, clock)
        Children(store, clock, self.map_runs, integrations.run, self._outcome)

    # --- lifecycle of the service --------------------------------------------------------------------

    async def resume(self) -> int:
        """Replay every RUNNING Standard execution (after a restart or crash); how many resumed."""
        # A Map Run's children are not resumed here: their parent's replay runs them again (map_children.py).
        found = await self.store.fetch_all(
            "SELECT * FROM sfn_executions WHERE status = ? AND type = ? AND map_run_arn IS NULL", "RUNNING", STANDARD
        )
        for row in found:
            self._spawn(rows.execution(row))
        return len(found)

    async def close(self) -> None:
        """Stop running (without changing any record: a restart resumes them)."""
        self.map_runs.closing = True
        runs = [task for task, _ in self._runs.values()]
        for task in runs:
            task.cancel()
        for task in runs:
            with contextlib.suppress(BaseException):
                await task

    # --- starting -----------------------------------------------------------------------------------------

    async def start(
        self,
        ctx: RequestContext,
        machine_arn: str,
        name: str | None,
        input_text: str | None,
        trace_header: str | None = None,
        sync: bool = False,
    ) -> Execution:
        target = await targets.resolve(self.machines, ctx, machine_arn)
        base, config = target.machine_arn, target.config
        if sync and config.type != EXPRESS:
            raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
        input_text = "{}" if input_text is None else input_text
        try:
            json.loads(input_text)
        except ValueError:
            raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{input_text}'") from None
        if name is not None:
            names.check_name(name)
        name = name or str(uuid.uuid4())
        now = self.clock.now()
        express = config.type == EXPRESS
        arn = names.execution_arn(base, name, express) + (f":{uuid.uuid4()}" if express else "")
        execution = Execution(
            arn, base, name, config.type, ExecutionStatus.RUNNING, input_text, now, config, target.version_arn,
            target.alias_arn, trace_header=trace_header, revision_id=target.revision_id, revised=target.updated,
        )  # fmt: skip
        if express:
            return await self._start_express(execution, wait=sync)
        try:
            await rows.insert(self.store, execution)
        except Conflict:
            existing = await self.describe(ctx, arn)
            # Same name and input while running: the same execution; otherwise ExecutionAlreadyExists
            # (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
            if existing.status == ExecutionStatus.RUNNING and existing.input == input_text:
                return existing
            raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'") from None
        self._spawn(execution, fresh=True)
        return execution

    def _log(self, execution: Execution) -> logs.EventLog | None:
        return logs.destination(
            self.log_sink, execution.config.logging, execution.arn, names.machine_name(execution.machine_arn),
            execution.redrive_count, execution.start,
        )  # fmt: skip

    def _spawn(self, execution: Execution, fresh: bool = False) -> None:
        """Run (or resume) an execution; a `fresh` one has nothing persisted to load yet."""
        journal = Journal(
            self.store, self.clock, execution.arn, self.integrations.run, log=self._log(execution),
            role_arn=execution.config.role_arn,
        )  # fmt: skip
        journal.loaded = fresh
        self._finished.setdefault(execution.arn, asyncio.Event())
        task = asyncio.get_running_loop().create_task(self._run(execution, journal), name=f"sfn:{execution.arn}")
        self._runs[execution.arn] = (task, journal)

    def _machine(self, definition: str) -> Any:
        parsed = self._parsed.get(definition)
        if parsed is None:
            if len(self._parsed) > 512:
                self._parsed.clear()
            parsed = self._parsed[definition] = self.parse(definition)
        return parsed

    def _context(self, execution: Execution) -> ExecutionContext:
        parts = parse_arn(execution.machine_arn)
        assert parts is not None  # made by names.machine_arn
        return ExecutionContext(
            execution_arn=execution.arn,
            execution_name=execution.name,
            state_machine_arn=execution.machine_arn,
            state_machine_name=parts.fields()[1],
            role_arn=execution.config.role_arn,
            start_time=execution.start,
            redrive_count=execution.redrive_count,
            redrive_time=execution.redrive_date,
            state_machine_version_arn=execution.version_arn,
            state_machine_alias_arn=execution.alias_arn,
            partition=parts.partition,
            region=parts.region,
            account_id=parts.account,
        )

    async def _outcome(self, execution: Execution, journal: Journal, machine: Any = None) -> ExecutionOutcome:
        """Run the execution's interpreter (`machine`: a Map Run child's processor) over its journal."""
        try:
            await journal.load()
            return await run_execution(
                machine or self._machine(execution.config.definition),
                json.loads(execution.input),
                self._context(execution),
                journal,
                # A durable execution's Distributed Maps are Map Runs with child executions; an Express one's
                # run inline (nothing of it is recorded).
                self.map_runs.for_execution(execution, journal) if journal.durable else None,
            )
        except HistoryLimitExceeded:
            cause = f"The execution reached the maximum number of history events ({journal.max_events})."
            outcome = ExecutionOutcome("FAILED", error="States.Runtime", cause=cause)
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            log.exception("execution %s failed inside Overcast", execution.arn)
            outcome = ExecutionOutcome("FAILED", error="States.Runtime", cause=f"Internal error: {exc}")
        last = journal.last_event_id
        journal.max_events += 1  # room for the closing event
        journal.append_event(
            "execution/failed", "ExecutionFailed", last, {"error": outcome.error, "cause": outcome.cause}
        )
        return outcome

    async def _run(self, execution: Execution, journal: Journal) -> None:
        try:
            outcome = await self._outcome(execution, journal)
            event = OUTCOME_EVENTS[outcome.status]
            await self._finish(execution, journal, event, outcome.output_text, outcome.error, outcome.cause)
        finally:
            self._runs.pop(execution.arn, None)

    async def _finish(
        self,
        execution: Execution,
        journal: Journal,
        event: ExecutionEvent,
        output: str | None,
        error: str | None,
        cause: str | None,
    ) -> None:
        status = next_status(execution.status, event)
        stop = self.clock.now()

        async def record(q: Queries) -> None:
            await q.execute(
                "UPDATE sfn_executions SET status = ?, output = ?, error = ?, cause = ?, stop_date = ?"
                " WHERE arn = ? AND status = ?",
                status.value,
                output,
                error,
                cause,
                stop,
                execution.arn,
                execution.status.value,
            )
            await q.execute("UPDATE sfn_tasks SET status = 'DONE' WHERE execution_arn = ?", execution.arn)

        await journal.flush(record)
        done = self._finished.pop(execution.arn, None)
        if done is not None:
            done.set()

    # --- Express ----------------------------------------------------------------------------------------

    async def _start_express(self, execution: Execution, wait: bool) -> Execution:
        journal = Journal(
            None, self.clock, execution.arn, self.integrations.run, durable=False, log=self._log(execution),
            role_arn=execution.config.role_arn,
        )  # fmt: skip
        return await self._express.start(execution, self._outcome(execution, journal), journal, wait)

    # --- reading and stopping ---------------------------------------------------------------------------

    async def describe(self, ctx: RequestContext, arn: str) -> Execution:
        names.check_execution_arn(arn)
        if not names.owns(ctx, arn):
            raise no_execution(arn)
        return await self._read(arn)

    async def _read(self, arn: str) -> Execution:
        express = self._express.get(arn)
        if express is not None:
            return express
        row = await self.store.fetch_one("SELECT * FROM sfn_executions WHERE arn = ?", arn)
        if row is None:
            raise no_execution(arn)
        return rows.execution(row)

    async def listing(
        self, ctx: RequestContext, machine_arn: str, status: str | None, max_results: int | None, token: str | None
    ) -> tuple[list[Execution], str | None]:
        ref = names.parse_machine_ref(machine_arn)
        machine = await self.machines.get(ctx, ref.machine_arn)
        if ref.version is not None or ref.alias is not None:  # an absent version or alias: ResourceNotFound
            await (self.machines.version if ref.version is not None else self.machines.alias)(ctx, machine_arn)
        if machine.config.type == EXPRESS:
            raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
        column = "version_arn" if ref.version is not None else "alias_arn" if ref.alias is not None else "machine_arn"
        return await rows.listed(self.store, ctx, column, machine_arn, status, max_results, token)

    async def history(
        self,
        ctx: RequestContext,
        arn: str,
        max_results: int | None,
        token: str | None,
        reverse: bool,
        include_data: bool,
    ) -> tuple[list[Event], str | None]:
        execution = await self.describe(ctx, arn)
        if execution.type == EXPRESS:
            raise ValidationException("This operation is not supported by EXPRESS state machines.")
        page = LISTS.start(ctx, history.by_id(reverse).kinds, max_results, token, arn, reverse)
        return await history.page(self.store, arn, page, reverse, include_data)

    async def stop(self, ctx: RequestContext, arn: str, error: str | None, cause: str | None) -> float:
        execution = await self.describe(ctx, arn)
        if execution.type == EXPRESS:
            raise ValidationException("This operation is not supported by EXPRESS state machines.")
        if execution.finished:
            return execution.stop or self.clock.now()
        if execution.map_run_arn is not None and await self.map_runs.children.stop(arn, error, cause):
            return (await self._read(arn)).stop or self.clock.now()
        run = self._runs.pop(arn, None)
        journal = run[1] if run else Journal(self.store, self.clock, arn, self.integrations.run)
        if run is not None:
            run[0].cancel()
            with contextlib.suppress(BaseException):
                await run[0]
        else:
            await journal.load()
        last = journal.last_event_id
        details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        journal.max_events += 1
        journal.append_event("execution/aborted", "ExecutionAborted", last, details)
        await self._finish(execution, journal, ExecutionEvent.ABORT, None, error, cause)
        return (await self._read(arn)).stop or self.clock.now()

    # --- redrive -------------------------------------------------------------------------------------------

    def redrive_status(self, execution: Execution) -> tuple[str, str | None]:
        """DescribeExecution's (redriveStatus, redriveStatusReason)."""
        reason = redrive.not_redrivable(execution, self.clock.now())
        return ("NOT_REDRIVABLE", reason) if reason else ("REDRIVABLE", None)

    async def redrive(self, ctx: RequestContext, arn: str) -> Execution:
        """RedriveExecution: run a FAILED / TIMED_OUT / ABORTED Standard execution again from its
        unsuccessful states; its history goes on after an ExecutionRedriven event."""
        execution = await self.describe(ctx, arn)
        if execution.type == EXPRESS:
            raise ValidationException("This operation is not supported by EXPRESS state machines.")
        reason = redrive.not_redrivable(execution, self.clock.now())
        if reason is not None:
            raise ExecutionNotRedrivable(f"Execution cannot be redriven: {reason}")
        again = await redrive.apply(self.store, execution, self.clock.now())
        if again is None:
            raise ExecutionNotRedrivable("Execution cannot be redriven: it changed meanwhile")
        self._spawn(again)
        return again

    async def wait(self, arn: str) -> Execution:
        """The execution once it has finished."""
        done = self._finished.get(arn)
        if done is not None:
            await done.wait()
        await self._express.wait(arn)
        return await self._read(arn)

    # --- nested executions (states:startExecution) ----------------------------------------------------------

    async def _start_child(
        self, parent_arn: str, machine_arn: str, name: str | None, input_text: str
    ) -> tuple[str, float]:
        child = await self.start(names.context_of(parent_arn), machine_arn, name, input_text)
        return child.arn, child.start

    async def _await_child(self, arn: str) -> dict[str, Any]:
        child = await self.wait(arn)
        out: dict[str, Any] = {
            "ExecutionArn": child.arn,
            "StateMachineArn": child.machine_arn,
            "Name": child.name,
            "Status": child.status.value,
            "StartDate": child.start,
            "StopDate": child.stop,
            "Input": child.input,
            "InputDetails": {"Included": True},
        }
        if child.output is not None:
            out["Output"], out["OutputDetails"] = child.output, {"Included": True}
        if child.error is not None:
            out["Error"] = child.error
        if child.cause is not None:
            out["Cause"] = child.cause
        return out
