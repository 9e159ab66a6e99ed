"""STS operations: GetCallerIdentity answers who the request's credentials belong to."""

from __future__ import annotations

from overcast.api.services import OperationTable, Output, Params
from overcast.arn import format_arn, partition_of
from overcast.context import RequestContext


async def get_caller_identity(ctx: RequestContext, params: Params) -> Output:
    # Until IAM users exist every key acts as its account's root user, whose UserId is the
    # account id (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
    root = format_arn("iam", "", ctx.account_id, "root", partition_of(ctx.region))
    return {"UserId": ctx.account_id, "Account": ctx.account_id, "Arn": root}


def operations() -> OperationTable:
    return {"GetCallerIdentity": get_caller_identity}
