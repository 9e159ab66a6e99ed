"""SQS operations on messages: send, receive, delete and change visibility, one at a time and in batches.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from overcast.api.services import Output, Params, Unbound
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.events.queues import contents
from overcast.events.queues.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    TooManyEntriesInBatchRequest,
)
from overcast.events.queues.records import MessageAttribute, ReceivedMessage, SentMessage
from overcast.events.queues.service import Queues

_ENTRY_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
SYSTEM_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


def _attributes(wire: dict[str, Any] | None) -> dict[str, MessageAttribute]:
    return {
        name: MessageAttribute(v.get("DataType", ""), v.get("StringValue"), v.get("BinaryValue"))
        for name, v in (wire or {}).items()
    }


def _attribute_out(a: MessageAttribute) -> dict[str, Any]:
    if a.binary_value is not None:
        return {"DataType": a.data_type, "BinaryValue": a.binary_value}
    return {"DataType": a.data_type, "StringValue": a.string_value}


def _sent_out(m: SentMessage) -> Output:
    out: Output = {"MessageId": m.message_id, "MD5OfMessageBody": m.md5_of_body}
    if m.md5_of_message_attributes:
        out["MD5OfMessageAttributes"] = m.md5_of_message_attributes
    if m.md5_of_message_system_attributes:
        out["MD5OfMessageSystemAttributes"] = m.md5_of_message_system_attributes
    if m.sequence_number:
        out["SequenceNumber"] = m.sequence_number
    return out


async def _send(s: Queues, ctx: RequestContext, url: str, p: Params) -> SentMessage:
    return await s.send(
        ctx,
        url,
        p.get("MessageBody", ""),
        attributes=_attributes(p.get("MessageAttributes")),
        delay_seconds=p.get("DelaySeconds"),
        group_id=p.get("MessageGroupId"),
        deduplication_id=p.get("MessageDeduplicationId"),
        system_attributes=_attributes(p.get("MessageSystemAttributes")),
    )


async def send_message(s: Queues, ctx: RequestContext, p: Params) -> Output:
    return _sent_out(await _send(s, ctx, p["QueueUrl"], p))


def _wanted(names: list[str]) -> Callable[[str], bool]:
    """AttributeNames / MessageAttributeNames matching: `All`, `.*`, a name, or a `prefix.*`."""
    if "All" in names or ".*" in names:
        return lambda name: True
    exact = {n for n in names if not n.endswith(".*")}
    prefixes = tuple(n[:-1] for n in names if n.endswith(".*"))
    return lambda name: name in exact or (bool(prefixes) and name.startswith(prefixes))


def _received_out(m: ReceivedMessage, system: Callable[[str], bool], user: Callable[[str], bool]) -> Output:
    out: Output = {
        "MessageId": m.message_id,
        "ReceiptHandle": m.receipt_handle,
        "MD5OfBody": m.md5_of_body,
        "Body": m.body,
    }
    picked = {k: v for k, v in m.attributes.items() if system(k)}
    if picked:
        out["Attributes"] = picked
    chosen = {k: v for k, v in m.message_attributes.items() if user(k)}
    if chosen:
        out["MessageAttributes"] = {k: _attribute_out(v) for k, v in chosen.items()}
    if m.md5_of_message_attributes and chosen:
        # AWS digests every attribute of the message, whichever were asked for.
        out["MD5OfMessageAttributes"] = m.md5_of_message_attributes
    return out


async def receive_message(s: Queues, ctx: RequestContext, p: Params) -> Output:
    # ReceiveRequestAttemptId applies to FIFO queues only; a standard queue ignores it.
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
    received = await s.receive(
        ctx,
        p["QueueUrl"],
        max_messages=p.get("MaxNumberOfMessages", 1),
        wait_seconds=p.get("WaitTimeSeconds"),
        visibility_timeout=p.get("VisibilityTimeout"),
        attempt_id=p.get("ReceiveRequestAttemptId"),
    )
    system = _wanted([*(p.get("AttributeNames") or []), *(p.get("MessageSystemAttributeNames") or [])])
    user = _wanted(p.get("MessageAttributeNames") or [])
    messages = [_received_out(m, system, user) for m in received]
    return {"Messages": messages} if messages else {}


async def delete_message(s: Queues, ctx: RequestContext, p: Params) -> Output:
    await s.delete(ctx, p["QueueUrl"], p["ReceiptHandle"])
    return {}


async def change_message_visibility(s: Queues, ctx: RequestContext, p: Params) -> Output:
    await s.change_visibility(ctx, p["QueueUrl"], p["ReceiptHandle"], int(p["VisibilityTimeout"]))
    return {}


def _entries(p: Params, entry: str) -> list[dict[str, Any]]:
    """A batch's entries, checked as AWS checks a batch before any entry runs."""
    entries = list(p.get("Entries") or [])
    if not entries:
        raise EmptyBatchRequest(f"There should be at least one {entry} in the request.")
    if len(entries) > 10:
        raise TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are 10. You have sent {len(entries)}."
        )
    seen: set[str] = set()
    for item in entries:
        if not _ENTRY_ID.match(item.get("Id", "")):
            raise InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                "It can be at most 80 letters long."
            )
        if item["Id"] in seen:
            raise BatchEntryIdsNotDistinct(f"Id {item['Id']} repeated.")
        seen.add(item["Id"])
    return entries


