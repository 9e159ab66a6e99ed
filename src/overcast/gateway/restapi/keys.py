"""API keys, usage plans and usage plan keys, and which plan grants a key an API stage.

Keys and plans are per account and region, each one row holding its AWS shape as JSON; a plan's
keys are rows of apigw_plan_keys. Every mutation is one transaction and then calls `on_change`,
so the data plane's warm key lookups are dropped.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable
from typing import Any

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.gateway.deployed import KeyPlan, Quota, Throttle
from overcast.gateway.errors import Conflict, NotFound
from overcast.gateway.restapi import patch
from overcast.gateway.restapi.ids import new_id, new_key_value
from overcast.gateway.restapi.patch import Field, PatchOperation
from overcast.store import Store

Doc = dict[str, Any]
StageExists = Callable[[RequestContext, str, str], Awaitable[bool]]

PERIODS = ("DAY", "WEEK", "MONTH")
KEY_SPEC: patch.Spec = {
    "/name": Field(("name",)),
    "/description": Field(("description",)),
    "/enabled": Field(("enabled",), "bool", removable=False),
    "/customerId": Field(("customerId",)),
}
PLAN_SPEC: patch.Spec = {
    "/name": Field(("name",), removable=False),
    "/description": Field(("description",)),
    "/productCode": Field(("productCode",)),
    "/throttle/rateLimit": Field(("throttle", "rateLimit"), "float"),
    "/throttle/burstLimit": Field(("throttle", "burstLimit"), "int"),
    "/throttle": Field(("throttle",), "map"),
    "/quota/limit": Field(("quota", "limit"), "int"),
    "/quota/period": Field(("quota", "period"), choices=PERIODS),
    "/quota/offset": Field(("quota", "offset"), "int"),
    "/quota": Field(("quota",), "map"),
}


def key_view(key: Doc, include_value: bool) -> Doc:
    out = copy.deepcopy(key)
    if not include_value:
        out.pop("value", None)
    return out


def quota_of(plan: Doc) -> Quota | None:
    q = plan.get("quota")
    return Quota(int(q["limit"]), q["period"], int(q.get("offset", 0))) if q else None


def _throttle(t: Doc | None) -> Throttle | None:
    if not t:
        return None
    return Throttle(float(t.get("rateLimit", 0.0)), int(t.get("burstLimit", 0)))


def _check_plan(plan: Doc) -> None:
    q = plan.get("quota")
    if q:
        if q.get("period") not in PERIODS or "limit" not in q:
            raise BadRequest("Invalid quota: a quota needs a limit and a period of DAY, WEEK or MONTH")
        if q["limit"] < 0:
            raise BadRequest("Quota limit should be greater than or equal to 0")
        highest = {"DAY": 0, "WEEK": 6, "MONTH": 27}[q["period"]]
        if not 0 <= q.get("offset", 0) <= highest:
            raise BadRequest(f"Quota offset must be between 0 and {highest} for period {q['period']}")
        q.setdefault("offset", 0)
    else:
        plan.pop("quota", None)
    t = plan.get("throttle")
    if t:
        if t.get("rateLimit", 0) < 0 or t.get("burstLimit", 0) < 0:
            raise BadRequest("Throttle limits must not be negative")
    else:
        plan.pop("throttle", None)
    seen = set()
    for st in plan.get("apiStages") or []:
        pair = (st.get("apiId"), st.get("stage"))
        if pair in seen:
            raise Conflict(f"API Stage {pair[0]}:{pair[1]} is already in this usage plan")
        seen.add(pair)


class Keys:
    def __init__(self, store: Store, clock: Clock, stage_exists: StageExists, on_change: Callable[[], None]) -> None:
        self.store = store
        self.clock = clock
        self._stage_exists = stage_exists
        self._on_change = on_change

    # -- API keys -------------------------------------------------------------------------------

    async def _check_stage_keys(self, ctx: RequestContext, stage_keys: list[str]) -> None:
        for stage_key in stage_keys:
            api_id, _, stage = stage_key.partition("/")
            if not await self._stage_exists(ctx, api_id, stage):
                raise NotFound(f"Invalid stage identifier specified: {api_id}:{stage}")

    async def create_key(self, ctx: RequestContext, params: dict[str, Any]) -> Doc:
        value = params.get("value") or new_key_value()
        if len(value) < 20 or len(value) > 128:
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-basic-concept.html#apigateway-definition-api-key
            raise BadRequest("API Key value should be at least 20 characters")
        now = self.clock.now()
        key: Doc = {
            "id": new_id(),
            "value": value,
            "enabled": bool(params.get("enabled", False)),
            "createdDate": now,
            "lastUpdatedDate": now,
            "stageKeys": _stage_keys(params.get("stageKeys") or []),
            "tags": dict(params.get("tags") or {}),
        }
        for name in ("name", "description", "customerId"):
            if params.get(name) is not None:
                key[name] = params[name]
        await self._check_stage_keys(ctx, key["stageKeys"])
        if await self.store.fetch_one(
            "SELECT id FROM apigw_keys WHERE value = ? AND account = ? AND region = ?",
            value,
            ctx.account_id,
            ctx.region,
        ):
            raise Conflict("API Key already exists")
        await self.store.execute(
            "INSERT INTO apigw_keys (id, account, region, value, created, doc) VALUES (?, ?, ?, ?, ?, ?)",
            key["id"], ctx.account_id, ctx.region, value, now, json.dumps(key),
        )  # fmt: skip
        self._on_change()
        return key

    async def key(self, ctx: RequestContext, key_id: str) -> Doc:
        row = await self.store.fetch_one(
            "SELECT doc FROM apigw_keys WHERE id = ? AND account = ? AND region = ?", key_id, ctx.account_id, ctx.region
        )
        if row is None:
            raise NotFound("Invalid API Key identifier specified")
        found: Doc = json.loads(row["doc"])
        return found

    async def keys(
        self, ctx: RequestContext, name_query: str | None = None, customer_id: str | None = None
    ) -> list[Doc]:
        rows = await self.store.fetch_all(
            "SELECT doc FROM apigw_keys WHERE account = ? AND region = ? ORDER BY created, id",
            ctx.account_id,
            ctx.region,
        )
        found = [json.loads(r["doc"]) for r in rows]
        if name_query:
            found = [k for k in found if (k.get("name") or "").startswith(name_query)]
        if customer_id:
            found = [k for k in found if k.get("customerId") == customer_id]
        return found

    async def update_key(self, ctx: RequestContext, key_id: str, ops: list[PatchOperation]) -> Doc:
        key = await self.key(ctx, key_id)
        before = set(key.setdefault("stageKeys", []))
        patch.apply(key, ops, KEY_SPEC, _stage_key_op)
        await self._check_stage_keys(ctx, [k for k in key["stageKeys"] if k not in before])
        key["lastUpdatedDate"] = self.clock.now()
        await self.store.execute("UPDATE apigw_keys SET doc = ? WHERE id = ?", json.dumps(key), key_id)
        self._on_change()
        return key

    async def delete_key(self, ctx: RequestContext, key_id: str) -> None:
        async with self.store.transaction() as tx:
            gone = await tx.execute(
                "DELETE FROM apigw_keys WHERE id = ? AND account = ? AND region = ?", key_id, ctx.account_id, ctx.region
            )
            if not gone:
                raise NotFound("Invalid API Key identifier specified")
            await tx.execute("DELETE FROM apigw_plan_keys WHERE key_id = ?", key_id)
        self._on_change()

    # -- usage plans ----------------------------------------------------------------------------

    async def _check_stages(self, ctx: RequestContext, plan: Doc) -> None:
        for st in plan.get("apiStages") or []:
            if not await self._stage_exists(ctx, st.get("apiId", ""), st.get("stage", "")):
                raise NotFound(f"Invalid stage identifier specified: {st.get('apiId')}:{st.get('stage')}")

    async def create_plan(self, ctx: RequestContext, params: dict[str, Any]) -> Doc:
        if not params.get("name"):
            raise BadRequest("Usage plan name must be non-empty")
        plan: Doc = {"id": new_id(6), "name": params["name"], "apiStages": [], "tags": dict(params.get("tags") or {})}
        for name in ("description", "apiStages", "throttle", "quota"):
            if params.get(name) is not None:
                plan[name] = copy.deepcopy(params[name])
        _check_plan(plan)
        await self._check_stages(ctx, plan)
        await self.store.execute(
            "INSERT INTO apigw_plans (id, account, region, created, doc) VALUES (?, ?, ?, ?, ?)",
            plan["id"], ctx.account_id, ctx.region, self.clock.now(), json.dumps(plan),
        )  # fmt: skip
        self._on_change()
        return plan

    async def plan(self, ctx: RequestContext, plan_id: str) -> Doc:
        row = await self.store.fetch_one(
            "SELECT doc FROM apigw_plans WHERE id = ? AND account = ? AND region = ?",
            plan_id,
            ctx.account_id,
            ctx.region,
        )
        if row is None:
            raise NotFound("Invalid Usage Plan ID specified")
        found: Doc = json.loads(row["doc"])
        return found

    async def plans(self, ctx: RequestContext, key_id: str | None = None) -> list[Doc]:
        if key_id:
            rows = await self.store.fetch_all(
                "SELECT p.doc AS doc FROM apigw_plans p JOIN apigw_plan_keys k ON k.plan_id = p.id "
                "WHERE k.key_id = ? AND p.account = ? AND p.region = ? ORDER BY p.created, p.id",
                key_id, ctx.account_id, ctx.region,
            )  # fmt: skip
        else:
            rows = await self.store.fetch_all(
                "SELECT doc FROM apigw_plans WHERE account = ? AND region = ? ORDER BY created, id",
                ctx.account_id, ctx.region,
            )  # fmt: skip
        return [json.loads(r["doc"]) for r in rows]

    async def update_plan(self, ctx: RequestContext, plan_id: str, ops: list[PatchOperation]) -> Doc:
        plan = await self.plan(ctx, plan_id)
        patch.apply(plan, ops, PLAN_SPEC, _api_stage_op)
        _check_plan(plan)
        await self._check_stages(ctx, plan)
        async with self.store.transaction() as tx:
            await tx.execute("UPDATE apigw_plans SET doc = ? WHERE id = ?", json.dumps(plan), plan_id)
        self._on_change()
        return plan

    async def delete_plan(self, ctx: RequestContext, plan_id: str) -> None:
        async with self.store.transaction() as tx:
            gone = await tx.execute(
                "DELETE FROM apigw_plans WHERE id = ? AND account = ? AND region = ?",
                plan_id,
                ctx.account_id,
                ctx.region,
            )
            if not gone:
                raise NotFound("Invalid Usage Plan ID specified")
            await tx.execute("DELETE FROM apigw_plan_keys WHERE plan_id = ?", plan_id)
        self._on_change()

    # -- usage plan keys ------------------------------------------------------------------------

    async def create_plan_key(self, ctx: RequestContext, plan_id: str, key_id: str, key_type: str) -> Doc:
        if key_type != "API_KEY":
            raise BadRequest("Invalid key type specified. Must be API_KEY")
        await self.plan(ctx, plan_id)
        key = await self.key(ctx, key_id)
        async with self.store.transaction() as tx:
            existing = await tx.fetch_one(
                "SELECT key_id FROM apigw_plan_keys WHERE plan_id = ? AND key_id = ?", plan_id, key_id
            )
            if existing is not None:
                raise Conflict(f"Usage Plan {plan_id} cannot be added because API Key {key_id} is already associated")
            await tx.execute("INSERT INTO apigw_plan_keys (plan_id, key_id) VALUES (?, ?)", plan_id, key_id)
        self._on_change()
        return _plan_key(key)

    async def plan_key(self, ctx: RequestContext, plan_id: str, key_id: str) -> Doc:
        await self.plan(ctx, plan_id)
        row = await self.store.fetch_one(
            "SELECT key_id FROM apigw_plan_keys WHERE plan_id = ? AND key_id = ?", plan_id, key_id
        )
        if row is None:
            raise NotFound("Invalid Usage Plan Key identifier specified")
        return _plan_key(await self.key(ctx, key_id))

    async def plan_keys(self, ctx: RequestContext, plan_id: str, name_query: str | None = None) -> list[Doc]:
        await self.plan(ctx, plan_id)
        rows = await self.store.fetch_all(
            "SELECT k.doc AS doc FROM apigw_keys k JOIN apigw_plan_keys p ON p.key_id = k.id "
            "WHERE p.plan_id = ? ORDER BY k.created, k.id",
            plan_id,
        )
        keys = [_plan_key(json.loads(r["doc"])) for r in rows]
        return [k for k in keys if not name_query or (k.get("name") or "").startswith(name_query)]

    async def delete_plan_key(self, ctx: RequestContext, plan_id: str, key_id: str) -> None:
        await self.plan(ctx, plan_id)
        gone = await self.store.execute("DELETE FROM apigw_plan_keys WHERE plan_id = ? AND key_id = ?", plan_id, key_id)
        if not gone:
            raise NotFound("Invalid Usage Plan Key identifier specified")
        self._on_change()

    # -- the data plane's question --------------------------------------------------------------

    async def key_plan(self, account: str, region: str, api_id: str, stage: str, value: str) -> KeyPlan | None:
        """The usage plan granting the key this stage; else, if the key is attached to the stage itself
        (its stageKeys), a grant with no plan, throttle or quota: "callers with the API key can make
        requests to that stage" (https://docs.aws.amazon.com/apigateway/latest/api/API_ApiKey.html)."""
        rows = await self.store.fetch_all(
            "SELECT doc FROM apigw_keys WHERE value = ? AND account = ? AND region = ?", value, account, region
        )
        for row in rows:
            key = json.loads(row["doc"])
            if not key.get("enabled"):
                continue
            plans = await self.store.fetch_all(
                "SELECT p.id AS id, p.doc AS doc FROM apigw_plans p JOIN apigw_plan_keys k ON k.plan_id = p.id "
                "WHERE k.key_id = ? ORDER BY p.created, p.id",
                key["id"],
            )
            for plan_row in plans:
                plan = json.loads(plan_row["doc"])
                for st in plan.get("apiStages") or []:
                    if st.get("apiId") == api_id and st.get("stage") == stage:
                        methods = tuple(
                            (path, t)
                            for path, raw in sorted((st.get("throttle") or {}).items())
                            if (t := _throttle(raw)) is not None
                        )
                        return KeyPlan(
                            key_id=key["id"],
                            key_value=value,
                            plan_id=plan["id"],
                            throttle=_throttle(plan.get("throttle")),
                            quota=quota_of(plan),
                            method_throttles=methods,
                        )
            if f"{api_id}/{stage}" in key.get("stageKeys", []):
                return KeyPlan(key_id=key["id"], key_value=value, plan_id="")
        return None

    # -- tags -----------------------------------------------------------------------------------

    async def tag(self, ctx: RequestContext, kind: str, item_id: str, add: dict[str, str], remove: list[str]) -> None:
        table = "apigw_keys" if kind == "apikeys" else "apigw_plans"
        item = await (self.key(ctx, item_id) if kind == "apikeys" else self.plan(ctx, item_id))
        tags = {**item.get("tags", {}), **add}
        for name in remove:
            tags.pop(name, None)
        item["tags"] = tags
        await self.store.execute(f"UPDATE {table} SET doc = ? WHERE id = ?", json.dumps(item), item_id)

    async def tags(self, ctx: RequestContext, kind: str, item_id: str) -> dict[str, str]:
        item = await (self.key(ctx, item_id) if kind == "apikeys" else self.plan(ctx, item_id))
        return dict(item.get("tags") or {})


