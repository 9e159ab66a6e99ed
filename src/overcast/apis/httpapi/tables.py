"""Reading and writing the HTTP API tables inside one store transaction (see `schema` for the layout).

An API is read through the caller's context (`api`), and its parts through its record, so nothing
here reaches another account's or region's API by its id alone. The one exception is the data
plane's `api_by_id` and `stage_names`: execute-api finds an API by its host name alone, as AWS's does.
"""

from __future__ import annotations

from typing import Any

from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi.errors import api_not_found, not_found
from overcast.context import RequestContext
from overcast.kit.pages import Keyset, Paging, fetch_page
from overcast.store import Queries

ROUTE, INTEGRATION, AUTHORIZER, STAGE, DEPLOYMENT = "route", "integration", "authorizer", "stage", "deployment"
_KIND_NAMES = {
    ROUTE: "Route",
    INTEGRATION: "Integration",
    AUTHORIZER: "Authorizer",
    STAGE: "Stage",
    DEPLOYMENT: "Deployment",
}
_LOADERS: dict[str, Any] = {
    ROUTE: rec.load_route,
    INTEGRATION: rec.load_integration,
    AUTHORIZER: rec.load_authorizer,
    STAGE: rec.load_stage,
    DEPLOYMENT: rec.load_deployment,
}
# Lists come in creation order, the id breaking ties (the indexes in `schema` serve both orders).
API_ORDER = Keyset.of(("created", float), ("api_id", str))
PART_ORDER = Keyset.of(("created", float), ("part_id", str))


async def api(q: Queries, ctx: RequestContext, api_id: str) -> rec.Api:
    """The caller's API (another account's or region's API does not exist for it)."""
    row = await q.fetch_one(
        "SELECT body FROM httpapi_apis WHERE api_id = ? AND account = ? AND region = ?",
        api_id,
        ctx.account_id,
        ctx.region,
    )
    if row is None:
        raise api_not_found(ctx.account_id, api_id)
    return rec.load_api(row["body"])


async def api_by_id(q: Queries, api_id: str) -> rec.Api | None:
    """The data plane's lookup: an API by its id alone, whoever owns it."""
    row = await q.fetch_one("SELECT body FROM httpapi_apis WHERE api_id = ?", api_id)
    return None if row is None else rec.load_api(row["body"])


async def api_page(q: Queries, ctx: RequestContext, paging: Paging) -> tuple[list[rec.Api], str | None]:
    rows, token = await fetch_page(
        q,
        "SELECT body, created, api_id FROM httpapi_apis WHERE account = ? AND region = ?",
        [ctx.account_id, ctx.region],
        API_ORDER,
        paging,
    )
    return [rec.load_api(r["body"]) for r in rows], token


async def insert_api(q: Queries, a: rec.Api) -> None:
    await q.execute(
        "INSERT INTO httpapi_apis (api_id, account, region, body, created) VALUES (?, ?, ?, ?, ?)",
        a.api_id,
        a.account,
        a.region,
        rec.dump(a),
        a.created,
    )


async def update_api(q: Queries, a: rec.Api) -> None:
    await q.execute("UPDATE httpapi_apis SET body = ? WHERE api_id = ?", rec.dump(a), a.api_id)


async def delete_api(q: Queries, a: rec.Api) -> None:
    await q.execute("DELETE FROM httpapi_parts WHERE api_id = ?", a.api_id)
    await q.execute("DELETE FROM httpapi_apis WHERE api_id = ?", a.api_id)


async def part(q: Queries, a: rec.Api, kind: str, part_id: str) -> Any:
    row = await q.fetch_one(
        "SELECT body FROM httpapi_parts WHERE api_id = ? AND kind = ? AND part_id = ?", a.api_id, kind, part_id
    )
    if row is None:
        raise not_found(_KIND_NAMES[kind], part_id)
    return _LOADERS[kind](row["body"])


async def parts(q: Queries, a: rec.Api, kind: str) -> list[Any]:
    rows = await q.fetch_all(
        "SELECT body FROM httpapi_parts WHERE api_id = ? AND kind = ? ORDER BY created, part_id", a.api_id, kind
    )
    return [_LOADERS[kind](r["body"]) for r in rows]


async def part_page(q: Queries, a: rec.Api, kind: str, paging: Paging) -> tuple[list[Any], str | None]:
    rows, token = await fetch_page(
        q,
        "SELECT body, created, part_id FROM httpapi_parts WHERE api_id = ? AND kind = ?",
        [a.api_id, kind],
        PART_ORDER,
        paging,
    )
    return [_LOADERS[kind](r["body"]) for r in rows], token


async def insert_part(q: Queries, a: rec.Api, kind: str, part_id: str, name: str, record: Any, created: float) -> None:
    await q.execute(
        "INSERT INTO httpapi_parts (api_id, kind, part_id, name, body, created) VALUES (?, ?, ?, ?, ?, ?)",
        a.api_id,
        kind,
        part_id,
        name,
        rec.dump(record),
        created,
    )


async def update_part(q: Queries, a: rec.Api, kind: str, part_id: str, name: str, record: Any) -> None:
    await q.execute(
        "UPDATE httpapi_parts SET name = ?, body = ? WHERE api_id = ? AND kind = ? AND part_id = ?",
        name,
        rec.dump(record),
        a.api_id,
        kind,
        part_id,
    )


async def delete_part(q: Queries, a: rec.Api, kind: str, part_id: str) -> None:
    await q.execute("DELETE FROM httpapi_parts WHERE api_id = ? AND kind = ? AND part_id = ?", a.api_id, kind, part_id)


async def stage_names(q: Queries, api_id: str) -> list[str]:
    """The data plane's view of an API's stages, by its id alone."""
    rows = await q.fetch_all(
        "SELECT part_id FROM httpapi_parts WHERE api_id = ? AND kind = ? ORDER BY created, part_id", api_id, STAGE
    )
    return [r["part_id"] for r in rows]
