"""Publish and PublishBatch: a message checked as SNS checks it, matched against each subscription's filter
policy, and one delivery per matching subscription stored on the bus before the caller is answered.

https://docs.aws.amazon.com/sns/latest/api/API_Publish.html and API_PublishBatch.html. A FIFO topic needs
a MessageGroupId, and a MessageDeduplicationId unless ContentBasedDeduplication is on; a message whose
deduplication id was seen in the last 5 minutes is accepted again (same MessageId) and delivered once.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.events.topics import attributes as topic_attributes
from overcast.events.topics import filter_policies
from overcast.events.topics.deliveries import Deliveries
from overcast.events.topics.envelopes import raw_attributes
from overcast.events.topics.errors import InvalidParameter, invalid
from overcast.events.topics.records import Subscription, Topic
from overcast.events.topics.subscriptions import Subscriptions
from overcast.events.topics.topics import Topics
from overcast.store import Store

MAX_BYTES = 256 * 1024  # message and attributes together
DEDUP_SECONDS = 300
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_\-.]{1,256}")
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_TYPE = re.compile(r"(String|Number|Binary)(\.[^\s]+)?|String\.Array")


@dataclass(frozen=True, slots=True)
class Published:
    message_id: str
    sequence_number: str | None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to publish, as Publish or a PublishBatch entry gives it."""

    message: str
    subject: str | None = None
    structure: str | None = None
    attributes: Mapping[str, Mapping[str, str]] | None = None  # name -> DataType, StringValue | BinaryValue (b64)
    group_id: str | None = None
    deduplication_id: str | None = None


def check_attributes(given: Mapping[str, Mapping[str, str]]) -> int:
    """SNS's checks of message attributes; the bytes they count toward the 256 KB."""
    size = 0
    for name, a in given.items():
        if not _ATTRIBUTE_NAME.fullmatch(name) or name.startswith(("AWS.", "Amazon.")) or ".." in name:
            raise invalid("MessageAttributes", f"Invalid attribute name: {name}")
        data_type = a.get("DataType", "")
        if not _TYPE.fullmatch(data_type):
            raise invalid(
                "MessageAttributes",
                f"The message attribute '{name}' has an invalid message attribute type, the set of supported "
                "type prefixes is Binary, Number, and String.",
            )
        value = a.get("BinaryValue") if data_type.startswith("Binary") else a.get("StringValue")
        if not value:
            base = data_type.split(".")[0] if data_type != "String.Array" else data_type
            raise invalid(
                "MessageAttributes",
                f"The message attribute '{name}' must contain non-empty message attribute value for message "
                f"attribute type '{base}'.",
            )
        if data_type.startswith("Number"):
            try:
                float(value)
            except ValueError:
                raise invalid(
                    "MessageAttributes",
                    f"Could not cast message attribute '{name}' value to number.",
                ) from None
        if data_type == "String.Array":
            try:
                items = json.loads(value)
            except ValueError:
                items = None
            if not isinstance(items, list):
                raise invalid("MessageAttributes", f"The message attribute '{name}' with type 'String.Array' "
                              "has to be a JSON array.")  # fmt: skip
        size += len(name.encode()) + len(data_type.encode()) + len(str(value).encode())
    return size


