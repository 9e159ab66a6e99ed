"""SNS's Publish and PublishBatch: wire names to `Outgoing` messages and back.

https://docs.aws.amazon.com/sns/latest/api/API_Publish.html, API_PublishBatch.html.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from overcast.api.services import Output, Params, Unbound
from overcast.context import RequestContext
from overcast.errors import AwsError, NotImplementedOperation

# SNS answers a bad batch with SQS's codes (API_PublishBatch.html#API_PublishBatch_Errors): one set of errors
from overcast.events.queues.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    TooManyEntriesInBatchRequest,
)
from overcast.events.topics import Sns
from overcast.events.topics.errors import invalid
from overcast.events.topics.publishing import MAX_BYTES, Outgoing, Published

MAX_ENTRIES = 10
_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


def _attributes(given: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """Message attributes with binary values as base64 text (how deliveries keep and send them)."""
    out: dict[str, dict[str, str]] = {}
    for name, a in (given or {}).items():
        item = {"DataType": a.get("DataType", "")}
        if a.get("BinaryValue") is not None:
            value = a["BinaryValue"]
            item["BinaryValue"] = base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()
        if a.get("StringValue") is not None:
            item["StringValue"] = a["StringValue"]
        out[name] = item
    return out


def _outgoing(p: Params) -> Outgoing:
    return Outgoing(
        p.get("Message", ""),
        p.get("Subject"),
        p.get("MessageStructure"),
        _attributes(p.get("MessageAttributes")),
        p.get("MessageGroupId"),
        p.get("MessageDeduplicationId"),
    )


def _published(done: Published) -> Output:
    out: Output = {"MessageId": done.message_id}
    if done.sequence_number is not None:
        out["SequenceNumber"] = done.sequence_number
    return out


async def publish(s: Sns, ctx: RequestContext, p: Params) -> Output:
    topic = p.get("TopicArn") or p.get("TargetArn")
    if p.get("PhoneNumber"):
        if topic:
            raise invalid("Exactly one of TopicArn, TargetArn or PhoneNumber must be given")
        return _published(await s.publisher.publish_sms(ctx, p["PhoneNumber"], _outgoing(p)))
    if not topic:
        raise invalid("TopicArn or TargetArn Reason: no value for required parameter")
    if ":endpoint/" in topic:
        raise NotImplementedOperation("Publishing to a platform application endpoint is not implemented by Overcast")
    return _published(await s.publisher.publish(ctx, topic, _outgoing(p)))


async def publish_batch(s: Sns, ctx: RequestContext, p: Params) -> Output:
    entries = p.get("PublishBatchRequestEntries") or []
    topic_arn = p["TopicArn"]
    await s.topics.get(ctx, topic_arn, "Publish")
    if not entries:
        raise EmptyBatchRequest("The batch request doesn't contain any entries.")
    if len(entries) > MAX_ENTRIES:
        raise TooManyEntriesInBatchRequest("The batch request contains more entries than permissible.")
    ids = [e["Id"] for e in entries]
    if len(set(ids)) != len(ids):
        raise BatchEntryIdsNotDistinct("Two or more batch entries in the request have the same Id.")
    if not all(_ENTRY_ID.fullmatch(i) for i in ids):
        raise InvalidBatchEntryId("The Id of a batch entry in a batch request doesn't abide by the specification.")
    if sum(len(e.get("Message", "").encode()) for e in entries) > MAX_BYTES:
        raise BatchRequestTooLong("The length of all the batch messages put together is more than the limit.")
    successful, failed = [], []
    for entry in entries:
        try:
            done = await s.publisher.publish(ctx, topic_arn, _outgoing(entry))
        except AwsError as error:
            failed.append({"Id": entry["Id"], "Code": error.code, "Message": error.message, "SenderFault": True})
            continue
        successful.append({"Id": entry["Id"], **_published(done)})
    return {"Successful": successful, "Failed": failed}


HANDLERS: dict[str, Unbound[Sns]] = {"Publish": publish, "PublishBatch": publish_batch}
