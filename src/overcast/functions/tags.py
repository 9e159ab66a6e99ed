"""Tags of functions (TagResource / UntagResource / ListTags): stored on the function, not its versions."""

from __future__ import annotations

import json

from overcast.context import RequestContext
from overcast.functions.errors import InvalidParameterValue, ResourceNotFound
from overcast.functions.names import function_arn, parse_function_ref
from overcast.store import Queries


def taggable(ctx: RequestContext, resource: str) -> str:
    """The function name of a taggable function ARN (tags live on the function, not its versions)."""
    if not resource.startswith("arn:"):
        raise InvalidParameterValue(f"Invalid ARN: {resource}")
    ref = parse_function_ref(resource, ctx.account_id, ctx.region)
    if ref.qualifier is not None:
        raise InvalidParameterValue(
            "Tags on function aliases and versions are not supported. Please specify a function ARN."
        )
    return ref.name


async def load(tx: Queries, ctx: RequestContext, name: str) -> dict[str, str]:
    row = await tx.fetch_one(
        "SELECT tags FROM lambda_functions WHERE account = ? AND region = ? AND name = ?",
        ctx.account_id,
        ctx.region,
        name,
    )
    if row is None:
        raise ResourceNotFound(f"Function not found: {function_arn(ctx.account_id, ctx.region, name)}")
    tags: dict[str, str] = json.loads(row["tags"])
    return tags


async def save(tx: Queries, ctx: RequestContext, name: str, tags: dict[str, str]) -> None:
    await tx.execute(
        "UPDATE lambda_functions SET tags = ? WHERE account = ? AND region = ? AND name = ?",
        json.dumps(tags),
        ctx.account_id,
        ctx.region,
        name,
    )
