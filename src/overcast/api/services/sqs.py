"""SQS operations on queues: botocore-named parameters in, `Queues` called, botocore-named outputs out.

Rules and errors live in `overcast.events.queues`; only the wire names live here. Messages' operations are
in sqs_messages.py.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
"""

from __future__ import annotations

from overcast.api.services import OperationTable, Output, Params, Unbound, bind, sqs_messages, sqs_moves
from overcast.context import RequestContext
from overcast.events.queues import attributes as queue_attributes
from overcast.events.queues import policies
from overcast.events.queues.errors import AccessDenied, InvalidAttributeName, QueueDoesNotExist
from overcast.events.queues.service import Queues, describe


async def create_queue(s: Queues, ctx: RequestContext, p: Params) -> Output:
    queue, _ = await s.definitions.create(ctx, p["QueueName"], p.get("Attributes") or {}, p.get("tags") or {})
    return {"QueueUrl": s.url(queue)}


async def get_queue_url(s: Queues, ctx: RequestContext, p: Params) -> Output:
    owner = p.get("QueueOwnerAWSAccountId")
    if owner and owner != ctx.account_id:
        # Another account's queue needs a queue policy granting it, which Overcast stores but does not evaluate yet.
        raise AccessDenied(f"Access to the queue {p['QueueName']} of account {owner} is denied.")
    name = p["QueueName"]
    if "/" in name or name.startswith("arn:"):
        raise QueueDoesNotExist()
    return {"QueueUrl": s.url(await s.find(ctx, name))}


async def delete_queue(s: Queues, ctx: RequestContext, p: Params) -> Output:
    queue = await s.definitions.delete(ctx, p["QueueUrl"])
    await s.forget(queue)
    return {}


async def list_queues(s: Queues, ctx: RequestContext, p: Params) -> Output:
    size = p.get("MaxResults")
    queues, token = await s.definitions.page(ctx, p.get("QueueNamePrefix") or "", size, p.get("NextToken"))
    out: Output = {}
    if queues:
        out["QueueUrls"] = [s.url(q) for q in queues]
    if token and size is not None:  # AWS pages only when asked for MaxResults
        out["NextToken"] = token
    return out


async def get_queue_attributes(s: Queues, ctx: RequestContext, p: Params) -> Output:
    names = p.get("AttributeNames") or []
    for name in names:
        if name != "All" and name not in queue_attributes.ALL_NAMES:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
    await s.find(ctx, p["QueueUrl"])  # a queue that does not exist answers so, with or without names
    values = await s.attributes(ctx, p["QueueUrl"]) if names else {}
    found = describe(values, names)
    return {"Attributes": found} if found else {}


async def set_queue_attributes(s: Queues, ctx: RequestContext, p: Params) -> Output:
    await s.definitions.update(ctx, p["QueueUrl"], p.get("Attributes") or {})
    return {}


async def purge_queue(s: Queues, ctx: RequestContext, p: Params) -> Output:
    await s.purge(ctx, p["QueueUrl"])
    return {}


async def list_dead_letter_source_queues(s: Queues, ctx: RequestContext, p: Params) -> Output:
    target = await s.find(ctx, p["QueueUrl"])
    size = p.get("MaxResults")
    sources = await s.definitions.sources_of(ctx, target)
    return {"queueUrls": [s.url(q) for q in sources[: size or 1000]]}


async def tag_queue(s: Queues, ctx: RequestContext, p: Params) -> Output:
    await s.definitions.tag(ctx, p["QueueUrl"], p.get("Tags") or {})
    return {}


async def untag_queue(s: Queues, ctx: RequestContext, p: Params) -> Output:
    await s.definitions.untag(ctx, p["QueueUrl"], list(p.get("TagKeys") or []))
    return {}


async def list_queue_tags(s: Queues, ctx: RequestContext, p: Params) -> Output:
    found = await s.definitions.tags(ctx, p["QueueUrl"])
    return {"Tags": found} if found else {}


async def add_permission(s: Queues, ctx: RequestContext, p: Params) -> Output:
    queue = await s.find(ctx, p["QueueUrl"])
    policy = policies.with_permission(
        queue.attributes.get("Policy", ""), queue.arn, p["Label"], p["AWSAccountIds"], p["Actions"]
    )
    await s.definitions.update(ctx, p["QueueUrl"], {"Policy": policy})
    return {}


async def remove_permission(s: Queues, ctx: RequestContext, p: Params) -> Output:
    queue = await s.find(ctx, p["QueueUrl"])
    policy = policies.without_permission(queue.attributes.get("Policy", ""), queue.arn, p["Label"])
    await s.definitions.update(ctx, p["QueueUrl"], {"Policy": policy})
    return {}


HANDLERS: dict[str, Unbound[Queues]] = {
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "CreateQueue": create_queue,
    "GetQueueUrl": get_queue_url,
    "DeleteQueue": delete_queue,
    "ListQueues": list_queues,
    "GetQueueAttributes": get_queue_attributes,
    "SetQueueAttributes": set_queue_attributes,
    "PurgeQueue": purge_queue,
    "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
    "TagQueue": tag_queue,
    "UntagQueue": untag_queue,
    "ListQueueTags": list_queue_tags,
    **sqs_messages.HANDLERS,
    **sqs_moves.HANDLERS,
}


def operations(queues: Queues) -> OperationTable:
    return bind(HANDLERS, queues)
