"""An HTTP API's parts: any of them read; routes, integrations and authorizers created, changed and deleted.

Each change is one transaction that re-deploys the API's AutoDeploy stages.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from overcast.apis.errors import Conflict
from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi import tables, validation
from overcast.apis.httpapi.changes import Changes, duplicate_route
from overcast.apis.httpapi.pages import LISTS
from overcast.apis.httpapi.tables import AUTHORIZER, INTEGRATION, PART_ORDER, ROUTE
from overcast.context import RequestContext
from overcast.store import Queries


class Parts:
    def __init__(self, changes: Changes) -> None:
        self.changes = changes

    async def get(self, ctx: RequestContext, api_id: str, kind: str, part_id: str) -> Any:
        """One route, integration, authorizer, stage or deployment (kind as in `tables`)."""
        async with self.changes.reading(ctx, api_id) as (tx, api):
            return await tables.part(tx, api, kind, part_id)

    async def page(
        self, ctx: RequestContext, api_id: str, kind: str, size: int | None, token: str | None
    ) -> tuple[list[Any], str | None]:
        """One page of an API's routes, integrations, authorizers, stages or deployments, in creation order."""
        pages = LISTS.start(ctx, PART_ORDER.kinds, size, token, api_id)
        async with self.changes.reading(ctx, api_id) as (tx, api):
            return await tables.part_page(tx, api, kind, pages)

    async def create(self, ctx: RequestContext, api_id: str, kind: str, fields: dict[str, Any]) -> Any:
        """A new route, integration or authorizer of the API from `fields` (its id is assigned here)."""
        record_type, id_field = _RECORDS[kind]
        record = record_type(**{id_field: self.changes.new_id()}, **fields)
        part_id = getattr(record, id_field)
        if kind != ROUTE:
            _CHECKS[kind](record)
        async with self.changes.on(ctx, api_id) as (tx, api):
            if kind == ROUTE:
                await _check_route(tx, api, record)
                await self.changes.insert_named(tx, api, ROUTE, part_id, record.route_key, record)
            else:
                await tables.insert_part(tx, api, kind, part_id, part_id, record, self.changes.clock.now())
            await self.changes.deployments.auto(tx, api)
        return record

    async def update(self, ctx: RequestContext, api_id: str, kind: str, part_id: str, changes: dict[str, Any]) -> Any:
        """Change a route, an integration or an authorizer (still fit for each route that uses it)."""
        async with self.changes.on(ctx, api_id) as (tx, api):
            record = dataclasses.replace(await tables.part(tx, api, kind, part_id), **changes)
            name = part_id
            if kind == ROUTE:
                if record.authorization_type in ("NONE", "AWS_IAM") and "authorizer_id" not in changes:
                    # Switching a route to NONE or AWS_IAM detaches its authorizer and scopes.
                    record = dataclasses.replace(record, authorizer_id=None, authorization_scopes=None)
                await _check_route(tx, api, record)
                name = record.route_key
            else:
                _CHECKS[kind](record)
            if kind == AUTHORIZER:
                for route in await tables.parts(tx, api, ROUTE):
                    if route.authorizer_id == part_id:
                        validation.route(route, {part_id: record}, [route.integration_id or ""])
            await tables.update_part(tx, api, kind, part_id, name, record)
            await self.changes.deployments.auto(tx, api)
        return record

    async def delete(self, ctx: RequestContext, api_id: str, kind: str, part_id: str) -> None:
        """Delete a route, or an integration or authorizer no route uses."""
        async with self.changes.on(ctx, api_id) as (tx, api):
            await tables.part(tx, api, kind, part_id)
            if kind != ROUTE:
                for route in await tables.parts(tx, api, ROUTE):
                    _not_in_use(kind, part_id, route)
            await tables.delete_part(tx, api, kind, part_id)
            await self.changes.deployments.auto(tx, api)


# Each kind's record and the field holding its id; the checks of a record alone (a route's need its API).
_RECORDS: dict[str, tuple[Callable[..., Any], str]] = {
    ROUTE: (rec.Route, "route_id"),
    INTEGRATION: (rec.Integration, "integration_id"),
    AUTHORIZER: (rec.Authorizer, "authorizer_id"),
}
_CHECKS: dict[str, Callable[[Any], None]] = {INTEGRATION: validation.integration, AUTHORIZER: validation.authorizer}


def _not_in_use(kind: str, part_id: str, route: rec.Route) -> None:
    where = f"route {route.route_id} ({route.route_key})"
    if kind == INTEGRATION and route.integration_id == part_id:
        raise Conflict(f"Integration {part_id} is the target of {where}; detach it from the route first.")
    if kind == AUTHORIZER and route.authorizer_id == part_id:
        raise Conflict(f"Authorizer {part_id} is used by {where}; change the route's authorization first.")


async def _check_route(tx: Queries, api: rec.Api, route: rec.Route) -> None:
    validation.route_key(route.route_key)
    authorizers = {a.authorizer_id: a for a in await tables.parts(tx, api, AUTHORIZER)}
    integrations = [i.integration_id for i in await tables.parts(tx, api, INTEGRATION)]
    validation.route(route, authorizers, integrations)
    for other in await tables.parts(tx, api, ROUTE):
        if other.route_key == route.route_key and other.route_id != route.route_id:
            raise duplicate_route(route.route_key)
