"""What carries tags in API Gateway (v1), under which ARNs, with API Gateway's limits.

REST APIs, their stages, API keys and usage plans carry tags (client certificates, domain names
and VPC links too, resolved by apis/taggable.py). Their tags live in the kit's one table
under the resource's ARN, `arn:<partition>:apigateway:<region>::/restapis/<id>` and so on: API
Gateway's ARNs name no account, and ids are unique across accounts here, so the ARN is the
resource's own. An ARN is resolved in the caller's account and region only: another account's
API is "not found", as its id would be.
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-supported-resources.html
"""

from __future__ import annotations

import json

from overcast.apis.errors import NotFound
from overcast.arn import format_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.store import Queries, Row


def _arn(region: str, path: str) -> str:
    return format_arn("apigateway", region, "", path)


def api_arn(region: str, api_id: str) -> str:
    return _arn(region, f"/restapis/{api_id}")


def stage_arn(region: str, api_id: str, stage: str) -> str:
    return _arn(region, f"/restapis/{api_id}/stages/{stage}")


def key_arn(region: str, key_id: str) -> str:
    return _arn(region, f"/apikeys/{key_id}")


def plan_arn(region: str, plan_id: str) -> str:
    return _arn(region, f"/usageplans/{plan_id}")


def no_api(ctx: RequestContext, api_id: str) -> NotFound:
    # AWS names the account and the id it looked for.
    return NotFound(f"Invalid API identifier specified {ctx.account_id}:{api_id}")


NO_STAGE = "Invalid Stage identifier specified"
NO_KEY = "Invalid API Key identifier specified"
NO_PLAN = "Invalid Usage Plan ID specified"


async def resolve(q: Queries, ctx: RequestContext, resource_arn: str) -> str:
    """The ARN of the caller's REST API, stage, API key or usage plan that `resource_arn` names."""
    arn = parse_arn(resource_arn)
    fields = arn.fields("/") if arn is not None and arn.service == "apigateway" else []
    mine = arn is not None and arn.region == ctx.region and arn.account in ("", ctx.account_id)
    if len(fields) == 2 and fields[0] == "restapis":
        if not mine or not await _api_row(q, ctx, fields[1]):
            raise no_api(ctx, fields[1])
        return api_arn(ctx.region, fields[1])
    if len(fields) == 4 and fields[0] == "restapis" and fields[2] == "stages":
        row = await _api_row(q, ctx, fields[1]) if mine else None
        if row is None:
            raise no_api(ctx, fields[1])
        if fields[3] not in json.loads(row["doc"])["stages"]:
            raise NotFound(NO_STAGE)
        return stage_arn(ctx.region, fields[1], fields[3])
    if len(fields) == 2 and fields[0] in ("apikeys", "usageplans"):
        table, missing = ("apigw_keys", NO_KEY) if fields[0] == "apikeys" else ("apigw_plans", NO_PLAN)
        found = mine and await q.fetch_one(
            f"SELECT id FROM {table} WHERE id = ? AND account = ? AND region = ?", fields[1], ctx.account_id, ctx.region
        )
        if not found:
            raise NotFound(missing)
        return _arn(ctx.region, f"/{fields[0]}/{fields[1]}")
    raise BadRequest(f"Invalid resource ARN specified: {resource_arn}")


async def _api_row(q: Queries, ctx: RequestContext, api_id: str) -> Row | None:
    return await q.fetch_one(
        "SELECT doc FROM apigw_apis WHERE id = ? AND account = ? AND region = ?", api_id, ctx.account_id, ctx.region
    )
