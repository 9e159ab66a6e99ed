"""STS operations: GetCallerIdentity answers who the request's credentials belong to."""

from __future__ import annotations

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.arn import format_arn, partition_of
from overcast.context import RequestContext


async def get_caller_identity(s: None, ctx: RequestContext, params: Params) -> Output:
    # Until IAM users exist every key acts as its account's root user, whose UserId is the
    # account id (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
    root = format_arn("iam", "", ctx.account_id, "root", partition_of(ctx.region))
    return {"UserId": ctx.account_id, "Account": ctx.account_id, "Arn": root}


HANDLERS: dict[str, Unbound[None]] = {"GetCallerIdentity": get_caller_identity}


def operations() -> OperationTable:
    """STS's table: its one operation needs nothing but the caller's context."""
    return bind(HANDLERS, None)