def _plan_key(key: Doc) -> Doc:
    out: Doc = {"id": key["id"], "type": "API_KEY", "value": key["value"]}
    if key.get("name") is not None:
        out["name"] = key["name"]
    return out


def _stage_keys(given: list[dict[str, Any]]) -> list[str]:
    """CreateApiKey's StageKey structures as ApiKey.stageKeys: "restApiId/stageName", each once."""
    found: list[str] = []
    for stage_key in given:
        api_id, stage = stage_key.get("restApiId") or "", stage_key.get("stageName") or ""
        if not api_id or not stage:
            raise BadRequest("Invalid stage key: both restApiId and stageName are required")
        if f"{api_id}/{stage}" not in found:
            found.append(f"{api_id}/{stage}")
    return found


def _stage_key_op(key: Doc, op: PatchOperation) -> bool:
    """`/stages` with value "restApiId/stageName": attach the key to a stage, or detach it."""
    if op.path != "/stages":
        return False
    api_id, _, stage = (op.value or "").partition("/")
    if not api_id or not stage:
        raise BadRequest("Invalid stage key: the value must be <restApiId>/<stageName>")
    stage_key = f"{api_id}/{stage}"
    if op.op == "add":
        if stage_key not in key["stageKeys"]:
            key["stageKeys"].append(stage_key)
    elif op.op == "remove":
        if stage_key not in key["stageKeys"]:
            raise NotFound(f"Invalid stage identifier specified: {api_id}:{stage}")
        key["stageKeys"].remove(stage_key)
    else:
        raise BadRequest(f"Invalid patch operation specified for path {op.path}")
    return True