Entry = Callable[[dict[str, Any]], Awaitable[Output]]


async def _batch(entries: list[dict[str, Any]], run: Entry) -> Output:
    successful, failed = [], []
    for item in entries:
        try:
            successful.append({"Id": item["Id"], **await run(item)})
        except AwsError as error:
            failed.append(
                {"Id": item["Id"], "SenderFault": error.sender_fault, "Code": error.code, "Message": error.message}
            )
    return {"Successful": successful, "Failed": failed}


async def send_message_batch(s: Queues, ctx: RequestContext, p: Params) -> Output:
    await s.find(ctx, p["QueueUrl"])
    entries = _entries(p, "SendMessageBatchRequestEntry")
    total = sum(contents.size_of(e.get("MessageBody", ""), _attributes(e.get("MessageAttributes"))) for e in entries)
    if total > 1024 * 1024:
        raise BatchRequestTooLong(
            f"Batch requested message too long. The combined size of all messages is {total} bytes; "
            "the limit is 1048576."
        )

    async def run(item: dict[str, Any]) -> Output:
        return _sent_out(await _send(s, ctx, p["QueueUrl"], item))

    return await _batch(entries, run)


async def delete_message_batch(s: Queues, ctx: RequestContext, p: Params) -> Output:
    await s.find(ctx, p["QueueUrl"])
    entries = _entries(p, "DeleteMessageBatchRequestEntry")

    async def run(item: dict[str, Any]) -> Output:
        await s.delete(ctx, p["QueueUrl"], item["ReceiptHandle"])
        return {}

    return await _batch(entries, run)


async def change_message_visibility_batch(s: Queues, ctx: RequestContext, p: Params) -> Output:
    await s.find(ctx, p["QueueUrl"])
    entries = _entries(p, "ChangeMessageVisibilityBatchRequestEntry")

    async def run(item: dict[str, Any]) -> Output:
        await s.change_visibility(ctx, p["QueueUrl"], item["ReceiptHandle"], int(item.get("VisibilityTimeout", 0)))
        return {}

    return await _batch(entries, run)


HANDLERS: dict[str, Unbound[Queues]] = {
    "SendMessage": send_message,
    "SendMessageBatch": send_message_batch,
    "ReceiveMessage": receive_message,
    "DeleteMessage": delete_message,
    "DeleteMessageBatch": delete_message_batch,
    "ChangeMessageVisibility": change_message_visibility,
    "ChangeMessageVisibilityBatch": change_message_visibility_batch,
}
