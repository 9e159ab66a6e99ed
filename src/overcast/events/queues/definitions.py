"""Queue definitions in the store: create, find, list, change and delete, scoped to the caller's account and region."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.events.queues import addresses, attributes
from overcast.events.queues.errors import AccessDenied, InvalidParameterValue, QueueDoesNotExist, QueueNameExists
from overcast.events.queues.records import Queue
from overcast.kit import tags
from overcast.kit.pages import Keyset, Lists, PageLimits, fetch_page
from overcast.store import Queries, Row, Store

# ListQueues: up to 1,000 queues; MaxResults 1-1,000.
# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html
LISTS = Lists(
    "sqs", PageLimits(default=1000, most=1000), lambda token: InvalidParameterValue("Invalid NextToken value.")
)
_ORDER = Keyset.of(("name", str))
TAG_RULES = tags.TagRules(
    too_many=lambda arn: InvalidParameterValue("Too many tags added for queue."),
    invalid=InvalidParameterValue,
)


def _row(row: Row) -> Queue:
    return Queue(
        id=row["id"],
        account=row["account"],
        region=row["region"],
        name=row["name"],
        attributes=json.loads(row["attributes"]),
        created=float(row["created"]),
        modified=float(row["modified"]),
    )


class Definitions:
    """The store's side of SQS: what queues exist and their attributes.

    Queues found are kept in memory (every SendMessage, ReceiveMessage and DeleteMessage names its queue;
    a store read each time cost a third of their throughput) and forgotten when this node changes or deletes
    them. Like the queues' in-flight state (backlog.py), this assumes one node serves SQS.
    """

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._known: dict[tuple[str, str, str], Queue] = {}

    def _forget(self, queue: Queue) -> None:
        self._known.pop((queue.account, queue.region, queue.name), None)

    async def find(self, ctx: RequestContext, reference: str, q: Queries | None = None) -> Queue:
        """The caller's queue named by `reference` (URL, ARN or name). Another account's queue answers
        AccessDenied: queue policies that grant other accounts are stored, not yet evaluated."""
        address = addresses.parse(reference)
        if address is None:
            raise QueueDoesNotExist()
        if address.account is not None and address.account != ctx.account_id:
            raise AccessDenied(f"Access to the resource {reference} is denied.")
        key = (ctx.account_id, ctx.region, address.name)
        known = self._known.get(key) if q is None else None
        if known is not None:
            return known
        row = await (q or self.store).fetch_one(
            "SELECT * FROM sqs_queues WHERE account = ? AND region = ? AND name = ?",
            ctx.account_id,
            ctx.region,
            address.name,
        )
        if row is None:
            raise QueueDoesNotExist()
        found = _row(row)
        if q is None:
            self._known[key] = found
        return found

    async def _check_redrive(
        self,
        ctx: RequestContext,
        values: Mapping[str, str],
        given: Mapping[str, str],
        fifo: bool,
        source: str,
        q: Queries | None = None,
    ) -> None:
        """A RedrivePolicy names an existing queue of the same type whose RedriveAllowPolicy admits this one.
        https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html"""
        if not given.get("RedrivePolicy"):
            return
        target_arn = json.loads(values["RedrivePolicy"])["deadLetterTargetArn"]
        target = await self.by_arn(target_arn, q)
        if target is None or target.account != ctx.account_id or target.region != ctx.region:
            raise attributes.invalid("RedrivePolicy", "Dead letter target does not exist.")
        if target.fifo != fifo:
            raise attributes.invalid(
                "RedrivePolicy", "Dead-letter target must be the same type of queue as the source."
            )
        allow = json.loads(target.attributes.get("RedriveAllowPolicy") or '{"redrivePermission": "allowAll"}')
        permission = allow.get("redrivePermission")
        if permission == "denyAll" or (permission == "byQueue" and source not in allow.get("sourceQueueArns", [])):
            raise attributes.invalid("RedrivePolicy", f"Queue {target_arn} does not allow this queue as a source.")

    async def by_arn(self, arn: str, q: Queries | None = None) -> Queue | None:
        row = await (q or self.store).fetch_one("SELECT * FROM sqs_queues WHERE arn = ?", arn)
        return None if row is None else _row(row)

    async def by_id(self, queue_id: str) -> Queue | None:
        row = await self.store.fetch_one("SELECT * FROM sqs_queues WHERE id = ?", queue_id)
        return None if row is None else _row(row)

    async def create(
        self, ctx: RequestContext, name: str, given: Mapping[str, str], tagged: Mapping[str, str]
    ) -> tuple[Queue, bool]:
        """The queue, and whether it was created now (False: it existed with the same attributes)."""
        fifo = str(given.get("FifoQueue", "false")).lower() == "true"
        if not addresses.valid_name(name, fifo):
            raise InvalidParameterValue(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
                "must end with .fifo suffix and be 1 to 80 in length."
                if fifo or name.endswith(".fifo")
                else "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
            )
        values = {**attributes.defaults(fifo), **attributes.checked(given, fifo, creating=True)}
        attributes.check_together(values)
        await self._check_redrive(ctx, values, given, fifo, Queue("", ctx.account_id, ctx.region, name).arn)
        TAG_RULES.check(tagged)
        now = self.clock.now()
        async with self.store.transaction() as tx:
            existing = await tx.fetch_one(
                "SELECT * FROM sqs_queues WHERE account = ? AND region = ? AND name = ?",
                ctx.account_id,
                ctx.region,
                name,
            )
            if existing is not None:
                queue = _row(existing)
                differing = [
                    k for k, v in attributes.checked(given, fifo, True).items() if queue.attributes.get(k) != v
                ]
                if differing:
                    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
                    raise QueueNameExists(
                        f"A queue already exists with the same name and a different value for attribute {differing[0]}"
                    )
                return queue, False
            queue = Queue(uuid.uuid4().hex[:20], ctx.account_id, ctx.region, name, values, now, now)
            await tx.execute(
                "INSERT INTO sqs_queues (arn, id, account, region, name, attributes, created, modified) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                queue.arn,
                queue.id,
                queue.account,
                queue.region,
                queue.name,
                json.dumps(values),
                now,
                now,
            )
            if tagged:
                await tags.add(tx, queue.arn, tagged, TAG_RULES)
        return queue, True

    async def update(self, ctx: RequestContext, reference: str, given: Mapping[str, str]) -> Queue:
        async with self.store.transaction() as tx:
            queue = await self.find(ctx, reference, tx)
            values = {**queue.attributes, **attributes.checked(given, queue.fifo, creating=False)}
            attributes.check_together(values)
            await self._check_redrive(ctx, values, given, queue.fifo, queue.arn, tx)
            now = self.clock.now()
            await tx.execute(
                "UPDATE sqs_queues SET attributes = ?, modified = ? WHERE arn = ?", json.dumps(values), now, queue.arn
            )
            self._forget(queue)
        self._forget(queue)  # again: a find that read the old row meanwhile may have kept it
        return Queue(queue.id, queue.account, queue.region, queue.name, values, queue.created, now)

    async def delete(self, ctx: RequestContext, reference: str) -> Queue:
        async with self.store.transaction() as tx:
            queue = await self.find(ctx, reference, tx)
            await tx.execute("DELETE FROM sqs_queues WHERE arn = ?", queue.arn)
            await tx.execute("DELETE FROM sqs_move_tasks WHERE source_arn = ?", queue.arn)
            await tags.drop(tx, queue.arn)
            self._forget(queue)
        self._forget(queue)
        return queue

    async def page(
        self, ctx: RequestContext, prefix: str, size: int | None, token: str | None
    ) -> tuple[list[Queue], str | None]:
        paging = LISTS.start(ctx, (str,), size, token, prefix)
        select = "SELECT * FROM sqs_queues WHERE account = ? AND region = ?"
        params: list[object] = [ctx.account_id, ctx.region]
        if prefix:
            select += " AND substr(name, 1, ?) = ?"
            params += [len(prefix), prefix]
        rows, next_token = await fetch_page(self.store, select, params, _ORDER, paging)
        return [_row(row) for row in rows], next_token

    async def sources_of(self, ctx: RequestContext, target: Queue) -> list[Queue]:
        """The queues whose RedrivePolicy names `target` as their dead-letter queue."""
        rows = await self.store.fetch_all(
            "SELECT * FROM sqs_queues WHERE account = ? AND region = ? ORDER BY name", ctx.account_id, ctx.region
        )
        found = []
        for queue in map(_row, rows):
            policy = queue.attributes.get("RedrivePolicy")
            if policy and json.loads(policy).get("deadLetterTargetArn") == target.arn:
                found.append(queue)
        return found

    async def tag(self, ctx: RequestContext, reference: str, given: Mapping[str, str]) -> None:
        async with self.store.transaction() as tx:
            await tags.add(tx, (await self.find(ctx, reference, tx)).arn, given, TAG_RULES)

    async def untag(self, ctx: RequestContext, reference: str, keys: list[str]) -> None:
        async with self.store.transaction() as tx:
            await tags.remove(tx, (await self.find(ctx, reference, tx)).arn, keys, TAG_RULES)

    async def tags(self, ctx: RequestContext, reference: str) -> dict[str, str]:
        queue = await self.find(ctx, reference)
        return await tags.read(self.store, queue.arn)
