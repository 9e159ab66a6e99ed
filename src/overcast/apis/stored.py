"""Stored records: API Gateway's resources that are kept and returned but change nothing Overcast serves.

VPC links (both APIs), client certificates, documentation parts and the account's settings are
records AWS keeps for templates and SDKs to read back. They live in one table, by kind and by scope
(the REST API a documentation part belongs to, "" for account-level ones), in the caller's account
and region, one row a record as JSON; each change is one transaction. A kind with an ARN path
(`/vpclinks/<id>`) keeps its records' tags in the kit's table under that ARN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Generic, TypeVar

from overcast.apis.errors import TAG_RULES
from overcast.apis.restapi import codec
from overcast.arn import format_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.kit import tags
from overcast.store import MigrationStep, Queries, Store

R = TypeVar("R")

STEPS: list[MigrationStep] = [
    "CREATE TABLE apistored_records (account TEXT NOT NULL, region TEXT NOT NULL, kind TEXT NOT NULL, "
    "scope TEXT NOT NULL, item_id TEXT NOT NULL, body TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (account, region, kind, scope, item_id))",
]

_WHERE = "WHERE account = ? AND region = ? AND kind = ? AND scope = ?"


class StoredRecords(Generic[R]):
    """One kind of record (`kind`, of class `cls`) and its not-found error."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        kind: str,
        cls: type[R],
        missing: Callable[[str], AwsError],
        arn_path: str = "",
    ) -> None:
        self.store = store
        self.clock = clock
        self.kind = kind
        self.cls = cls
        self.missing = missing
        self.arn_path = arn_path  # "vpclinks": a record's ARN is arn:...:apigateway:<region>::/vpclinks/<id>

    async def start(self) -> None:
        await tags.migrate(self.store)
        await self.store.migrate("apistored", STEPS)

    def arn(self, ctx: RequestContext, item_id: str) -> str:
        return format_arn("apigateway", ctx.region, "", f"/{self.arn_path}/{item_id}")

    async def add(
        self, ctx: RequestContext, item_id: str, record: R, scope: str = "", tagged: Mapping[str, str] | None = None
    ) -> R:
        async with self.store.transaction() as tx:
            await tx.execute(
                "INSERT INTO apistored_records (account, region, kind, scope, item_id, body, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                ctx.account_id, ctx.region, self.kind, scope, item_id, codec.dump(record), self.clock.now(),
            )  # fmt: skip
            if self.arn_path:
                await tags.add(tx, self.arn(ctx, item_id), tagged or {}, TAG_RULES)
        return record

    async def tags_of(self, ctx: RequestContext, item_id: str) -> dict[str, str]:
        return await tags.read(self.store, self.arn(ctx, item_id))

    async def find(self, ctx: RequestContext, item_id: str, scope: str = "") -> R | None:
        row = await self.store.fetch_one(
            f"SELECT body FROM apistored_records {_WHERE} AND item_id = ?",
            ctx.account_id, ctx.region, self.kind, scope, item_id,
        )  # fmt: skip
        return None if row is None else codec.load(self.cls, row["body"])

    async def get(self, ctx: RequestContext, item_id: str, scope: str = "") -> R:
        found = await self.find(ctx, item_id, scope)
        if found is None:
            raise self.missing(item_id)
        return found

    async def change(self, ctx: RequestContext, item_id: str, fn: Callable[[R], R], scope: str = "") -> R:
        """The record `fn` makes of the stored one, stored in its place (in one transaction)."""
        async with self.store.transaction() as tx:
            where = (ctx.account_id, ctx.region, self.kind, scope, item_id)
            row = await tx.fetch_one(f"SELECT body FROM apistored_records {_WHERE} AND item_id = ?", *where)
            if row is None:
                raise self.missing(item_id)
            changed = fn(codec.load(self.cls, row["body"]))
            await tx.execute(
                f"UPDATE apistored_records SET body = ? {_WHERE} AND item_id = ?", codec.dump(changed), *where
            )
        return changed

    async def all(self, ctx: RequestContext, scope: str = "") -> list[R]:
        """Every record of the kind in the scope, oldest first."""
        rows = await self.store.fetch_all(
            f"SELECT body FROM apistored_records {_WHERE} ORDER BY created, item_id",
            ctx.account_id, ctx.region, self.kind, scope,
        )  # fmt: skip
        return [codec.load(self.cls, row["body"]) for row in rows]

    async def delete(self, ctx: RequestContext, item_id: str, scope: str = "") -> None:
        async with self.store.transaction() as tx:
            deleted = await tx.execute(
                f"DELETE FROM apistored_records {_WHERE} AND item_id = ?",
                ctx.account_id, ctx.region, self.kind, scope, item_id,
            )  # fmt: skip
            if not deleted:
                raise self.missing(item_id)
            if self.arn_path:
                await tags.drop(tx, self.arn(ctx, item_id))

    async def rewrite(
        self, ctx: RequestContext, scope: str, fn: Callable[[list[R]], Sequence[tuple[str, R]]]
    ) -> None:
        """The scope's records replaced by those `fn` makes of them (as (id, record)), in one transaction; a
        record keeping its id keeps its place in `all`."""
        async with self.store.transaction() as tx:
            where = (ctx.account_id, ctx.region, self.kind, scope)
            rows = await tx.fetch_all(f"SELECT item_id, body, created FROM apistored_records {_WHERE}", *where)
            created = {row["item_id"]: row["created"] for row in rows}
            every = sorted(rows, key=lambda row: (row["created"], row["item_id"]))
            made = fn([codec.load(self.cls, row["body"]) for row in every])
            await tx.execute(f"DELETE FROM apistored_records {_WHERE}", *where)
            now = self.clock.now()
            for index, (item_id, record) in enumerate(made):  # new records in the order given
                await tx.execute(
                    "INSERT INTO apistored_records (account, region, kind, scope, item_id, body, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    *where, item_id, codec.dump(record), created.get(item_id, now + index * 1e-6),
                )  # fmt: skip

    async def delete_scope(self, ctx: RequestContext, scope: str) -> None:
        await self.store.execute(
            f"DELETE FROM apistored_records {_WHERE}", ctx.account_id, ctx.region, self.kind, scope
        )


async def stored_exists(q: Queries, ctx: RequestContext, kinds: Sequence[str], item_id: str) -> bool:
    """Whether the caller has an account-level record of one of `kinds` with this id (for its tags' ARN)."""
    marks = ", ".join("?" for _ in kinds)
    found = await q.fetch_one(
        f"SELECT item_id FROM apistored_records WHERE account = ? AND region = ? AND kind IN ({marks}) "
        "AND scope = '' AND item_id = ?",
        ctx.account_id, ctx.region, *kinds, item_id,
    )  # fmt: skip
    return found is not None