class Publisher:
    def __init__(
        self, store: Store, clock: Clock, topics: Topics, subscriptions: Subscriptions, deliveries: Deliveries
    ) -> None:
        self.store = store
        self.clock = clock
        self.topics = topics
        self.subscriptions = subscriptions
        self.deliveries = deliveries

    async def publish(self, ctx: RequestContext, topic_arn: str, out: Outgoing) -> Published:
        topic = await self.topics.get(ctx, topic_arn, "Publish")
        self.check(topic, out)
        message_id = str(uuid.uuid4())
        sequence: str | None = None
        if topic.fifo:
            seen, sequence = await self._deduplicate(topic, out, message_id)
            # A duplicate fans out again under the first message's id: the bus drops deliveries it already
            # holds (same ids, inside its 5-minute window), and stores those a crash kept the first from storing.
            message_id = seen or message_id
        await self._fan_out(topic, out, message_id, sequence)
        return Published(message_id, sequence)

    async def publish_sms(self, ctx: RequestContext, phone: str, out: Outgoing) -> Published:
        """A text to a phone number: recorded as delivered, since Overcast sends nothing."""
        if not _PHONE.fullmatch(phone):
            raise invalid("PhoneNumber Reason: " + phone + " is not valid to publish to")
        if not out.message:
            raise invalid("Empty message")
        message_id = str(uuid.uuid4())
        record = {
            "kind": "notification",
            "id": f"{message_id}:{phone}",
            "message_id": message_id,
            "topic_arn": "",
            "subscription_arn": "",
            "account": ctx.account_id,
            "region": ctx.region,
            "protocol": "sms",
            "endpoint": phone,
            "message": out.message,
            "time": self.clock.now(),
        }
        await self.deliveries.record(record, "delivered", "", 1)
        return Published(message_id, None)

    def check(self, topic: Topic, out: Outgoing) -> None:
        if not out.message:
            raise invalid("Empty message")
        size = len(out.message.encode()) + check_attributes(out.attributes or {})
        if size > MAX_BYTES:
            raise InvalidParameter("Invalid parameter: Message too long")
        if out.subject is not None and (
            not out.subject or len(out.subject) > 100 or not out.subject.isascii() or "\n" in out.subject
        ):
            raise invalid("Subject")
        if out.structure is not None:
            if out.structure != "json":
                raise invalid("MessageStructure")
            try:
                parsed = json.loads(out.message)
            except ValueError:
                raise invalid("Message Structure - JSON message body failed to parse") from None
            if not isinstance(parsed, dict) or not isinstance(parsed.get("default"), str):
                raise invalid("Message Structure - No default entry in JSON message body")
        if topic.fifo:
            if not out.group_id:
                raise invalid("The MessageGroupId parameter is required for FIFO topics")
            if not out.deduplication_id and topic.attributes.get("ContentBasedDeduplication") != "true":
                raise invalid(
                    "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
                    "provided explicitly"
                )
        elif out.group_id:
            raise invalid(
                "MessageGroupId", "The request includes MessageGroupId parameter that is not valid for this topic type"
            )
        elif out.deduplication_id:
            raise invalid(
                "MessageDeduplicationId",
                "The request includes MessageDeduplicationId parameter that is not valid for this topic type",
            )

    async def _deduplicate(self, topic: Topic, out: Outgoing, message_id: str) -> tuple[str | None, str]:
        """(the first MessageId, its sequence number) when this deduplication id was seen within 5 minutes;
        else (None, a new sequence number), the id recorded."""
        dedup = out.deduplication_id or _content_id(out.message)
        now = self.clock.now()
        async with self.store.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT message_id, sequence, expires FROM sns_fifo_dedup WHERE topic_arn = ? AND dedup_id = ?",
                topic.arn,
                dedup,
            )
            if row is not None and row["expires"] > now:
                return row["message_id"], row["sequence"]
            counted = await tx.fetch_one(
                "UPDATE sns_topics SET sequence = sequence + 1 WHERE arn = ? RETURNING sequence", topic.arn
            )
            number = f"{10_000_000_000_000_000_000 + int(counted['sequence'] if counted else 0) * 1000}"
            await tx.execute(
                "INSERT INTO sns_fifo_dedup (topic_arn, dedup_id, message_id, sequence, expires) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (topic_arn, dedup_id) DO UPDATE SET message_id = excluded.message_id, "
                "sequence = excluded.sequence, expires = excluded.expires",
                topic.arn,
                dedup,
                message_id,
                number,
                now + DEDUP_SECONDS,
            )
            await tx.execute("DELETE FROM sns_fifo_dedup WHERE topic_arn = ? AND expires <= ?", topic.arn, now)
        return None, number

    async def _fan_out(self, topic: Topic, out: Outgoing, message_id: str, sequence: str | None) -> None:
        """One delivery per confirmed subscription whose filter policy matches the message it would get
        (a MessageStructure=json message's entry for its protocol)."""
        attributes = dict(out.attributes or {})
        per_protocol = json.loads(out.message) if out.structure == "json" else None
        now = self.clock.now()
        records = []
        for s in await self.subscriptions.of_topic(topic.arn):
            message = out.message if per_protocol is None else per_protocol.get(s.protocol, per_protocol["default"])
            if not isinstance(message, str):
                message = json.dumps(message)
            if s.confirmed and _passes(s, message, attributes):
                records.append(self._record(topic, s, out, message_id, sequence, now, message, attributes))
        await asyncio.gather(*(self.deliveries.enqueue(r) for r in records))

    def _record(
        self,
        topic: Topic,
        s: Subscription,
        out: Outgoing,
        message_id: str,
        sequence: str | None,
        now: float,
        message: str,
        attributes: Mapping[str, Mapping[str, str]],
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "kind": "notification",
            "id": f"{message_id}:{s.arn}",
            "message_id": message_id,
            "topic_arn": topic.arn,
            "subscription_arn": s.arn,
            "account": topic.account,
            "region": topic.region,
            "protocol": s.protocol,
            "endpoint": s.endpoint,
            "raw": s.raw,
            "message": message,
            "subject": out.subject,
            "attributes": attributes,
            "time": now,
            "fifo": topic.fifo,
            "sequence_number": sequence,
            "group_id": out.group_id,
            # what a FIFO queue deduplicates the delivery by: the message's id, or its content's SHA-256
            "deduplication_id": (out.deduplication_id or _content_id(out.message)) if topic.fifo else None,
            "signature_version": topic.attributes.get("SignatureVersion", "1"),
            "dead_letter_arn": json.loads(s.attributes.get("RedrivePolicy") or "{}").get("deadLetterTargetArn"),
        }
        if s.protocol in ("http", "https"):
            policy = topic_attributes.effective_delivery_policy(
                topic.attributes.get("DeliveryPolicy"), s.attributes.get("DeliveryPolicy")
            )
            record["retry"] = policy["healthyRetryPolicy"]
            record["content_type"] = (policy["requestPolicy"] or {}).get("headerContentType")
            record["per_second"] = (policy["throttlePolicy"] or {}).get("maxReceivesPerSecond")
        return record


def _content_id(message: str) -> str:
    """ContentBasedDeduplication's id: the message's SHA-256."""
    return hashlib.sha256(message.encode()).hexdigest()


@functools.lru_cache(maxsize=4096)
def _compiled(policy: str, scope: str) -> filter_policies.FilterPolicy:
    """Policies are compiled once (they were checked when set)."""
    return filter_policies.compile_policy(policy, scope)


def _passes(s: Subscription, message: str, attributes: Mapping[str, Mapping[str, str]]) -> bool:
    policy = s.attributes.get("FilterPolicy")
    if not policy:
        return True
    scope = s.attributes.get("FilterPolicyScope", filter_policies.ATTRIBUTES)
    return _compiled(policy, scope).matches(message, raw_attributes(attributes))
