"""Message move tasks: messages of a dead-letter queue moved back to the queues they came from, or to another.

A task moves the messages its queue holds when it starts (ApproximateNumberOfMessagesToMove), at most
MaxNumberOfMessagesPerSecond a second on the injected clock when given, one task running per source queue.
Tasks live in the store (sqs_move_tasks), their count moved written after every batch of up to ten: a task
running when the server stops, or is killed, goes on at the next start from what it had moved by its last
batch (a message moved since is moved already: each move publishes the copy before it deletes the original,
and the messages a task had taken out of sight come back with the bus's redelivery). A source queue keeps its
ten newest tasks, as many as ListMessageMoveTasks shows.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from overcast.context import RequestContext
from overcast.events.queues.envelopes import SOURCE, ms
from overcast.events.queues.errors import InvalidParameterValue, ResourceNotFound, UnsupportedOperation
from overcast.events.queues.records import Queue
from overcast.events.queues.service import Queues
from overcast.store import Row
from overcast.store.errors import Conflict

if TYPE_CHECKING:
    from overcast.bus.messages import Message

log = logging.getLogger(__name__)

RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED = "RUNNING", "COMPLETED", "CANCELLING", "CANCELLED", "FAILED"
BATCH = 10
KEEP = 10  # tasks kept per source queue: ListMessageMoveTasks shows up to ten
_NONEXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


@dataclass(slots=True)
class MoveTask:
    handle: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    to_move: int
    started: int  # epoch ms
    moved: int = 0
    status: str = RUNNING
    failure: str | None = None


def _already_running() -> UnsupportedOperation:
    return UnsupportedOperation(
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
    )


def _task(row: Row) -> MoveTask:
    return MoveTask(
        handle=row["handle"],
        source_arn=row["source_arn"],
        destination_arn=row["destination_arn"],
        rate=None if row["rate"] is None else int(row["rate"]),
        to_move=int(row["to_move"]),
        started=int(row["started"]),
        moved=int(row["moved"]),
        status=row["status"],
        failure=row["failure"],
    )


class MoveTasks:
    def __init__(self, queues: Queues) -> None:
        self.queues = queues
        self.store = queues.definitions.store
        self._live: dict[str, MoveTask] = {}  # tasks running here, fresher than their rows
        self._running: dict[str, asyncio.Task[None]] = {}

    async def start(self, ctx: RequestContext, source_arn: str, destination_arn: str | None, rate: int | None) -> str:
        source = await self.queues.find(ctx, source_arn)
        if not await self.queues.definitions.sources_of(ctx, source):
            raise InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
        destination = await self.queues.find(ctx, destination_arn) if destination_arn else None
        if rate is not None and not 1 <= rate <= 500:
            raise InvalidParameterValue(
                f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. "
                "Reason: Must be between 1 and 500."
            )
        counts = await self.queues.counts(source)
        handle = base64.b64encode(json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source.arn}).encode()).decode()
        task = MoveTask(
            handle,
            source.arn,
            destination_arn,
            rate,
            int(counts["ApproximateNumberOfMessages"]),
            ms(self.queues.clock.now()),
        )
        try:
            await self._insert(task)
        except Conflict:  # another start for the queue won the race (one active task per source: an index says so)
            raise _already_running() from None
        self._launch(task, source, destination)
        return handle

    async def _insert(self, task: MoveTask) -> None:
        """Store the new task, and keep the source queue's KEEP newest."""
        async with self.store.transaction() as tx:
            running = await tx.fetch_one(
                "SELECT handle FROM sqs_move_tasks WHERE source_arn = ? AND status IN (?, ?)",
                task.source_arn,
                RUNNING,
                CANCELLING,
            )
            if running is not None:
                raise _already_running()
            last = await tx.fetch_one(
                "SELECT MAX(ordinal) AS last FROM sqs_move_tasks WHERE source_arn = ?", task.source_arn
            )
            ordinal = int(last["last"] or 0) + 1 if last is not None else 1
            await tx.execute(
                "INSERT INTO sqs_move_tasks (handle, source_arn, ordinal, destination_arn, rate, to_move, started, "
                "moved, status, failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                task.handle, task.source_arn, ordinal, task.destination_arn, task.rate, task.to_move, task.started,
                task.moved, task.status, task.failure,
            )  # fmt: skip
            await tx.execute(
                "DELETE FROM sqs_move_tasks WHERE source_arn = ? AND ordinal <= ?", task.source_arn, ordinal - KEEP
            )

    def _launch(self, task: MoveTask, source: Queue, destination: Queue | None) -> None:
        handle = task.handle
        self._live[handle] = task
        running = asyncio.get_running_loop().create_task(self._run(task, source, destination))
        self._running[handle] = running

        def ended(_: asyncio.Task[None]) -> None:
            self._running.pop(handle, None)
            self._live.pop(handle, None)

        running.add_done_callback(ended)

    async def resume(self) -> int:
        """Start again the tasks an earlier run left running (at start); how many."""
        rows = await self.store.fetch_all("SELECT * FROM sqs_move_tasks WHERE status = ?", RUNNING)
        resumed = 0
        for task in map(_task, rows):
            if task.handle in self._live:
                continue
            source = await self.queues.definitions.by_arn(task.source_arn)
            destination = await self.queues.definitions.by_arn(task.destination_arn) if task.destination_arn else None
            if source is None or (task.destination_arn and destination is None):
                task.status, task.failure = FAILED, _NONEXISTENT
                await self._save(task)
                continue
            self._launch(task, source, destination)
            resumed += 1
        return resumed

    async def _save(self, task: MoveTask) -> None:
        await self.store.execute(
            "UPDATE sqs_move_tasks SET moved = ?, status = ?, failure = ? WHERE handle = ?",
            task.moved,
            task.status,
            task.failure,
            task.handle,
        )

    async def _run(self, task: MoveTask, source: Queue, destination: Queue | None) -> None:
        pending: list[Message] = []  # taken out of sight, not moved yet: put back if the task stops
        try:
            await self._move(task, source, destination, pending)
        except Exception as exc:
            log.exception("message move task from %s failed", task.source_arn)
            task.status, task.failure = FAILED, type(exc).__name__
        finally:
            for message in pending:
                self.queues.put_back(source, message)
        # Not reached when cancelled: CancelMessageMoveTask saves the task itself, and a task stopped with the server
        # stays RUNNING in the store, to go on at the next start.
        await self._save(task)

    async def _move(self, task: MoveTask, source: Queue, destination: Queue | None, pending: list[Message]) -> None:
        """Move the task's messages in batches, its count saved after each; `pending` holds those taken and not
        moved yet."""
        in_second = 0
        while task.moved < task.to_move:
            most = min(BATCH, task.to_move - task.moved, task.rate or BATCH)
            pending[:] = await self.queues.lift(source, most)
            if not pending:
                break
            while pending:
                message = pending[0]
                target = destination or await self.queues.definitions.by_arn(message.headers.get(SOURCE, ""))
                if target is None:
                    task.status, task.failure = FAILED, _NONEXISTENT
                    return
                await self.queues.move(message, target, None if destination is None else source.arn)
                pending.pop(0)
                task.moved += 1
                in_second += 1
            await self._save(task)
            if task.rate and in_second >= task.rate:
                in_second = 0
                await self.queues.clock.sleep(1)
        task.status = COMPLETED

    async def cancel(self, ctx: RequestContext, handle: str) -> int:
        task = self._live.get(handle)
        if task is None or task.status != RUNNING:
            raise ResourceNotFound("Task does not exist.")
        await self.queues.find(ctx, task.source_arn)  # the caller's own queue, or AccessDenied
        task.status = CANCELLING
        running = self._running.get(handle)
        if running is not None:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        task.status = CANCELLED
        await self._save(task)
        return task.moved

    async def list(self, ctx: RequestContext, source_arn: str, most: int | None) -> list[MoveTask]:
        source = await self.queues.find(ctx, source_arn)
        if most is not None and not 1 <= most <= 10:
            raise InvalidParameterValue(
                f"Value {most} for parameter MaxResults is invalid. Reason: Must be between 1 and 10."
            )
        rows = await self.store.fetch_all(
            "SELECT * FROM sqs_move_tasks WHERE source_arn = ? ORDER BY ordinal DESC LIMIT ?", source.arn, most or 1
        )
        return [self._live.get(row["handle"]) or _task(row) for row in rows]

    async def close(self) -> None:
        """Stop the running tasks; they stay RUNNING in the store and go on at the next start."""
        for running in list(self._running.values()):
            running.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)
