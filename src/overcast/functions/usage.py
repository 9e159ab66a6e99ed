"""Account usage of the functions component (GetAccountSettings) and the code storage limit."""

from __future__ import annotations

from overcast.context import RequestContext
from overcast.functions import validation
from overcast.functions.errors import CodeStorageExceeded
from overcast.functions.records import AccountUsage
from overcast.store import Queries


async def usage(q: Queries, ctx: RequestContext) -> AccountUsage:
    keys = (ctx.account_id, ctx.region)
    functions = await q.fetch_one("SELECT COUNT(*) AS n FROM lambda_functions WHERE account = ? AND region = ?", *keys)
    code = await q.fetch_one(
        "SELECT COALESCE(SUM(code_size), 0) AS n FROM lambda_versions WHERE account = ? AND region = ?", *keys
    )
    layer_code = await q.fetch_one(
        "SELECT COALESCE(SUM(code_size), 0) AS n FROM lambda_layer_versions WHERE account = ? AND region = ?", *keys
    )
    assert functions is not None and code is not None and layer_code is not None
    return AccountUsage(total_code_size=int(code["n"]) + int(layer_code["n"]), function_count=int(functions["n"]))


async def check_storage(q: Queries, ctx: RequestContext, added: int) -> None:
    if added <= 0:
        return
    current = await usage(q, ctx)
    if current.total_code_size + added > validation.TOTAL_CODE_SIZE:
        # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: 75 GB of code storage.
        raise CodeStorageExceeded("Code storage limit exceeded.")