def _api_stage_op(plan: Doc, op: PatchOperation) -> bool:
    """`/apiStages` with value "apiId:stage" (add/remove a stage), and a stage's method throttles:
    `/apiStages/<apiId>:<stage>/throttle/<~1resource~1path>/<METHOD>/(rateLimit|burstLimit)`.
    https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html#UpdateUsagePlan-Patch
    """
    segs = op.path.split("/")[1:]
    if not segs or segs[0] != "apiStages":
        return False
    stages: list[Doc] = plan.setdefault("apiStages", [])
    if len(segs) == 1:
        api_id, _, stage = (op.value or "").partition(":")
        if not api_id or not stage:
            raise BadRequest("Invalid API Stage specified: the value must be <apiId>:<stageName>")
        matching = [s for s in stages if s["apiId"] == api_id and s["stage"] == stage]
        if op.op == "add":
            if matching:
                raise Conflict(f"API Stage {api_id}:{stage} is already in this usage plan")
            stages.append({"apiId": api_id, "stage": stage})
        elif op.op == "remove":
            if not matching:
                raise NotFound(f"API Stage {api_id}:{stage} is not in this usage plan")
            stages.remove(matching[0])
        else:
            raise BadRequest(f"Invalid patch operation specified for path {op.path}")
        return True
    api_id, _, stage = segs[1].partition(":")
    target = next((s for s in stages if s["apiId"] == api_id and s["stage"] == stage), None)
    if target is None or len(segs) < 3 or segs[2] != "throttle":
        raise BadRequest(f"Invalid patch path {op.path}")
    if len(segs) not in (5, 6):
        raise BadRequest(f"Invalid patch path {op.path}")
    method_key = segs[3].replace("~1", "/").replace("~0", "~") + "/" + segs[4]
    throttles: dict[str, Doc] = target.setdefault("throttle", {})
    if len(segs) == 5:
        if op.op != "remove":
            raise BadRequest(f"Invalid patch path {op.path}")
        throttles.pop(method_key, None)
        return True
    member = segs[5]
    if member not in ("rateLimit", "burstLimit"):
        raise BadRequest(f"Invalid patch path {op.path}")
    entry = throttles.setdefault(method_key, {})
    if op.op == "remove":
        entry.pop(member, None)
    else:
        entry[member] = patch.convert(Field((member,), "float" if member == "rateLimit" else "int"), op.path, op.value)
    return True
