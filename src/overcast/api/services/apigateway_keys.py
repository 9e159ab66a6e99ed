"""API Gateway (v1) operations on API keys, usage plans, their keys and their usage.

Part of the apigateway operation table (`apigateway.HANDLERS`), over the same services object.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.apigateway_wire import api_key, into, ops, page, plan_key, tagged
from overcast.apis.restapi.plans import quota_of
from overcast.apis.restapi.records import ApiKey, ApiStage, QuotaSettings, ThrottleSettings, UsagePlan
from overcast.apis.restapi.tags import key_arn, plan_arn
from overcast.context import RequestContext
from overcast.errors import BadRequest, NotImplementedOperation

if TYPE_CHECKING:
    from overcast.api.services.apigateway import Services


# -- API keys --------------------------------------------------------------------------------------


async def _key_out(s: Services, ctx: RequestContext, key: ApiKey, include_value: bool) -> Output:
    return api_key(key, await s.apis.tags_of(key_arn(ctx.region, key.id)), include_value)


async def create_api_key(s: Services, ctx: RequestContext, p: Params) -> Output:
    stage_keys = tuple(f"{k.get('restApiId') or ''}/{k.get('stageName') or ''}" for k in p.get("stageKeys") or [])
    requested = ApiKey(
        id="",
        value=p.get("value") or "",
        created_date=0.0,
        last_updated_date=0.0,
        enabled=bool(p.get("enabled", False)),
        stage_keys=stage_keys,
        name=p.get("name"),
        description=p.get("description"),
        customer_id=p.get("customerId"),
    )
    return await _key_out(s, ctx, await s.apis.keys.create(ctx, requested, p.get("tags") or {}), True)


async def get_api_key(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _key_out(s, ctx, await s.apis.keys.get(ctx, p["apiKey"]), bool(p.get("includeValue")))


async def get_api_keys(s: Services, ctx: RequestContext, p: Params) -> Output:
    found, position = await s.apis.keys.page(
        ctx, p.get("limit"), p.get("position"), p.get("nameQuery"), p.get("customerId")
    )
    return page([await _key_out(s, ctx, k, bool(p.get("includeValues"))) for k in found], position)


async def update_api_key(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _key_out(s, ctx, await s.apis.keys.update(ctx, p["apiKey"], ops(p)), False)


async def delete_api_key(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.keys.delete(ctx, p["apiKey"])
    return {}


# -- usage plans and their keys --------------------------------------------------------------------


async def _plan_out(s: Services, ctx: RequestContext, plan: UsagePlan) -> Output:
    return tagged(plan, await s.apis.tags_of(plan_arn(ctx.region, plan.id)))


def _api_stage(given: Params) -> ApiStage:
    throttles = given.get("throttle")
    return ApiStage(
        api_id=given.get("apiId") or "",
        stage=given.get("stage") or "",
        throttle={path: into(ThrottleSettings, t) for path, t in throttles.items()} if throttles is not None else None,
    )


async def create_usage_plan(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = UsagePlan(
        id="",
        name=p.get("name") or "",
        api_stages=tuple(_api_stage(st) for st in p.get("apiStages") or []),
        description=p.get("description"),
        throttle=into(ThrottleSettings, p["throttle"]) if p.get("throttle") is not None else None,
        quota=into(QuotaSettings, p["quota"]) if p.get("quota") is not None else None,
    )
    return await _plan_out(s, ctx, await s.apis.plans.create(ctx, requested, p.get("tags") or {}))


async def get_usage_plan(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _plan_out(s, ctx, await s.apis.plans.get(ctx, p["usagePlanId"]))


async def get_usage_plans(s: Services, ctx: RequestContext, p: Params) -> Output:
    found, position = await s.apis.plans.page(ctx, p.get("limit"), p.get("position"), p.get("keyId"))
    return page([await _plan_out(s, ctx, plan) for plan in found], position)


async def update_usage_plan(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _plan_out(s, ctx, await s.apis.plans.update(ctx, p["usagePlanId"], ops(p)))


async def delete_usage_plan(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.plans.delete(ctx, p["usagePlanId"])
    return {}


async def create_usage_plan_key(s: Services, ctx: RequestContext, p: Params) -> Output:
    return plan_key(await s.apis.plans.add_key(ctx, p["usagePlanId"], p["keyId"], p.get("keyType", "")))


async def get_usage_plan_key(s: Services, ctx: RequestContext, p: Params) -> Output:
    return plan_key(await s.apis.plans.key(ctx, p["usagePlanId"], p["keyId"]))


async def get_usage_plan_keys(s: Services, ctx: RequestContext, p: Params) -> Output:
    found, position = await s.apis.plans.keys_page(
        ctx, p["usagePlanId"], p.get("limit"), p.get("position"), p.get("nameQuery")
    )
    return page([plan_key(k) for k in found], position)


async def delete_usage_plan_key(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.plans.remove_key(ctx, p["usagePlanId"], p["keyId"])
    return {}


# -- usage -----------------------------------------------------------------------------------------


def _date(text: str, name: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid {name} specified, must be in the format YYYY-MM-DD") from None


async def get_usage(s: Services, ctx: RequestContext, p: Params) -> Output:
    """The plan's usage by key (a page of the plan's keys, or the one `keyId`), day by day."""
    if s.usage is None:
        raise NotImplementedOperation("The operation GetUsage of service apigateway is not implemented in Overcast yet")
    plan = await s.apis.plans.get(ctx, p["usagePlanId"])
    start, end = _date(p.get("startDate", ""), "start date"), _date(p.get("endDate", ""), "end date")
    if end < start:
        raise BadRequest("The end date must not be before the start date")
    keys, position = await s.apis.plans.keys_page(ctx, plan.id, p.get("limit"), p.get("position"))
    key_ids = [k.id for k in keys if not p.get("keyId") or k.id == p["keyId"]]
    items = await s.usage.report(plan.id, key_ids, quota_of(plan), start, end)
    found = {"usagePlanId": plan.id, "startDate": start.isoformat(), "endDate": end.isoformat(), "items": items}
    return {**found, "position": position} if position else found


async def update_usage(s: Services, ctx: RequestContext, p: Params) -> Output:
    if s.usage is None:
        raise NotImplementedOperation(
            "The operation UpdateUsage of service apigateway is not implemented in Overcast yet"
        )
    plan = await s.apis.plans.get(ctx, p["usagePlanId"])
    await s.apis.plans.key(ctx, plan.id, p["keyId"])
    quota = quota_of(plan)
    if quota is None:
        raise BadRequest("Usage plan has no quota to update")
    remaining = None
    for op in ops(p):
        if op.op != "replace" or op.path != "/remaining" or op.value is None or not op.value.isdigit():
            raise BadRequest(f"Invalid patch operation: only replace /remaining with a number is supported ({op.path})")
        remaining = int(op.value)
    if remaining is not None:
        await s.usage.adjust_remaining(plan.id, p["keyId"], quota, remaining)
    today = datetime.datetime.fromtimestamp(s.apis.clock.now(), datetime.UTC).date()
    items = await s.usage.report(plan.id, [p["keyId"]], quota, today, today)
    return {"usagePlanId": plan.id, "startDate": today.isoformat(), "endDate": today.isoformat(), "items": items}


KEY_HANDLERS: dict[str, Unbound[Services]] = {
    "CreateApiKey": create_api_key,
    "GetApiKey": get_api_key,
    "GetApiKeys": get_api_keys,
    "UpdateApiKey": update_api_key,
    "DeleteApiKey": delete_api_key,
    "CreateUsagePlan": create_usage_plan,
    "GetUsagePlan": get_usage_plan,
    "GetUsagePlans": get_usage_plans,
    "UpdateUsagePlan": update_usage_plan,
    "DeleteUsagePlan": delete_usage_plan,
    "CreateUsagePlanKey": create_usage_plan_key,
    "GetUsagePlanKey": get_usage_plan_key,
    "GetUsagePlanKeys": get_usage_plan_keys,
    "DeleteUsagePlanKey": delete_usage_plan_key,
    "GetUsage": get_usage,
    "UpdateUsage": update_usage,
}
