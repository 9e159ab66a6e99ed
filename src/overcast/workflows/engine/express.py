"""Express executions: run in memory, at least once and for at most five minutes, and kept for a while
so that StartSyncExecution and DescribeExecution can answer about them.

https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Coroutine
from typing import Any

from overcast.clock import Clock
from overcast.workflows.asl import ExecutionOutcome
from overcast.workflows.engine.journal import Journal
from overcast.workflows.engine.records import OUTCOME_EVENTS, Execution, next_status

log = logging.getLogger("overcast.workflows")

EXPRESS_MAX_SECONDS = 300.0
_KEPT = 10_000  # finished Express executions remembered; the oldest 1,000 go when there are more


class ExpressRuns:
    """The Express executions of this process, running or recently finished, by ARN."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._runs: dict[str, Execution] = {}

    def get(self, arn: str) -> Execution | None:
        return self._runs.get(arn)

    async def start(
        self, execution: Execution, outcome: Coroutine[Any, Any, ExecutionOutcome], journal: Journal, wait: bool
    ) -> Execution:
        """Run `outcome` (the interpreter over `journal`); with `wait`, the execution once it has finished."""
        self._runs[execution.arn] = execution
        task = asyncio.get_running_loop().create_task(self._run(execution, outcome, journal))
        if not wait:
            return execution
        await task
        return self._runs[execution.arn]

    async def wait(self, arn: str) -> None:
        while arn in self._runs and not self._runs[arn].finished:
            await asyncio.sleep(0.01)

    async def _run(
        self, execution: Execution, outcome: Coroutine[Any, Any, ExecutionOutcome], journal: Journal
    ) -> None:
        run = asyncio.ensure_future(outcome)
        limit = asyncio.ensure_future(self.clock.sleep(EXPRESS_MAX_SECONDS))
        await asyncio.wait({run, limit}, return_when=asyncio.FIRST_COMPLETED)
        if run.done():
            limit.cancel()
            result = run.result()
        else:
            run.cancel()
            result = ExecutionOutcome(
                "TIMED_OUT",
                error="States.Timeout",
                cause="The execution ran longer than the 5 minutes an Express execution may.",
            )
        self._runs[execution.arn] = dataclasses.replace(
            execution,
            status=next_status(execution.status, OUTCOME_EVENTS[result.status]),
            output=result.output_text,
            error=result.error,
            cause=result.cause,
            stop=self.clock.now(),
        )
        try:
            await journal.flush()  # the last events to the log destination
        except Exception:
            # Log delivery is best effort (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
            log.exception("execution %s: log delivery failed", execution.arn)
        if len(self._runs) > _KEPT:
            for arn in list(self._runs)[:1000]:
                del self._runs[arn]
