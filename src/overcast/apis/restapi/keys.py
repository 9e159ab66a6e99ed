"""API keys: per account and region, each one row holding its ApiKey record, its tags in the kit's table.

A key may be attached to API stages directly (its stageKeys) besides the usage plans that grant
it stages (`plans`). Every mutation is one transaction and then calls `on_change`, so the data
plane's warm key lookups are dropped.
https://docs.aws.amazon.com/apigateway/latest/api/API_ApiKey.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence

from overcast.apis.errors import TAG_RULES, Conflict, NotFound
from overcast.apis.restapi import codec, patch
from overcast.apis.restapi.ids import new_id, new_key_value
from overcast.apis.restapi.pages import BY_CREATION, LISTS
from overcast.apis.restapi.patch import Field, PatchOperation
from overcast.apis.restapi.records import ApiKey
from overcast.apis.restapi.tags import NO_KEY, key_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.kit import tags
from overcast.kit.pages import fetch_page
from overcast.store import Row, Store

StageExists = Callable[[RequestContext, str, str], Awaitable[bool]]

KEY_SPEC: patch.Spec = {
    "/name": Field(("name",)),
    "/description": Field(("description",)),
    "/enabled": Field(("enabled",), "bool", removable=False),
    "/customerId": Field(("customer_id",)),
}


def key_of(row: Row) -> ApiKey:
    return codec.load(ApiKey, row["doc"])


class Keys:
    """CreateApiKey & co. Every lookup takes the caller's context and stays in its account and region."""

    def __init__(self, store: Store, clock: Clock, stage_exists: StageExists, on_change: Callable[[], None]) -> None:
        self.store = store
        self.clock = clock
        self._stage_exists = stage_exists
        self._on_change = on_change

    async def _check_stage_keys(self, ctx: RequestContext, stage_keys: Sequence[str]) -> None:
        for stage_key in stage_keys:
            api_id, _, stage = stage_key.partition("/")
            if not await self._stage_exists(ctx, api_id, stage):
                raise NotFound(f"Invalid stage identifier specified: {api_id}:{stage}")

    async def create(self, ctx: RequestContext, requested: ApiKey, tagged: Mapping[str, str]) -> ApiKey:
        """A new key as requested: its value generated unless one is given, its id and dates new."""
        value = requested.value or new_key_value()
        if len(value) < 20 or len(value) > 128:
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-basic-concept.html#apigateway-definition-api-key
            raise BadRequest("API Key value should be at least 20 characters")
        now = self.clock.now()
        key = dataclasses.replace(
            requested,
            id=new_id(),
            value=value,
            created_date=now,
            last_updated_date=now,
            stage_keys=_stage_keys(requested.stage_keys),
        )
        await self._check_stage_keys(ctx, key.stage_keys)
        async with self.store.transaction() as tx:
            if await tx.fetch_one(
                "SELECT id FROM apigw_keys WHERE value = ? AND account = ? AND region = ?", value, ctx.account_id,
                ctx.region,
            ):  # fmt: skip
                raise Conflict("API Key already exists")
            await tx.execute(
                "INSERT INTO apigw_keys (id, account, region, value, created, doc, name, customer_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                key.id, ctx.account_id, ctx.region, value, now, codec.dump(key), key.name, key.customer_id,
            )  # fmt: skip
            await tags.add(tx, key_arn(ctx.region, key.id), tagged, TAG_RULES)
        self._on_change()
        return key

    async def get(self, ctx: RequestContext, key_id: str) -> ApiKey:
        row = await self.store.fetch_one(
            "SELECT doc FROM apigw_keys WHERE id = ? AND account = ? AND region = ?", key_id, ctx.account_id, ctx.region
        )
        if row is None:
            raise NotFound(NO_KEY)
        return key_of(row)

    async def page(
        self,
        ctx: RequestContext,
        limit: int | None,
        position: str | None,
        name_query: str | None = None,
        customer_id: str | None = None,
    ) -> tuple[list[ApiKey], str | None]:
        """GetApiKeys: the caller's keys in creation order, those whose name starts with `name_query`
        and of `customer_id` when given."""
        sql = "SELECT doc, created, id FROM apigw_keys WHERE account = ? AND region = ?"
        params: list[object] = [ctx.account_id, ctx.region]
        if name_query:
            sql += " AND substr(name, 1, ?) = ?"
            params += [len(name_query), name_query]
        if customer_id:
            sql += " AND customer_id = ?"
            params.append(customer_id)
        rows, token = await fetch_page(
            self.store, sql, params, BY_CREATION,
            LISTS.start(ctx, BY_CREATION.kinds, limit, position, name_query or "", customer_id or ""),
        )  # fmt: skip
        return [key_of(r) for r in rows], token

    async def update(self, ctx: RequestContext, key_id: str, ops: list[PatchOperation]) -> ApiKey:
        key = await self.get(ctx, key_id)
        changed = patch.apply(key, ops, KEY_SPEC, _stage_key_op)
        await self._check_stage_keys(ctx, [k for k in changed.stage_keys if k not in key.stage_keys])
        changed = dataclasses.replace(changed, last_updated_date=self.clock.now())
        await self.store.execute(
            "UPDATE apigw_keys SET doc = ?, name = ?, customer_id = ? WHERE id = ?",
            codec.dump(changed), changed.name, changed.customer_id, key_id,
        )  # fmt: skip
        self._on_change()
        return changed

    async def delete(self, ctx: RequestContext, key_id: str) -> None:
        async with self.store.transaction() as tx:
            gone = await tx.execute(
                "DELETE FROM apigw_keys WHERE id = ? AND account = ? AND region = ?", key_id, ctx.account_id, ctx.region
            )
            if not gone:
                raise NotFound(NO_KEY)
            await tx.execute("DELETE FROM apigw_plan_keys WHERE key_id = ?", key_id)
            await tags.drop(tx, key_arn(ctx.region, key_id))
        self._on_change()


def _stage_keys(given: Sequence[str]) -> tuple[str, ...]:
    """CreateApiKey's stage keys as "restApiId/stageName", each checked and kept once."""
    found: list[str] = []
    for stage_key in given:
        api_id, _, stage = stage_key.partition("/")
        if not api_id or not stage:
            raise BadRequest("Invalid stage key: both restApiId and stageName are required")
        if stage_key not in found:
            found.append(stage_key)
    return tuple(found)


def _stage_key_op(key: ApiKey, op: PatchOperation) -> ApiKey | None:
    """`/stages` with value "restApiId/stageName": attach the key to a stage, or detach it."""
    if op.path != "/stages":
        return None
    api_id, _, stage = (op.value or "").partition("/")
    if not api_id or not stage:
        raise BadRequest("Invalid stage key: the value must be <restApiId>/<stageName>")
    stage_key = f"{api_id}/{stage}"
    if op.op == "add":
        if stage_key in key.stage_keys:
            return key
        return dataclasses.replace(key, stage_keys=(*key.stage_keys, stage_key))
    if op.op == "remove":
        if stage_key not in key.stage_keys:
            raise NotFound(f"Invalid stage identifier specified: {api_id}:{stage}")
        return dataclasses.replace(key, stage_keys=tuple(k for k in key.stage_keys if k != stage_key))
    raise BadRequest(f"Invalid patch operation specified for path {op.path}")
