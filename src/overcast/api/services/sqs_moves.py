"""SQS's message move tasks: StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasks.html
"""

from __future__ import annotations

from overcast.api.services import Output, Params, Unbound
from overcast.context import RequestContext
from overcast.events.queues.moves import RUNNING, MoveTask
from overcast.events.queues.service import Queues


def _task_out(task: MoveTask) -> Output:
    out: Output = {
        "Status": task.status,
        "SourceArn": task.source_arn,
        "ApproximateNumberOfMessagesMoved": task.moved,
        "ApproximateNumberOfMessagesToMove": task.to_move,
        "StartedTimestamp": task.started,
    }
    if task.status == RUNNING:
        out["TaskHandle"] = task.handle
    if task.destination_arn:
        out["DestinationArn"] = task.destination_arn
    if task.rate is not None:
        out["MaxNumberOfMessagesPerSecond"] = task.rate
    if task.failure:
        out["FailureReason"] = task.failure
    return out


async def start_message_move_task(s: Queues, ctx: RequestContext, p: Params) -> Output:
    handle = await s.moves.start(ctx, p["SourceArn"], p.get("DestinationArn"), p.get("MaxNumberOfMessagesPerSecond"))
    return {"TaskHandle": handle}


async def list_message_move_tasks(s: Queues, ctx: RequestContext, p: Params) -> Output:
    return {"Results": [_task_out(t) for t in await s.moves.list(ctx, p["SourceArn"], p.get("MaxResults"))]}


async def cancel_message_move_task(s: Queues, ctx: RequestContext, p: Params) -> Output:
    return {"ApproximateNumberOfMessagesMoved": await s.moves.cancel(ctx, p["TaskHandle"])}


HANDLERS: dict[str, Unbound[Queues]] = {
    "StartMessageMoveTask": start_message_move_task,
    "ListMessageMoveTasks": list_message_move_tasks,
    "CancelMessageMoveTask": cancel_message_move_task,
}
