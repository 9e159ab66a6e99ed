"""Topics: create (idempotent, as SNS's), read, change attributes and permissions, delete, list.

https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html and the pages of the other operations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.events.topics import attributes, names
from overcast.events.topics.errors import ResourceNotFound, TagLimitExceeded, invalid, topic_not_found
from overcast.events.topics.records import Topic
from overcast.kit import tags
from overcast.kit.pages import Keyset, Lists, PageLimits, fetch_page
from overcast.store import Queries, Row, Store

LISTS = Lists("sns", PageLimits(default=100, most=100), lambda token: invalid("NextToken"))
BY_ARN = Keyset.of(("arn", str))


def _tag_limit(arn: str) -> TagLimitExceeded:
    return TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")


TAG_RULES = tags.TagRules(too_many=_tag_limit, invalid=lambda message: invalid("Tags", message))


def row_to_topic(row: Row) -> Topic:
    return Topic(
        row["arn"],
        row["account"],
        row["region"],
        row["name"],
        json.loads(row["attributes"]),
        row["data_protection"],
        row["created"],
    )


async def find(q: Queries, arn: str) -> Topic | None:
    row = await q.fetch_one("SELECT * FROM sns_topics WHERE arn = ?", arn)
    return None if row is None else row_to_topic(row)


class Topics:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.tagging = tags.Tagging(store, self._resolve_tagged, TAG_RULES)

    async def _resolve_tagged(self, q: Queries, ctx: RequestContext, arn: str) -> str:
        if await find(q, names.owned(ctx, arn, "TagResource", "ResourceArn")) is None:
            raise ResourceNotFound("Resource does not exist")
        return arn

    async def get(self, ctx: RequestContext, arn: str, action: str = "GetTopicAttributes") -> Topic:
        topic = await find(self.store, names.owned(ctx, arn, action))
        if topic is None:
            raise topic_not_found()
        return topic

    async def create(
        self, ctx: RequestContext, name: str, given: Mapping[str, str], tag_set: Mapping[str, str], dpp: str
    ) -> str:
        fifo = given.get("FifoTopic", "false").lower() == "true"
        names.check_name(name, fifo)
        checked = {k: attributes.check_topic_attribute(k, v, fifo=fifo, creating=True) for k, v in given.items()}
        if not fifo:
            checked.pop("FifoTopic", None)
        arn = names.topic_arn(ctx, name)
        TAG_RULES.check(tag_set)
        if dpp:
            _check_data_protection(dpp)
        async with self.store.transaction() as tx:
            existing = await find(tx, arn)
            if existing is not None:  # CreateTopic is idempotent for the same attributes and tags
                if any(existing.attributes.get(k) != v for k, v in checked.items()):
                    raise invalid("Attributes", "Topic already exists with different attributes")
                if tag_set and await tags.read(tx, arn) != dict(tag_set):
                    raise invalid("Tags", "Topic already exists with different tags")
                return arn
            await tx.execute(
                "INSERT INTO sns_topics (arn, account, region, name, attributes, data_protection, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                arn,
                ctx.account_id,
                ctx.region,
                name,
                json.dumps(checked),
                dpp,
                self.clock.now(),
            )
            if tag_set:
                await tags.add(tx, arn, tag_set, TAG_RULES)
        return arn

    async def delete(self, ctx: RequestContext, arn: str) -> None:
        """Deleting a topic that does not exist succeeds, as on SNS; its subscriptions go with it."""
        names.owned(ctx, arn, "DeleteTopic")
        async with self.store.transaction() as tx:
            await tx.execute("DELETE FROM sns_subscriptions WHERE topic_arn = ?", arn)
            await tx.execute("DELETE FROM sns_topics WHERE arn = ?", arn)
            await tags.drop(tx, arn)

    async def listed(self, ctx: RequestContext, token: str | None) -> tuple[list[str], str | None]:
        paging = LISTS.start(ctx, BY_ARN.kinds, None, token)
        rows, following = await fetch_page(
            self.store,
            "SELECT arn FROM sns_topics WHERE account = ? AND region = ?",
            [ctx.account_id, ctx.region],
            BY_ARN,
            paging,
        )
        return [row["arn"] for row in rows], following

    async def set_attribute(self, ctx: RequestContext, arn: str, name: str, value: str) -> None:
        topic = await self.get(ctx, arn, "SetTopicAttributes")
        if name == "FifoTopic":
            raise invalid("AttributeName", "FifoTopic cannot be changed once the topic exists")
        value = attributes.check_topic_attribute(name, value, fifo=topic.fifo)
        await self._write(topic, {**topic.attributes, name: value})

    async def _write(self, topic: Topic, changed: Mapping[str, str]) -> None:
        await self.store.execute("UPDATE sns_topics SET attributes = ? WHERE arn = ?", json.dumps(changed), topic.arn)

    def policy(self, topic: Topic) -> dict[str, Any]:
        text = topic.attributes.get("Policy")
        return json.loads(text) if text else attributes.default_policy(topic.arn, topic.account)

    async def add_permission(
        self, ctx: RequestContext, arn: str, label: str, accounts: list[str], actions: list[str]
    ) -> None:
        """A statement `label` allowing `accounts` the `actions` (https://docs.aws.amazon.com/sns/latest/api/API_AddPermission.html)."""
        topic = await self.get(ctx, arn, "AddPermission")
        policy = self.policy(topic)
        if any(s.get("Sid") == label for s in policy["Statement"]):
            raise invalid("Statement already exists")
        principals = [f"arn:aws:iam::{account}:root" for account in accounts]
        policy["Statement"].append(
            {
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
                "Action": [f"SNS:{a}" for a in actions] if len(actions) > 1 else f"SNS:{actions[0]}",
                "Resource": arn,
            }
        )
        await self._write(topic, {**topic.attributes, "Policy": json.dumps(policy)})

    async def remove_permission(self, ctx: RequestContext, arn: str, label: str) -> None:
        topic = await self.get(ctx, arn, "RemovePermission")
        policy = self.policy(topic)
        kept = [s for s in policy["Statement"] if s.get("Sid") != label]
        if len(kept) != len(policy["Statement"]):
            await self._write(topic, {**topic.attributes, "Policy": json.dumps({**policy, "Statement": kept})})

    async def data_protection(self, ctx: RequestContext, arn: str) -> str:
        topic = await find(self.store, names.owned(ctx, arn, "GetDataProtectionPolicy", "ResourceArn"))
        if topic is None:
            raise ResourceNotFound("Resource does not exist")
        return topic.data_protection_policy

    async def put_data_protection(self, ctx: RequestContext, arn: str, policy: str) -> None:
        _check_data_protection(policy)
        await self.data_protection(ctx, arn)
        await self.store.execute("UPDATE sns_topics SET data_protection = ? WHERE arn = ?", policy, arn)


def _check_data_protection(policy: str) -> None:
    """Stored, not enforced: a JSON object with Name, Version and Statement, as the policy's syntax requires
    (https://docs.aws.amazon.com/sns/latest/dg/sns-message-data-protection-policies.html)."""
    try:
        parsed = json.loads(policy)
    except ValueError:
        raise invalid("DataProtectionPolicy", "failed to parse JSON.") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("Statement"), list):
        raise invalid("DataProtectionPolicy", "Policy must be a JSON object with a Statement array")
