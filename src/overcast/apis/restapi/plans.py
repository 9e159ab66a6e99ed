"""Usage plans and their keys, and which plan grants a key an API stage (the data plane's question).

Plans are per account and region, each one row holding its UsagePlan record, its tags in the
kit's table; a plan's keys are rows of apigw_plan_keys. Every mutation is one transaction and
then calls `on_change`, so the data plane's warm key lookups are dropped.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from overcast.apis.deployed import KeyPlan, Quota, Throttle
from overcast.apis.errors import TAG_RULES, Conflict, NotFound
from overcast.apis.restapi import codec, patch
from overcast.apis.restapi.ids import new_id
from overcast.apis.restapi.keys import Keys, StageExists, key_of
from overcast.apis.restapi.pages import BY_CREATION, LISTS
from overcast.apis.restapi.patch import Field, PatchOperation
from overcast.apis.restapi.records import ApiKey, ApiStage, QuotaSettings, ThrottleSettings, UsagePlan
from overcast.apis.restapi.tags import NO_PLAN, plan_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.kit import tags
from overcast.kit.pages import fetch_page
from overcast.store import Store

PERIODS = ("DAY", "WEEK", "MONTH")
PLAN_SPEC: patch.Spec = {
    "/name": Field(("name",), removable=False),
    "/description": Field(("description",)),
    "/productCode": Field(("product_code",)),
    "/throttle/rateLimit": Field(("throttle", "rate_limit"), "float"),
    "/throttle/burstLimit": Field(("throttle", "burst_limit"), "int"),
    "/throttle": Field(("throttle",), "object"),
    "/quota/limit": Field(("quota", "limit"), "int"),
    "/quota/period": Field(("quota", "period"), choices=PERIODS),
    "/quota/offset": Field(("quota", "offset"), "int"),
    "/quota": Field(("quota",), "object"),
}
NO_PLAN_KEY = "Invalid Usage Plan Key identifier specified"


def quota_of(plan: UsagePlan) -> Quota | None:
    q = plan.quota
    return Quota(int(q.limit or 0), q.period or "DAY", int(q.offset or 0)) if q is not None else None


def _throttle(t: ThrottleSettings | None) -> Throttle | None:
    if t is None or t == ThrottleSettings():
        return None
    return Throttle(float(t.rate_limit or 0.0), int(t.burst_limit or 0))


def _check_plan(plan: UsagePlan) -> UsagePlan:
    q = plan.quota if plan.quota != QuotaSettings() else None
    if q is not None:
        if q.period not in PERIODS or q.limit is None:
            raise BadRequest("Invalid quota: a quota needs a limit and a period of DAY, WEEK or MONTH")
        if q.limit < 0:
            raise BadRequest("Quota limit should be greater than or equal to 0")
        highest = {"DAY": 0, "WEEK": 6, "MONTH": 27}[q.period]
        if not 0 <= (q.offset or 0) <= highest:
            raise BadRequest(f"Quota offset must be between 0 and {highest} for period {q.period}")
        q = dataclasses.replace(q, offset=q.offset or 0)
    t = plan.throttle if plan.throttle != ThrottleSettings() else None
    if t is not None and ((t.rate_limit or 0) < 0 or (t.burst_limit or 0) < 0):
        raise BadRequest("Throttle limits must not be negative")
    seen = set()
    for st in plan.api_stages:
        if (st.api_id, st.stage) in seen:
            raise Conflict(f"API Stage {st.api_id}:{st.stage} is already in this usage plan")
        seen.add((st.api_id, st.stage))
    return dataclasses.replace(plan, quota=q, throttle=t)


class Plans:
    """CreateUsagePlan & co. and the usage plan keys. Every lookup stays in the caller's account and region."""

    def __init__(
        self, store: Store, clock: Clock, keys: Keys, stage_exists: StageExists, on_change: Callable[[], None]
    ) -> None:
        self.store = store
        self.clock = clock
        self.keys = keys
        self._stage_exists = stage_exists
        self._on_change = on_change

    async def _check_stages(self, ctx: RequestContext, plan: UsagePlan) -> None:
        for st in plan.api_stages:
            if not await self._stage_exists(ctx, st.api_id, st.stage):
                raise NotFound(f"Invalid stage identifier specified: {st.api_id}:{st.stage}")

    async def create(self, ctx: RequestContext, requested: UsagePlan, tagged: Mapping[str, str]) -> UsagePlan:
        if not requested.name:
            raise BadRequest("Usage plan name must be non-empty")
        plan = _check_plan(dataclasses.replace(requested, id=new_id(6)))
        await self._check_stages(ctx, plan)
        async with self.store.transaction() as tx:
            await tx.execute(
                "INSERT INTO apigw_plans (id, account, region, created, doc) VALUES (?, ?, ?, ?, ?)",
                plan.id, ctx.account_id, ctx.region, self.clock.now(), codec.dump(plan),
            )  # fmt: skip
            await tags.add(tx, plan_arn(ctx.region, plan.id), tagged, TAG_RULES)
        self._on_change()
        return plan

    async def get(self, ctx: RequestContext, plan_id: str) -> UsagePlan:
        row = await self.store.fetch_one(
            "SELECT doc FROM apigw_plans WHERE id = ? AND account = ? AND region = ?",
            plan_id, ctx.account_id, ctx.region,
        )  # fmt: skip
        if row is None:
            raise NotFound(NO_PLAN)
        return codec.load(UsagePlan, row["doc"])

    async def page(
        self, ctx: RequestContext, limit: int | None, position: str | None, key_id: str | None = None
    ) -> tuple[list[UsagePlan], str | None]:
        """GetUsagePlans: the caller's plans in creation order, those granting `key_id` when given."""
        sql = "SELECT doc, created, id FROM apigw_plans WHERE account = ? AND region = ?"
        params: list[object] = [ctx.account_id, ctx.region]
        if key_id:
            sql += " AND id IN (SELECT plan_id FROM apigw_plan_keys WHERE key_id = ?)"
            params.append(key_id)
        rows, token = await fetch_page(
            self.store, sql, params, BY_CREATION, LISTS.start(ctx, BY_CREATION.kinds, limit, position, key_id or "")
        )
        return [codec.load(UsagePlan, r["doc"]) for r in rows], token

    async def update(self, ctx: RequestContext, plan_id: str, ops: list[PatchOperation]) -> UsagePlan:
        plan = _check_plan(patch.apply(await self.get(ctx, plan_id), ops, PLAN_SPEC, _api_stage_op))
        await self._check_stages(ctx, plan)
        await self.store.execute("UPDATE apigw_plans SET doc = ? WHERE id = ?", codec.dump(plan), plan_id)
        self._on_change()
        return plan

    async def delete(self, ctx: RequestContext, plan_id: str) -> None:
        async with self.store.transaction() as tx:
            gone = await tx.execute(
                "DELETE FROM apigw_plans WHERE id = ? AND account = ? AND region = ?",
                plan_id, ctx.account_id, ctx.region,
            )  # fmt: skip
            if not gone:
                raise NotFound(NO_PLAN)
            await tx.execute("DELETE FROM apigw_plan_keys WHERE plan_id = ?", plan_id)
            await tags.drop(tx, plan_arn(ctx.region, plan_id))
        self._on_change()

    # -- usage plan keys ------------------------------------------------------------------------

    async def add_key(self, ctx: RequestContext, plan_id: str, key_id: str, key_type: str) -> ApiKey:
        if key_type != "API_KEY":
            raise BadRequest("Invalid key type specified. Must be API_KEY")
        await self.get(ctx, plan_id)
        key = await self.keys.get(ctx, key_id)
        async with self.store.transaction() as tx:
            existing = await tx.fetch_one(
                "SELECT key_id FROM apigw_plan_keys WHERE plan_id = ? AND key_id = ?", plan_id, key_id
            )
            if existing is not None:
                raise Conflict(f"Usage Plan {plan_id} cannot be added because API Key {key_id} is already associated")
            await tx.execute("INSERT INTO apigw_plan_keys (plan_id, key_id) VALUES (?, ?)", plan_id, key_id)
        self._on_change()
        return key

    async def key(self, ctx: RequestContext, plan_id: str, key_id: str) -> ApiKey:
        await self.get(ctx, plan_id)
        row = await self.store.fetch_one(
            "SELECT key_id FROM apigw_plan_keys WHERE plan_id = ? AND key_id = ?", plan_id, key_id
        )
        if row is None:
            raise NotFound(NO_PLAN_KEY)
        return await self.keys.get(ctx, key_id)

    async def keys_page(
        self, ctx: RequestContext, plan_id: str, limit: int | None, position: str | None, name_query: str | None = None
    ) -> tuple[list[ApiKey], str | None]:
        """GetUsagePlanKeys (and GetUsage's keys): the plan's keys in creation order."""
        await self.get(ctx, plan_id)
        sql = (
            "SELECT k.doc AS doc, k.created AS created, k.id AS id FROM apigw_keys k "
            "JOIN apigw_plan_keys p ON p.key_id = k.id WHERE p.plan_id = ?"
        )
        params: list[object] = [plan_id]
        if name_query:
            sql += " AND substr(k.name, 1, ?) = ?"
            params += [len(name_query), name_query]
        rows, token = await fetch_page(
            self.store, sql, params, BY_CREATION,
            LISTS.start(ctx, BY_CREATION.kinds, limit, position, plan_id, name_query or ""),
        )  # fmt: skip
        return [key_of(r) for r in rows], token

    async def remove_key(self, ctx: RequestContext, plan_id: str, key_id: str) -> None:
        await self.get(ctx, plan_id)
        gone = await self.store.execute("DELETE FROM apigw_plan_keys WHERE plan_id = ? AND key_id = ?", plan_id, key_id)
        if not gone:
            raise NotFound(NO_PLAN_KEY)
        self._on_change()

    # -- the data plane's question --------------------------------------------------------------

    async def key_plan(self, account: str, region: str, api_id: str, stage: str, value: str) -> KeyPlan | None:
        """The usage plan granting the key this stage; else, if the key is attached to the stage itself
        (its stageKeys), a grant with no plan, throttle or quota: "callers with the API key can make
        requests to that stage" (https://docs.aws.amazon.com/apigateway/latest/api/API_ApiKey.html)."""
        rows = await self.store.fetch_all(
            "SELECT doc FROM apigw_keys WHERE value = ? AND account = ? AND region = ?", value, account, region
        )
        for key in map(key_of, rows):
            if not key.enabled:
                continue
            plans = await self.store.fetch_all(
                "SELECT p.doc AS doc FROM apigw_plans p JOIN apigw_plan_keys k ON k.plan_id = p.id "
                "WHERE k.key_id = ? ORDER BY p.created, p.id",
                key.id,
            )
            for plan in (codec.load(UsagePlan, r["doc"]) for r in plans):
                for st in plan.api_stages:
                    if st.api_id == api_id and st.stage == stage:
                        methods = tuple(
                            (path, t) for path, raw in sorted((st.throttle or {}).items()) if (t := _throttle(raw))
                        )
                        return KeyPlan(
                            key_id=key.id,
                            key_value=value,
                            plan_id=plan.id,
                            throttle=_throttle(plan.throttle),
                            quota=quota_of(plan),
                            method_throttles=methods,
                        )
            if f"{api_id}/{stage}" in key.stage_keys:
                return KeyPlan(key_id=key.id, key_value=value, plan_id="")
        return None


