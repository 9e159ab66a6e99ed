"""Subscriptions: subscribe (idempotent), confirm, unsubscribe, list, and their attributes.

https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html and the pages of the other operations.
Endpoints that must confirm (http, https, email, email-json) stay pending until ConfirmSubscription
is called with the token SNS sent them; the others are confirmed at once.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from overcast.arn import parse_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.events.topics import attributes, filter_policies
from overcast.events.topics.errors import InvalidParameter, invalid, not_authorized, subscription_not_found
from overcast.events.topics.records import Subscription, Topic
from overcast.events.topics.topics import LISTS, Topics
from overcast.kit.pages import Keyset, fetch_page
from overcast.store import Queries, Row, Store

Announce = Callable[[Subscription, str], Awaitable[None]]  # (the subscription, the topic's SignatureVersion)
PROTOCOLS = frozenset({"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"})
CONFIRMED_AT_ONCE = frozenset({"sms", "sqs", "application", "lambda", "firehose"})
PENDING = "pending confirmation"
BY_ARN = Keyset.of(("arn", str))
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9]{7,15}")


def row_to_subscription(row: Row) -> Subscription:
    return Subscription(
        row["arn"],
        row["topic_arn"],
        row["account"],
        row["protocol"],
        row["endpoint"],
        json.loads(row["attributes"]),
        row["token"],
        bool(row["confirmed"]),
        row["created"],
    )


def check_endpoint(protocol: str, endpoint: str) -> None:
    """What each protocol's endpoint must look like (SNS's own wording)."""
    if protocol not in PROTOCOLS:
        raise invalid(f"Amazon SNS does not support this protocol string: {protocol}")
    ok = {
        "http": endpoint.startswith("http://"),
        "https": endpoint.startswith("https://"),
        "email": bool(_EMAIL.fullmatch(endpoint)),
        "email-json": bool(_EMAIL.fullmatch(endpoint)),
        "sms": bool(_PHONE.fullmatch(endpoint.replace("-", ""))),
    }.get(protocol)
    if ok is False:
        raise invalid("Endpoint", f"Invalid {protocol} endpoint: {endpoint}" if protocol != "http" else "")
    service = {"sqs": "sqs", "lambda": "lambda", "firehose": "firehose", "application": "sns"}.get(protocol)
    if service is not None:
        parsed = parse_arn(endpoint)
        if parsed is None or parsed.service != service:
            label = {"sqs": "SQS", "lambda": "Lambda", "firehose": "Firehose", "application": "Application"}[protocol]
            raise invalid(f"{label} endpoint ARN")


def validate(protocol: str, given: Mapping[str, str]) -> dict[str, str]:
    """The attributes to store, each checked, and the filter policy compiled for its scope."""
    checked = {k: attributes.check_subscription_attribute(k, v, protocol) for k, v in given.items()}
    policy = checked.get("FilterPolicy")
    if policy:
        try:
            filter_policies.compile_policy(policy, checked.get("FilterPolicyScope", filter_policies.ATTRIBUTES))
        except filter_policies.InvalidFilterPolicy as error:
            raise invalid("FilterPolicy", str(error)) from None
    return checked


class Subscriptions:
    def __init__(self, store: Store, clock: Clock, topics: Topics, announce: Announce | None = None) -> None:
        self.store = store
        self.clock = clock
        self.topics = topics
        self.announce = announce  # sends a pending subscription its SubscriptionConfirmation

    async def subscribe(
        self, ctx: RequestContext, topic_arn: str, protocol: str, endpoint: str, given: Mapping[str, str]
    ) -> Subscription:
        topic = await self.topics.get(ctx, topic_arn, "Subscribe")
        protocol = protocol.lower()
        check_endpoint(protocol, endpoint)
        if topic.fifo and protocol != "sqs":
            raise invalid("Invalid protocol type: " + protocol)
        checked = validate(protocol, given)
        async with self.store.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT * FROM sns_subscriptions WHERE topic_arn = ? AND protocol = ? AND endpoint = ?",
                topic.arn,
                protocol,
                endpoint,
            )
            if row is not None:
                existing = row_to_subscription(row)
                if existing.attributes != checked and checked:
                    raise invalid("Attributes", "Subscription already exists with different attributes")
                return existing
            made = Subscription(
                f"{topic.arn}:{uuid.uuid4()}",
                topic.arn,
                ctx.account_id,
                protocol,
                endpoint,
                checked,
                secrets.token_hex(64),
                protocol in CONFIRMED_AT_ONCE,
                self.clock.now(),
            )
            await _insert(tx, made, ctx.region)
        if not made.confirmed and self.announce is not None:
            await self.announce(made, topic.attributes.get("SignatureVersion", "1"))
        return made

    async def confirm(self, ctx: RequestContext, topic_arn: str, token: str) -> Subscription:
        await self.topics.get(ctx, topic_arn, "ConfirmSubscription")
        row = await self.store.fetch_one(
            "SELECT * FROM sns_subscriptions WHERE token = ? AND topic_arn = ?", token, topic_arn
        )
        if row is None:
            raise InvalidParameter("Invalid token")
        await self.store.execute("UPDATE sns_subscriptions SET confirmed = 1 WHERE arn = ?", row["arn"])
        return row_to_subscription({**row, "confirmed": 1})

    async def confirm_by_token(self, token: str) -> Subscription | None:
        """The SubscribeURL's GET: the token alone confirms (it is secret, as the URL AWS sends is)."""
        row = await self.store.fetch_one("SELECT * FROM sns_subscriptions WHERE token = ?", token)
        if row is None:
            return None
        await self.store.execute("UPDATE sns_subscriptions SET confirmed = 1 WHERE arn = ?", row["arn"])
        return row_to_subscription({**row, "confirmed": 1})

    async def get(self, ctx: RequestContext, arn: str, action: str = "GetSubscriptionAttributes") -> Subscription:
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "sns" or arn.count(":") != 6:
            raise invalid("SubscriptionArn")
        if parsed.account != ctx.account_id:
            raise not_authorized(ctx.account_id, action, arn)
        row = await self.store.fetch_one("SELECT * FROM sns_subscriptions WHERE arn = ?", arn)
        if row is None or row["region"] != ctx.region:
            raise subscription_not_found()
        return row_to_subscription(row)

    async def unsubscribe(self, ctx: RequestContext, arn: str) -> None:
        subscription = await self.get(ctx, arn, "Unsubscribe")
        await self.store.execute("DELETE FROM sns_subscriptions WHERE arn = ?", subscription.arn)

    async def remove(self, arn: str) -> bool:
        """The UnsubscribeURL's GET: whoever holds the URL may unsubscribe (as on SNS, unless authenticated)."""
        return await self.store.execute("DELETE FROM sns_subscriptions WHERE arn = ?", arn) > 0

    async def set_attribute(self, ctx: RequestContext, arn: str, name: str, value: str) -> None:
        subscription = await self.get(ctx, arn, "SetSubscriptionAttributes")
        changed = {**subscription.attributes, name: value}
        if name in ("FilterPolicy", "RedrivePolicy") and not value:
            changed.pop(name)
        checked = validate(subscription.protocol, changed)
        await self.store.execute(
            "UPDATE sns_subscriptions SET attributes = ? WHERE arn = ?", json.dumps(checked), subscription.arn
        )

    async def of_topic(self, topic_arn: str) -> list[Subscription]:
        rows = await self.store.fetch_all("SELECT * FROM sns_subscriptions WHERE topic_arn = ? ORDER BY arn", topic_arn)
        return [row_to_subscription(row) for row in rows]

    async def counts(self, topic_arn: str) -> dict[str, int]:
        rows = await self.store.fetch_all(
            "SELECT confirmed, COUNT(*) AS n FROM sns_subscriptions WHERE topic_arn = ? GROUP BY confirmed", topic_arn
        )
        found = {bool(row["confirmed"]): int(row["n"]) for row in rows}
        return {"confirmed": found.get(True, 0), "pending": found.get(False, 0)}

    async def listed(
        self, ctx: RequestContext, token: str | None, topic_arn: str | None = None
    ) -> tuple[list[Subscription], str | None]:
        if topic_arn is not None:
            await self.topics.get(ctx, topic_arn, "ListSubscriptionsByTopic")
        paging = LISTS.start(ctx, BY_ARN.kinds, None, token, topic_arn)
        where, params = "WHERE account = ? AND region = ?", [ctx.account_id, ctx.region]
        if topic_arn is not None:
            where, params = "WHERE topic_arn = ?", [topic_arn]
        select = f"SELECT * FROM sns_subscriptions {where}"
        rows, following = await fetch_page(self.store, select, params, BY_ARN, paging)
        return [row_to_subscription(row) for row in rows], following

    def described(self, subscription: Subscription, topic: Topic | None) -> dict[str, str]:
        """GetSubscriptionAttributes' answer."""
        out = {
            "SubscriptionArn": subscription.arn,
            "TopicArn": subscription.topic_arn,
            "Owner": subscription.account,
            "Protocol": subscription.protocol,
            "Endpoint": subscription.endpoint,
            "ConfirmationWasAuthenticated": "true" if subscription.confirmed else "false",
            "PendingConfirmation": "false" if subscription.confirmed else "true",
            "RawMessageDelivery": "false",
            **subscription.attributes,
        }
        if subscription.attributes.get("FilterPolicy") and "FilterPolicyScope" not in out:
            out["FilterPolicyScope"] = filter_policies.ATTRIBUTES
        if subscription.protocol in ("http", "https"):
            topic_policy = topic.attributes.get("DeliveryPolicy") if topic else None
            effective: Any = attributes.effective_delivery_policy(
                topic_policy, subscription.attributes.get("DeliveryPolicy")
            )
            out["EffectiveDeliveryPolicy"] = json.dumps(effective, separators=(",", ":"))
        return out


async def _insert(tx: Queries, s: Subscription, region: str) -> None:
    await tx.execute(
        "INSERT INTO sns_subscriptions (arn, topic_arn, account, region, protocol, endpoint, attributes, token, "
        "confirmed, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        s.arn,
        s.topic_arn,
        s.account,
        region,
        s.protocol,
        s.endpoint,
        json.dumps(s.attributes),
        s.token,
        int(s.confirmed),
        s.created,
    )
