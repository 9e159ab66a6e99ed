"""Tasks: task tokens of the callback pattern and activity tasks, with SendTask* and GetActivityTask.

A waiting task is a row in `sfn_tasks` (durable: a replay after a crash finds it and waits again,
without re-sending the work). SendTaskSuccess / SendTaskFailure store the result on the row and
wake the waiting run; an activity task is SCHEDULED until GetActivityTask (a long poll of at most
60 s, timed by the Clock) hands it to a worker.
https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetActivityTask.html
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.store import Store
from overcast.workflows.engine.errors import InvalidToken, TaskDoesNotExist, TaskTimedOut
from overcast.workflows.engine.names import context_of

POLL_SECONDS = 60.0
_TOKEN = re.compile(r"^[0-9a-f]{64}$")
WAITING, SCHEDULED, STARTED, DONE = "WAITING", "SCHEDULED", "STARTED", "DONE"


@dataclass(frozen=True, slots=True)
class Outcome:
    output: Any = None
    error: str | None = None
    cause: str | None = None


class Tasks:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._done: dict[str, asyncio.Future[Outcome]] = {}
        self._started: dict[str, asyncio.Future[str]] = {}
        self._heartbeats: dict[str, asyncio.Event] = {}
        self._activity_waiters: dict[str, asyncio.Event] = {}

    async def open(
        self, token: str, execution_arn: str, key: str, activity_arn: str | None = None, input_text: str | None = None
    ) -> tuple[bool, Outcome | None]:
        """Record a waiting task (idempotent on replay): (newly created?, outcome if already done)."""
        row = await self.store.fetch_one("SELECT status, result FROM sfn_tasks WHERE token = ?", token)
        if row is not None:
            if row["result"] is not None:
                return False, Outcome(**json.loads(row["result"]))
            return False, None
        await self.store.execute(
            "INSERT INTO sfn_tasks (token, execution_arn, effect_key, activity_arn, input, status, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (token) DO NOTHING",
            token,
            execution_arn,
            key,
            activity_arn,
            input_text,
            SCHEDULED if activity_arn else WAITING,
            self.clock.now(),
        )
        if activity_arn is not None:
            self._activity_waiters.setdefault(activity_arn, asyncio.Event()).set()
        return True, None

    def done_future(self, token: str) -> asyncio.Future[Outcome]:
        return self._done.setdefault(token, asyncio.get_running_loop().create_future())

    def started_future(self, token: str) -> asyncio.Future[str]:
        return self._started.setdefault(token, asyncio.get_running_loop().create_future())

    def heartbeat_event(self, token: str) -> asyncio.Event:
        return self._heartbeats.setdefault(token, asyncio.Event())

    async def close(self, token: str, outcome: Outcome | None = None) -> None:
        """The run stopped waiting (finished, timed out, aborted): later SendTask* calls time out."""
        await self.store.execute(
            "UPDATE sfn_tasks SET status = ?, result = COALESCE(result, ?) WHERE token = ?",
            DONE,
            None if outcome is None else _outcome_json(outcome),
            token,
        )
        self._done.pop(token, None)
        self._started.pop(token, None)
        self._heartbeats.pop(token, None)

    async def _live(self, ctx: RequestContext, token: str) -> None:
        if not _TOKEN.match(token or ""):
            raise InvalidToken("Invalid token")
        row = await self.store.fetch_one("SELECT status, execution_arn FROM sfn_tasks WHERE token = ?", token)
        # A token names a task of one execution, in its account and region: from any other, it names none
        # (Step Functions shares nothing across accounts without a role to assume:
        # https://docs.aws.amazon.com/step-functions/latest/dg/security_iam_service-with-iam.html).
        if row is None or not _caller_owns(ctx, row["execution_arn"]):
            raise TaskDoesNotExist("Task does not exist anymore")
        if row["status"] == DONE:
            raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")

    async def complete(self, ctx: RequestContext, token: str, outcome: Outcome) -> None:
        """SendTaskSuccess / SendTaskFailure."""
        await self._live(ctx, token)
        result = _outcome_json(outcome)
        changed = await self.store.execute(
            "UPDATE sfn_tasks SET status = ?, result = ? WHERE token = ? AND status <> ?", DONE, result, token, DONE
        )
        if not changed:
            raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
        future = self._done.get(token)
        if future is not None and not future.done():
            future.set_result(outcome)

    async def heartbeat(self, ctx: RequestContext, token: str) -> None:
        await self._live(ctx, token)
        await self.store.execute("UPDATE sfn_tasks SET beat = ? WHERE token = ?", self.clock.now(), token)
        self.heartbeat_event(token).set()

    async def last_beat(self, token: str) -> float | None:
        """When the task's last heartbeat arrived (None: none yet, or no such task)."""
        row = await self.store.fetch_one("SELECT beat FROM sfn_tasks WHERE token = ?", token)
        return None if row is None or row["beat"] is None else float(row["beat"])

    async def next_activity_task(self, activity_arn: str, worker: str | None) -> tuple[str, str] | None:
        """GetActivityTask: the oldest scheduled task of the activity, waiting up to 60 s for one."""
        deadline = self.clock.monotonic() + POLL_SECONDS
        while True:
            # Cleared before looking, so a task scheduled while the claim queries the store still wakes us.
            event = self._activity_waiters.setdefault(activity_arn, asyncio.Event())
            event.clear()
            claimed = await self._claim(activity_arn, worker)
            if claimed is not None:
                return claimed
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                return None
            sleeper = asyncio.ensure_future(self.clock.sleep(remaining))
            waiter = asyncio.ensure_future(event.wait())
            try:
                await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waiter.cancel()

    async def _claim(self, activity_arn: str, worker: str | None) -> tuple[str, str] | None:
        rows = await self.store.fetch_all(
            "SELECT token, input FROM sfn_tasks WHERE activity_arn = ? AND status = ? ORDER BY created LIMIT 10",
            activity_arn,
            SCHEDULED,
        )
        for row in rows:
            changed = await self.store.execute(
                "UPDATE sfn_tasks SET status = ?, worker = ? WHERE token = ? AND status = ?",
                STARTED,
                worker or "",
                row["token"],
                SCHEDULED,
            )
            if changed:
                future = self._started.get(row["token"])
                if future is not None and not future.done():
                    future.set_result(worker or "")
                return row["token"], row["input"] or "{}"
        return None

    async def started_worker(self, token: str) -> str | None:
        row = await self.store.fetch_one("SELECT status, worker FROM sfn_tasks WHERE token = ?", token)
        if row is not None and row["status"] in (STARTED, DONE) and row["worker"] is not None:
            return str(row["worker"])
        return None


def _outcome_json(outcome: Outcome) -> str:
    return json.dumps({"output": outcome.output, "error": outcome.error, "cause": outcome.cause})


def _caller_owns(ctx: RequestContext, execution_arn: str) -> bool:
    owner = context_of(execution_arn)
    return (owner.account_id, owner.region) == (ctx.account_id, ctx.region)
