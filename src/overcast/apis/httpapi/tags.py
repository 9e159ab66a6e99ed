"""Tags of HTTP APIs and their stages: in the kit's one table under each one's ARN, with API Gateway's rules.

APIs and stages are the HTTP API resources that carry tags
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-supported-resources.html).
Their ARNs name no account (`arn:aws:apigateway:<region>::/apis/<id>[/stages/<name>]`), so an ARN
is resolved in the caller's account and region: another account's API by the same ARN does not
exist for the caller. API Gateway answers a bad tag with BadRequestException; its limits are AWS's
common ones (50 tags, keys of 1-128 and values of up to 256 characters, `aws:` reserved).
"""

from __future__ import annotations

from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi import tables
from overcast.apis.httpapi.errors import api_not_found
from overcast.apis.httpapi.tables import STAGE
from overcast.arn import format_arn, parse_arn
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.store import Queries


def api_arn(api: rec.Api) -> str:
    return format_arn("apigateway", api.region, "", f"/apis/{api.api_id}")


def stage_arn(api: rec.Api, stage_name: str) -> str:
    return format_arn("apigateway", api.region, "", f"/apis/{api.api_id}/stages/{stage_name}")


async def taggable(tx: Queries, ctx: RequestContext, arn: str) -> str:
    """The ARN of the caller's API or stage that `arn` names (NotFoundException if there is none)."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "apigateway":
        raise _invalid(arn)
    fields = parsed.fields("/")
    if len(fields) == 2 and fields[0] == "apis":
        stage_name = None
    elif len(fields) == 4 and fields[0] == "apis" and fields[2] == "stages":
        stage_name = fields[3]
    else:
        raise _invalid(arn)
    if parsed.region != ctx.region or parsed.account:
        raise api_not_found(ctx.account_id, fields[1])
    api = await tables.api(tx, ctx, fields[1])
    if stage_name is None:
        found = api_arn(api)
    else:
        await tables.part(tx, api, STAGE, stage_name)
        found = stage_arn(api, stage_name)
    if found != arn:  # the same path in another partition
        raise api_not_found(ctx.account_id, fields[1])
    return found


def _invalid(arn: str) -> BadRequest:
    return BadRequest(f"Invalid resource ARN {arn}")