def _api_stage_op(plan: UsagePlan, op: PatchOperation) -> UsagePlan | None:
    """`/apiStages` with value "apiId:stage" (add/remove a stage), and a stage's method throttles:
    `/apiStages/<apiId>:<stage>/throttle/<~1resource~1path>/<METHOD>/(rateLimit|burstLimit)`.
    https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html#UpdateUsagePlan-Patch
    """
    segs = op.path.split("/")[1:]
    if not segs or segs[0] != "apiStages":
        return None
    stages = plan.api_stages
    if len(segs) == 1:
        api_id, _, stage = (op.value or "").partition(":")
        if not api_id or not stage:
            raise BadRequest("Invalid API Stage specified: the value must be <apiId>:<stageName>")
        matching = [s for s in stages if s.api_id == api_id and s.stage == stage]
        if op.op == "add":
            if matching:
                raise Conflict(f"API Stage {api_id}:{stage} is already in this usage plan")
            return dataclasses.replace(plan, api_stages=(*stages, ApiStage(api_id, stage)))
        if op.op == "remove":
            if not matching:
                raise NotFound(f"API Stage {api_id}:{stage} is not in this usage plan")
            return dataclasses.replace(plan, api_stages=tuple(s for s in stages if s is not matching[0]))
        raise BadRequest(f"Invalid patch operation specified for path {op.path}")
    api_id, _, stage = segs[1].partition(":")
    target = next((s for s in stages if s.api_id == api_id and s.stage == stage), None)
    if target is None or len(segs) < 3 or segs[2] != "throttle" or len(segs) not in (5, 6):
        raise BadRequest(f"Invalid patch path {op.path}")
    method_key = patch.unescape(segs[3]) + "/" + segs[4]
    throttles = dict(target.throttle or {})
    if len(segs) == 5:
        if op.op != "remove":
            raise BadRequest(f"Invalid patch path {op.path}")
        throttles.pop(method_key, None)
    else:
        member = {"rateLimit": "rate_limit", "burstLimit": "burst_limit"}.get(segs[5])
        if member is None:
            raise BadRequest(f"Invalid patch path {op.path}")
        value = None
        if op.op != "remove":
            value = patch.convert(Field((member,), "float" if member == "rate_limit" else "int"), op.path, op.value)
        throttles[method_key] = dataclasses.replace(throttles.get(method_key) or ThrottleSettings(), **{member: value})
    changed = dataclasses.replace(target, throttle=throttles)
    return dataclasses.replace(plan, api_stages=tuple(changed if s is target else s for s in stages))
