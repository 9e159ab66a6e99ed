"""HttpApis: the HTTP API (apigatewayv2) control plane, and the deployed snapshots the data plane serves.

Every mutation is one store transaction: bad input raises before anything is written, and a
change to routes, integrations, authorizers or CORS re-deploys each AutoDeploy stage in that same
transaction (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html).
`deployed(api_id, stage)` is the data plane's seam: a dict lookup when warm, rebuilt from the
store after any change on this node.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from overcast.arn import parse_arn
from overcast.clock import Clock, SystemClock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.gateway.deployed import DeployedApi
from overcast.gateway.errors import Conflict, NotFound
from overcast.gateway.httpapi import records as rec
from overcast.gateway.httpapi import tables, validation
from overcast.gateway.httpapi.deployments import Deployments
from overcast.gateway.httpapi.errors import not_found
from overcast.gateway.httpapi.ids import new_api_id, new_part_id
from overcast.gateway.httpapi.schema import STEPS
from overcast.gateway.httpapi.snapshots import deployed_api
from overcast.gateway.httpapi.tables import AUTHORIZER, DEPLOYMENT, INTEGRATION, ROUTE, STAGE
from overcast.store import Conflict as StoreConflict
from overcast.store import Queries, Store

_MISSING: Any = object()


def endpoint_for(base_url: str) -> Callable[[str], str]:
    """ApiEndpoint for APIs served by the edge at `base_url` (`http://127.0.0.1:4566` ->
    `http://<apiId>.execute-api.localhost:4566`)."""
    scheme, _, rest = base_url.partition("://")
    port = rest.rsplit(":", 1)[1] if ":" in rest.rsplit("]", 1)[-1] else ""
    suffix = f":{port}" if port else ""
    return lambda api_id: f"{scheme}://{api_id}.execute-api.localhost{suffix}"


class HttpApis:
    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        endpoint: Callable[[str], str] | None = None,
        new_id: Callable[[], str] = new_part_id,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.endpoint = endpoint or endpoint_for("http://127.0.0.1:4566")
        self.new_id = new_id
        self.deployments = Deployments(self.clock, new_id)
        self._deployed: dict[tuple[str, str], DeployedApi | None] = {}
        self._stages: dict[str, list[str]] = {}
        self._generation = 0

    async def start(self) -> None:
        await self.store.migrate("httpapi", STEPS)

    # -- the data plane's seam -------------------------------------------------------------------

    async def deployed(self, api_id: str, stage: str) -> DeployedApi | None:
        """The snapshot `stage` of `api_id` serves, or None (no such API or stage, or never deployed)."""
        found = self._deployed.get((api_id, stage), _MISSING)
        if found is not _MISSING:
            return found
        generation = self._generation
        api = await tables.api_by_id(self.store, api_id)
        result: DeployedApi | None = None
        if api is not None:
            try:
                s = await tables.part(self.store, api_id, STAGE, stage)
                if s.deployment_id is not None:
                    result = deployed_api(api, s, await tables.part(self.store, api_id, DEPLOYMENT, s.deployment_id))
            except NotFound:
                result = None
        if generation == self._generation:
            self._deployed[(api_id, stage)] = result
        return result

    async def stages(self, api_id: str) -> list[str]:
        """The names of the API's stages (any account), e.g. ["$default", "prod"]."""
        found = self._stages.get(api_id)
        if found is not None:
            return list(found)
        generation = self._generation
        names = await tables.stage_names(self.store, api_id)
        if generation == self._generation:
            self._stages[api_id] = names
        return list(names)

    def _invalidate(self, api_id: str) -> None:
        self._generation += 1
        self._stages.pop(api_id, None)
        for key in [k for k in self._deployed if k[0] == api_id]:
            del self._deployed[key]

    @asynccontextmanager
    async def _changing(self, ctx: RequestContext, api_id: str) -> AsyncIterator[tuple[Queries, rec.Api]]:
        """A transaction on an existing API of the caller's; caches drop once it has ended."""
        try:
            async with self.store.transaction() as tx:
                yield tx, await tables.api(tx, ctx.account_id, ctx.region, api_id)
        finally:
            self._invalidate(api_id)

    # -- APIs ------------------------------------------------------------------------------------

    async def create_api(
        self,
        ctx: RequestContext,
        api: rec.Api,
        *,
        target: str | None = None,
        route_key: str | None = None,
    ) -> rec.Api:
        """Create `api` (its id, owner and creation time are assigned here). With `target`, quick
        create: an integration to it, a route (`route_key`, default `$default`) and a `$default`
        stage with AutoDeploy (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-basic-concept.html)."""
        if api.protocol_type == "WEBSOCKET":
            raise BadRequest("WebSocket APIs (ProtocolType WEBSOCKET) are not supported by Overcast yet.")
        if api.protocol_type != "HTTP":
            raise BadRequest(f"Invalid protocol specified: {api.protocol_type}. Must be one of [HTTP, WEBSOCKET]")
        if route_key is not None and target is None:
            raise BadRequest("RouteKey can only be specified with a Target (quick create).")
        validation.cors(api.cors)
        now = self.clock.now()
        api = dataclasses.replace(api, api_id=new_api_id(), account=ctx.account_id, region=ctx.region, created=now)
        quick: tuple[rec.Integration, rec.Route] | None = None
        if target is not None:
            integration = _quick_integration(self.new_id(), target)
            validation.integration(integration)
            key = route_key or rec.DEFAULT_ROUTE
            validation.route_key(key)
            quick = (
                integration,
                rec.Route(
                    self.new_id(), key, target=f"integrations/{integration.integration_id}", api_gateway_managed=True
                ),
            )
        async with self.store.transaction() as tx:
            await tables.insert_api(tx, api)
            if quick is not None:
                integration, route = quick
                await tables.insert_part(
                    tx,
                    api.api_id,
                    INTEGRATION,
                    integration.integration_id,
                    integration.integration_id,
                    integration,
                    now,
                )
                await tables.insert_part(tx, api.api_id, ROUTE, route.route_id, route.route_key, route, now)
                stage = rec.Stage(rec.DEFAULT_STAGE, now, now, auto_deploy=True, api_gateway_managed=True)
                await tables.insert_part(tx, api.api_id, STAGE, stage.stage_name, stage.stage_name, stage, now)
                await self.deployments.auto(tx, api)
        self._invalidate(api.api_id)
        return api

    async def api(self, ctx: RequestContext, api_id: str) -> rec.Api:
        return await tables.api(self.store, ctx.account_id, ctx.region, api_id)

    async def apis(self, ctx: RequestContext) -> list[rec.Api]:
        return await tables.apis(self.store, ctx.account_id, ctx.region)

    async def update_api(self, ctx: RequestContext, api_id: str, changes: dict[str, Any]) -> rec.Api:
        async with self._changing(ctx, api_id) as (tx, api):
            updated = dataclasses.replace(api, **changes)
            validation.cors(updated.cors)
            await tables.update_api(tx, updated)
            if updated.cors != api.cors:
                await self.deployments.auto(tx, updated)
        return updated

    async def delete_cors(self, ctx: RequestContext, api_id: str) -> None:
        await self.update_api(ctx, api_id, {"cors": None})

    async def delete_api(self, ctx: RequestContext, api_id: str) -> None:
        async with self._changing(ctx, api_id) as (tx, _):
            await tables.delete_api(tx, api_id)

    # -- OpenAPI (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-open-api.html) --

    async def import_api(self, ctx: RequestContext, definition: Any) -> rec.Api:
        """A new API holding an imported `openapi.Definition`, written in one transaction."""
        api = rec.Api(
            new_api_id(), ctx.account_id, ctx.region, definition.name, self.clock.now(),
            description=definition.description, version=definition.version, cors=definition.cors,
        )  # fmt: skip
        async with self.store.transaction() as tx:
            await tables.insert_api(tx, api)
            await self._insert_definition(tx, api.api_id, definition)
        self._invalidate(api.api_id)
        return api

    async def reimport_api(self, ctx: RequestContext, api_id: str, definition: Any) -> rec.Api:
        """ReimportApi: the definition replaces the API's routes, integrations, authorizers and CORS;
        stages stay, and AutoDeploy stages deploy the result."""
        async with self._changing(ctx, api_id) as (tx, api):
            for kind in (ROUTE, INTEGRATION, AUTHORIZER):
                for part in await tables.parts(tx, api_id, kind):
                    await tables.delete_part(tx, api_id, kind, _part_id(part))
            api = dataclasses.replace(
                api, name=definition.name, description=definition.description, version=definition.version,
                cors=definition.cors,
            )  # fmt: skip
            await tables.update_api(tx, api)
            await self._insert_definition(tx, api_id, definition)
            await self.deployments.auto(tx, api)
        return api

    async def _insert_definition(self, tx: Queries, api_id: str, definition: Any) -> None:
        now = self.clock.now()
        for a in definition.authorizers:
            await tables.insert_part(tx, api_id, AUTHORIZER, a.authorizer_id, a.authorizer_id, a, now)
        for i in definition.integrations:
            await tables.insert_part(tx, api_id, INTEGRATION, i.integration_id, i.integration_id, i, now)
        for r in definition.routes:
            await tables.insert_part(tx, api_id, ROUTE, r.route_id, r.route_key, r, now)

    async def definition(
        self, ctx: RequestContext, api_id: str, stage_name: str | None
    ) -> tuple[rec.Api, rec.Snapshot]:
        """The API and what it serves: a stage's deployed snapshot, or (no stage) its current records."""
        async with self.store.transaction() as tx:
            api = await tables.api(tx, ctx.account_id, ctx.region, api_id)
            if stage_name is None:
                return api, rec.Snapshot(
                    routes=tuple(await tables.parts(tx, api_id, ROUTE)),
                    integrations=tuple(await tables.parts(tx, api_id, INTEGRATION)),
                    authorizers=tuple(await tables.parts(tx, api_id, AUTHORIZER)),
                    cors=api.cors,
                )
            stage: rec.Stage = await tables.part(tx, api_id, STAGE, stage_name)
            if stage.deployment_id is None:
                raise BadRequest(f"Stage {stage_name} has no deployment to export")
            deployment: rec.Deployment = await tables.part(tx, api_id, DEPLOYMENT, stage.deployment_id)
            return api, deployment.snapshot

    # -- tags (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging.html) --

    async def tags(self, ctx: RequestContext, arn: str) -> dict[str, str]:
        api_id, stage_name = _tagged(ctx, arn)
        async with self.store.transaction() as tx:
            api = await tables.api(tx, ctx.account_id, ctx.region, api_id)
            if stage_name is None:
                return dict(api.tags)
            stage: rec.Stage = await tables.part(tx, api_id, STAGE, stage_name)
            return dict(stage.tags)

    async def tag(self, ctx: RequestContext, arn: str, add: dict[str, str], remove: tuple[str, ...] = ()) -> None:
        api_id, stage_name = _tagged(ctx, arn)
        async with self._changing(ctx, api_id) as (tx, api):
            if stage_name is None:
                merged = {k: v for k, v in {**api.tags, **add}.items() if k not in remove}
                await tables.update_api(tx, dataclasses.replace(api, tags=merged))
            else:
                stage: rec.Stage = await tables.part(tx, api_id, STAGE, stage_name)
                merged = {k: v for k, v in {**stage.tags, **add}.items() if k not in remove}
                await tables.update_part(
                    tx, api_id, STAGE, stage_name, stage_name, dataclasses.replace(stage, tags=merged)
                )

    # -- routes, integrations, authorizers -------------------------------------------------------

    async def create_route(self, ctx: RequestContext, api_id: str, fields: dict[str, Any]) -> rec.Route:
        async with self._changing(ctx, api_id) as (tx, api):
            route = rec.Route(route_id=self.new_id(), **fields)
            await self._check_route(tx, api_id, route)
            await self._insert_named(tx, api_id, ROUTE, route.route_id, route.route_key, route)
            await self.deployments.auto(tx, api)
        return route

    async def update_route(self, ctx: RequestContext, api_id: str, route_id: str, changes: dict[str, Any]) -> rec.Route:
        async with self._changing(ctx, api_id) as (tx, api):
            route = dataclasses.replace(await tables.part(tx, api_id, ROUTE, route_id), **changes)
            if route.authorization_type in ("NONE", "AWS_IAM") and "authorizer_id" not in changes:
                # Switching a route to NONE or AWS_IAM detaches its authorizer and scopes.
                route = dataclasses.replace(route, authorizer_id=None, authorization_scopes=None)
            await self._check_route(tx, api_id, route)
            for other in await tables.parts(tx, api_id, ROUTE):
                if other.route_key == route.route_key and other.route_id != route_id:
                    raise _duplicate_route(route.route_key)
            await tables.update_part(tx, api_id, ROUTE, route_id, route.route_key, route)
            await self.deployments.auto(tx, api)
        return route

    async def delete_route(self, ctx: RequestContext, api_id: str, route_id: str) -> None:
        async with self._changing(ctx, api_id) as (tx, api):
            await tables.part(tx, api_id, ROUTE, route_id)
            await tables.delete_part(tx, api_id, ROUTE, route_id)
            await self.deployments.auto(tx, api)

    async def create_integration(self, ctx: RequestContext, api_id: str, fields: dict[str, Any]) -> rec.Integration:
        integration = rec.Integration(integration_id=self.new_id(), **fields)
        validation.integration(integration)
        await self._add_part(ctx, api_id, INTEGRATION, integration.integration_id, integration)
        return integration

    async def update_integration(
        self, ctx: RequestContext, api_id: str, integration_id: str, changes: dict[str, Any]
    ) -> rec.Integration:
        async with self._changing(ctx, api_id) as (tx, api):
            integration = dataclasses.replace(await tables.part(tx, api_id, INTEGRATION, integration_id), **changes)
            validation.integration(integration)
            await tables.update_part(tx, api_id, INTEGRATION, integration_id, integration_id, integration)
            await self.deployments.auto(tx, api)
        return integration

    async def delete_integration(self, ctx: RequestContext, api_id: str, integration_id: str) -> None:
        async with self._changing(ctx, api_id) as (tx, api):
            await tables.part(tx, api_id, INTEGRATION, integration_id)
            for route in await tables.parts(tx, api_id, ROUTE):
                if route.integration_id == integration_id:
                    raise Conflict(
                        f"Integration {integration_id} is the target of route {route.route_id} ({route.route_key}); "
                        "detach it from the route first."
                    )
            await tables.delete_part(tx, api_id, INTEGRATION, integration_id)
            await self.deployments.auto(tx, api)

    async def create_authorizer(self, ctx: RequestContext, api_id: str, fields: dict[str, Any]) -> rec.Authorizer:
        authorizer = rec.Authorizer(authorizer_id=self.new_id(), **fields)
        validation.authorizer(authorizer)
        await self._add_part(ctx, api_id, AUTHORIZER, authorizer.authorizer_id, authorizer)
        return authorizer

    async def update_authorizer(
        self, ctx: RequestContext, api_id: str, authorizer_id: str, changes: dict[str, Any]
    ) -> rec.Authorizer:
        async with self._changing(ctx, api_id) as (tx, api):
            authorizer = dataclasses.replace(await tables.part(tx, api_id, AUTHORIZER, authorizer_id), **changes)
            validation.authorizer(authorizer)
            for route in await tables.parts(tx, api_id, ROUTE):
                if route.authorizer_id == authorizer_id:
                    validation.route(route, {authorizer_id: authorizer}, [route.integration_id or ""])
            await tables.update_part(tx, api_id, AUTHORIZER, authorizer_id, authorizer_id, authorizer)
            await self.deployments.auto(tx, api)
        return authorizer

    async def delete_authorizer(self, ctx: RequestContext, api_id: str, authorizer_id: str) -> None:
        async with self._changing(ctx, api_id) as (tx, api):
            await tables.part(tx, api_id, AUTHORIZER, authorizer_id)
            for route in await tables.parts(tx, api_id, ROUTE):
                if route.authorizer_id == authorizer_id:
                    raise Conflict(
                        f"Authorizer {authorizer_id} is used by route {route.route_id} ({route.route_key}); "
                        "change the route's authorization first."
                    )
            await tables.delete_part(tx, api_id, AUTHORIZER, authorizer_id)
            await self.deployments.auto(tx, api)

    async def part(self, ctx: RequestContext, api_id: str, kind: str, part_id: str) -> Any:
        """One route, integration, authorizer, stage or deployment (kind as in `tables`)."""
        async with self.store.transaction() as tx:
            await tables.api(tx, ctx.account_id, ctx.region, api_id)
            return await tables.part(tx, api_id, kind, part_id)

    async def parts(self, ctx: RequestContext, api_id: str, kind: str) -> list[Any]:
        async with self.store.transaction() as tx:
            await tables.api(tx, ctx.account_id, ctx.region, api_id)
            return await tables.parts(tx, api_id, kind)

    # -- stages and deployments ------------------------------------------------------------------

    async def create_stage(self, ctx: RequestContext, api_id: str, fields: dict[str, Any]) -> rec.Stage:
        now = self.clock.now()
        stage = rec.Stage(created=now, last_updated=now, **fields)
        async with self._changing(ctx, api_id) as (tx, api):
            await self._check_stage(tx, api_id, stage)
            if stage.stage_name in await tables.stage_names(tx, api_id):
                raise Conflict(f"Stage already exists with name {stage.stage_name}")
            await self._insert_named(tx, api_id, STAGE, stage.stage_name, stage.stage_name, stage)
            if stage.auto_deploy:
                await self.deployments.auto(tx, api, only=stage.stage_name)
            stage = await tables.part(tx, api_id, STAGE, stage.stage_name)
        return stage

    async def update_stage(
        self, ctx: RequestContext, api_id: str, stage_name: str, changes: dict[str, Any]
    ) -> rec.Stage:
        async with self._changing(ctx, api_id) as (tx, api):
            old: rec.Stage = await tables.part(tx, api_id, STAGE, stage_name)
            stage = dataclasses.replace(old, last_updated=self.clock.now(), **changes)
            await self._check_stage(tx, api_id, stage)
            await tables.update_part(tx, api_id, STAGE, stage_name, stage_name, stage)
            if stage.auto_deploy and not old.auto_deploy:
                await self.deployments.auto(tx, api, only=stage_name)
                stage = await tables.part(tx, api_id, STAGE, stage_name)
        return stage

    async def delete_route_settings(self, ctx: RequestContext, api_id: str, stage_name: str, route_key: str) -> None:
        async with self._changing(ctx, api_id) as (tx, _):
            stage: rec.Stage = await tables.part(tx, api_id, STAGE, stage_name)
            if route_key not in stage.route_settings:
                raise NotFound(f"Unable to find RouteSettings for route key {route_key} in stage {stage_name}")
            kept = {k: v for k, v in stage.route_settings.items() if k != route_key}
            await tables.update_part(
                tx, api_id, STAGE, stage_name, stage_name, dataclasses.replace(stage, route_settings=kept)
            )

    async def delete_stage(self, ctx: RequestContext, api_id: str, stage_name: str) -> None:
        async with self._changing(ctx, api_id) as (tx, _):
            await tables.part(tx, api_id, STAGE, stage_name)
            await tables.delete_part(tx, api_id, STAGE, stage_name)

    async def create_deployment(
        self, ctx: RequestContext, api_id: str, description: str | None = None, stage_name: str | None = None
    ) -> rec.Deployment:
        async with self._changing(ctx, api_id) as (tx, api):
            stage: rec.Stage | None = None
            if stage_name is not None:
                stage = await tables.part(tx, api_id, STAGE, stage_name)
            routes = await tables.parts(tx, api_id, ROUTE)
            if not routes:
                raise BadRequest("Unable to deploy API because no routes exist in this API")
            deployment = await self.deployments.deploy(tx, api, description=description, auto=False)
            if stage is not None:
                await self.deployments.point(tx, api_id, stage, deployment, auto=False)
        return deployment

    async def update_deployment(
        self, ctx: RequestContext, api_id: str, deployment_id: str, description: str | None
    ) -> rec.Deployment:
        async with self._changing(ctx, api_id) as (tx, _):
            deployment = dataclasses.replace(
                await tables.part(tx, api_id, DEPLOYMENT, deployment_id), description=description
            )
            await tables.update_part(tx, api_id, DEPLOYMENT, deployment_id, deployment_id, deployment)
        return deployment

    async def delete_deployment(self, ctx: RequestContext, api_id: str, deployment_id: str) -> None:
        async with self._changing(ctx, api_id) as (tx, _):
            await tables.part(tx, api_id, DEPLOYMENT, deployment_id)
            for stage in await tables.parts(tx, api_id, STAGE):
                if stage.deployment_id == deployment_id:
                    raise BadRequest("Active stages pointing to this deployment must be moved or deleted")
            await tables.delete_part(tx, api_id, DEPLOYMENT, deployment_id)

    # -- inside a transaction --------------------------------------------------------------------

    async def _add_part(self, ctx: RequestContext, api_id: str, kind: str, part_id: str, record: Any) -> None:
        """Store a part known by its id alone (an integration, an authorizer); auto-deploy stages see it."""
        async with self._changing(ctx, api_id) as (tx, api):
            await tables.insert_part(tx, api_id, kind, part_id, part_id, record, self.clock.now())
            await self.deployments.auto(tx, api)

    async def _insert_named(self, tx: Queries, api_id: str, kind: str, part_id: str, name: str, record: Any) -> None:
        try:
            await tables.insert_part(tx, api_id, kind, part_id, name, record, self.clock.now())
        except StoreConflict:
            raise _duplicate_route(name) if kind == ROUTE else Conflict(f"{kind} {name} already exists") from None

    async def _check_route(self, tx: Queries, api_id: str, route: rec.Route) -> None:
        validation.route_key(route.route_key)
        authorizers = {a.authorizer_id: a for a in await tables.parts(tx, api_id, AUTHORIZER)}
        integrations = [i.integration_id for i in await tables.parts(tx, api_id, INTEGRATION)]
        validation.route(route, authorizers, integrations)
        for other in await tables.parts(tx, api_id, ROUTE):
            if other.route_key == route.route_key and other.route_id != route.route_id:
                raise _duplicate_route(route.route_key)

    async def _check_stage(self, tx: Queries, api_id: str, stage: rec.Stage) -> None:
        validation.stage_name(stage.stage_name)
        validation.stage_variables(stage.stage_variables)
        validation.route_settings(stage.default_route_settings)
        validation.access_log(stage.access_log)
        keys = {r.route_key for r in await tables.parts(tx, api_id, ROUTE)}
        for key, settings in stage.route_settings.items():
            if key not in keys:
                raise NotFound(f"Unable to find Route by key {key} within the provided RouteSettings")
            validation.route_settings(settings)
        if stage.deployment_id is not None:
            await tables.part(tx, api_id, DEPLOYMENT, stage.deployment_id)


