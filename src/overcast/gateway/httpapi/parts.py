"""The parts of an HTTP API: any of them read, and routes, integrations and authorizers created, changed and
deleted, each in one transaction that re-deploys the API's AutoDeploy stages.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from overcast.context import RequestContext
from overcast.gateway.errors import Conflict
from overcast.gateway.httpapi import records as rec
from overcast.gateway.httpapi import tables, validation
from overcast.gateway.httpapi.changes import Changes, duplicate_route
from overcast.gateway.httpapi.pages import paging
from overcast.gateway.httpapi.tables import AUTHORIZER, INTEGRATION, PART_ORDER, ROUTE
from overcast.store import Queries

InUse = Callable[[rec.Route], Conflict | None]  # the error deleting a part answers while this route uses it


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
        pages = paging(ctx, PART_ORDER, size, token, api_id)
        async with self.changes.reading(ctx, api_id) as (tx, api):
            return await tables.part_page(tx, api, kind, pages)

    # -- routes ----------------------------------------------------------------------------------

    async def create_route(self, ctx: RequestContext, api_id: str, fields: dict[str, Any]) -> rec.Route:
        async with self.changes.on(ctx, api_id) as (tx, api):
            route = rec.Route(route_id=self.changes.new_id(), **fields)
            await _check_route(tx, api, route)
            await self.changes.insert_named(tx, api, ROUTE, route.route_id, route.route_key, route)
            await self.changes.deployments.auto(tx, api)
        return route

    async def update_route(self, ctx: RequestContext, api_id: str, route_id: str, changes: dict[str, Any]) -> rec.Route:
        async with self.changes.on(ctx, api_id) as (tx, api):
            route = dataclasses.replace(await tables.part(tx, api, ROUTE, route_id), **changes)
            if route.authorization_type in ("NONE", "AWS_IAM") and "authorizer_id" not in changes:
                # Switching a route to NONE or AWS_IAM detaches its authorizer and scopes.
                route = dataclasses.replace(route, authorizer_id=None, authorization_scopes=None)
            await _check_route(tx, api, route)
            await tables.update_part(tx, api, ROUTE, route_id, route.route_key, route)
            await self.changes.deployments.auto(tx, api)
        return route

    async def delete_route(self, ctx: RequestContext, api_id: str, route_id: str) -> None:
        await self._delete(ctx, api_id, ROUTE, route_id)

    # -- integrations ----------------------------------------------------------------------------

    async def create_integration(self, ctx: RequestContext, api_id: str, fields: dict[str, Any]) -> rec.Integration:
        integration = rec.Integration(integration_id=self.changes.new_id(), **fields)
        validation.integration(integration)
        await self._add(ctx, api_id, INTEGRATION, integration.integration_id, integration)
        return integration

    async def update_integration(
        self, ctx: RequestContext, api_id: str, integration_id: str, changes: dict[str, Any]
    ) -> rec.Integration:
        async with self.changes.on(ctx, api_id) as (tx, api):
            integration = dataclasses.replace(await tables.part(tx, api, INTEGRATION, integration_id), **changes)
            validation.integration(integration)
            await tables.update_part(tx, api, INTEGRATION, integration_id, integration_id, integration)
            await self.changes.deployments.auto(tx, api)
        return integration

    async def delete_integration(self, ctx: RequestContext, api_id: str, integration_id: str) -> None:
        def in_use(route: rec.Route) -> Conflict | None:
            if route.integration_id != integration_id:
                return None
            return Conflict(
                f"Integration {integration_id} is the target of route {route.route_id} ({route.route_key}); "
                "detach it from the route first."
            )

        await self._delete(ctx, api_id, INTEGRATION, integration_id, in_use)

    # -- authorizers -----------------------------------------------------------------------------

    async def create_authorizer(self, ctx: RequestContext, api_id: str, fields: dict[str, Any]) -> rec.Authorizer:
        authorizer = rec.Authorizer(authorizer_id=self.changes.new_id(), **fields)
        validation.authorizer(authorizer)
        await self._add(ctx, api_id, AUTHORIZER, authorizer.authorizer_id, authorizer)
        return authorizer

    async def update_authorizer(
        self, ctx: RequestContext, api_id: str, authorizer_id: str, changes: dict[str, Any]
    ) -> rec.Authorizer:
        async with self.changes.on(ctx, api_id) as (tx, api):
            authorizer = dataclasses.replace(await tables.part(tx, api, AUTHORIZER, authorizer_id), **changes)
            validation.authorizer(authorizer)
            for route in await tables.parts(tx, api, ROUTE):
                if route.authorizer_id == authorizer_id:
                    validation.route(route, {authorizer_id: authorizer}, [route.integration_id or ""])
            await tables.update_part(tx, api, AUTHORIZER, authorizer_id, authorizer_id, authorizer)
            await self.changes.deployments.auto(tx, api)
        return authorizer

    async def delete_authorizer(self, ctx: RequestContext, api_id: str, authorizer_id: str) -> None:
        def in_use(route: rec.Route) -> Conflict | None:
            if route.authorizer_id != authorizer_id:
                return None
            return Conflict(
                f"Authorizer {authorizer_id} is used by route {route.route_id} ({route.route_key}); "
                "change the route's authorization first."
            )

        await self._delete(ctx, api_id, AUTHORIZER, authorizer_id, in_use)

    # -- inside a transaction --------------------------------------------------------------------

    async def _add(self, ctx: RequestContext, api_id: str, kind: str, part_id: str, record: Any) -> None:
        """Store a part known by its id alone (an integration, an authorizer); auto-deploy stages see it."""
        async with self.changes.on(ctx, api_id) as (tx, api):
            await tables.insert_part(tx, api, kind, part_id, part_id, record, self.changes.clock.now())
            await self.changes.deployments.auto(tx, api)

    async def _delete(
        self, ctx: RequestContext, api_id: str, kind: str, part_id: str, in_use: InUse | None = None
    ) -> None:
        """Delete a part, refused with `in_use`'s error while a route still uses it; auto-deploy stages drop it."""
        async with self.changes.on(ctx, api_id) as (tx, api):
            await tables.part(tx, api, kind, part_id)
            if in_use is not None:
                for route in await tables.parts(tx, api, ROUTE):
                    if (refused := in_use(route)) is not None:
                        raise refused
            await tables.delete_part(tx, api, kind, part_id)
            await self.changes.deployments.auto(tx, api)


async def _check_route(tx: Queries, api: rec.Api, route: rec.Route) -> None:
    validation.route_key(route.route_key)
    authorizers = {a.authorizer_id: a for a in await tables.parts(tx, api, AUTHORIZER)}
    integrations = [i.integration_id for i in await tables.parts(tx, api, INTEGRATION)]
    validation.route(route, authorizers, integrations)
    for other in await tables.parts(tx, api, ROUTE):
        if other.route_key == route.route_key and other.route_id != route.route_id:
            raise duplicate_route(route.route_key)
