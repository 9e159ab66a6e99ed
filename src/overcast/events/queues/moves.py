"""Message move tasks: messages of a dead-letter queue moved back to the queues they came from, or to another.

A task moves the messages its queue holds when it starts (ApproximateNumberOfMessagesToMove), at most
MaxNumberOfMessagesPerSecond a second on the injected clock when given, one task running per source queue.
Tasks are this node's (a restart forgets them; what they moved stays moved, as each move publishes the
copy before it deletes the original).
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

if TYPE_CHECKING:
    from overcast.bus.messages import Message

log = logging.getLogger(__name__)

RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED = "RUNNING", "COMPLETED", "CANCELLING", "CANCELLED", "FAILED"
BATCH = 10


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


class MoveTasks:
    def __init__(self, queues: Queues) -> None:
        self.queues = queues
        self._tasks: dict[str, MoveTask] = {}
        self._by_source: dict[str, list[MoveTask]] = {}
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
        if any(task.status == RUNNING for task in self._by_source.get(source.arn, [])):
            raise UnsupportedOperation(
                "There is already a task running. Only one active task is allowed for a source queue arn at a "
                "given time."
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
        self._tasks[handle] = task
        self._by_source.setdefault(source.arn, []).insert(0, task)
        running = asyncio.get_running_loop().create_task(self._run(task, source, destination))
        self._running[handle] = running
        running.add_done_callback(lambda _: self._running.pop(handle, None))
        return handle

    async def _run(self, task: MoveTask, source: Queue, destination: Queue | None) -> None:
        pending: list[Message] = []  # taken out of sight, not moved yet: put back if the task stops
        in_second = 0
        try:
            while task.moved < task.to_move:
                most = min(BATCH, task.to_move - task.moved, task.rate or BATCH)
                pending = await self.queues.lift(source, most)
                if not pending:
                    break
                while pending:
                    message = pending[0]
                    target = destination or await self.queues.definitions.by_arn(message.headers.get(SOURCE, ""))
                    if target is None:
                        task.status, task.failure = FAILED, "AWS.SimpleQueueService.NonExistentQueue"
                        return
                    await self.queues.move(message, target, None if destination is None else source.arn)
                    pending.pop(0)
                    task.moved += 1
                    in_second += 1
                if task.rate and in_second >= task.rate:
                    in_second = 0
                    await self.queues.clock.sleep(1)
            task.status = COMPLETED
        except asyncio.CancelledError:
            task.status = CANCELLED
            raise
        except Exception as exc:
            log.exception("message move task from %s failed", task.source_arn)
            task.status, task.failure = FAILED, type(exc).__name__
        finally:
            for message in pending:
                self.queues.put_back(source, message)

    async def cancel(self, ctx: RequestContext, handle: str) -> int:
        task = self._tasks.get(handle)
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
        return task.moved

    async def list(self, ctx: RequestContext, source_arn: str, most: int | None) -> list[MoveTask]:
        source = await self.queues.find(ctx, source_arn)
        if most is not None and not 1 <= most <= 10:
            raise InvalidParameterValue(
                f"Value {most} for parameter MaxResults is invalid. Reason: Must be between 1 and 10."
            )
        return self._by_source.get(source.arn, [])[: most or 1]

    async def close(self) -> None:
        for running in list(self._running.values()):
            running.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)