def _quick_integration(integration_id: str, target: str) -> rec.Integration:
    """Quick create's integration: Lambda proxy with payload 2.0, or HTTP proxy for a URL."""
    if target.startswith(("http://", "https://")):
        return rec.Integration(
            integration_id, "HTTP_PROXY", integration_uri=target, integration_method="ANY", api_gateway_managed=True
        )
    return rec.Integration(
        integration_id,
        "AWS_PROXY",
        integration_uri=target,
        integration_method="POST",
        payload_format_version="2.0",
        api_gateway_managed=True,
    )


def _part_id(part: Any) -> str:
    if isinstance(part, rec.Route):
        return part.route_id
    if isinstance(part, rec.Integration):
        return part.integration_id
    return str(part.authorizer_id)


def _duplicate_route(route_key: str) -> Conflict:
    return Conflict(f"Unable to create Route with key {route_key}. A route with this key already exists for this API.")


def _tagged(ctx: RequestContext, arn: str) -> tuple[str, str | None]:
    """(api id, stage name or None) of an `arn:aws:apigateway:<region>::/apis/<id>[/stages/<name>]` ARN."""
    parsed = parse_arn(arn)
    fields = parsed.fields("/") if parsed is not None and parsed.service == "apigateway" else []
    if len(fields) == 2 and fields[0] == "apis":
        return fields[1], None
    if len(fields) == 4 and fields[0] == "apis" and fields[2] == "stages":
        return fields[1], fields[3]
    raise BadRequest(f"Invalid resource ARN {arn}")


__all__ = ["HttpApis", "endpoint_for", "not_found"]
