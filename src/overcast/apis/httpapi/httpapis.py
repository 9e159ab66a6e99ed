"""HttpApis: the HTTP API (apigatewayv2) control plane's APIs, and the deployed snapshots the data plane serves.

An API's routes, integrations and authorizers are `parts`' (Parts), its stages and deployments
`stages`' (Stages), and the tags of APIs and stages go through `tagging` (the kit's Tagging). Every
change is one transaction (`changes.Changes`). `deployed(api_id, stage)` is the data plane's seam:
a dict lookup when warm, rebuilt from the store after any change on this node.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from overcast.apis.deployed import DeployedApi
from overcast.apis.errors import TAG_RULES, NotFound
from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi import tables, validation, websockets
from overcast.apis.httpapi.changes import Changes
from overcast.apis.httpapi.ids import new_api_id, new_part_id
from overcast.apis.httpapi.pages import LISTS
from overcast.apis.httpapi.parts import Parts
from overcast.apis.httpapi.schema import STEPS
from overcast.apis.httpapi.snapshots import deployed_api
from overcast.apis.httpapi.stages import Stages
from overcast.apis.httpapi.tables import API_ORDER, AUTHORIZER, DEPLOYMENT, INTEGRATION, ROUTE, STAGE
from overcast.apis.httpapi.tags import api_arn, stage_arn, taggable
from overcast.apis.httpapi.websockets import WEBSOCKET, SocketStage, socket_stage
from overcast.clock import Clock, SystemClock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.kit import tags
from overcast.kit.tags import Tagging
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
        self.endpoint = endpoint or endpoint_for("http://127.0.0.1:4566")
        self.new_id = new_id
        self.changes = Changes(store, clock or SystemClock(), new_id, self._invalidate)
        self.parts = Parts(self.changes)
        self.stages = Stages(self.changes)
        self.tagging = Tagging(store, taggable, TAG_RULES)
        self._deployed: dict[tuple[str, str], DeployedApi | SocketStage | None] = {}
        self._stage_names: dict[str, list[str]] = {}
        self._generation = 0

    async def start(self) -> None:
        await tags.migrate(self.store)
        await self.store.migrate("httpapi", STEPS)

    # -- the data plane's seam -------------------------------------------------------------------

    async def deployed(self, api_id: str, stage: str) -> DeployedApi | None:
        """The snapshot `stage` of an HTTP API serves, or None (no such API or stage, never deployed, or a
        WebSocket API: plain HTTP requests do not reach those)."""
        found = self._deployed.get((api_id, stage), _MISSING)
        if found is _MISSING:
            found = await self._published(api_id, stage)
        return found if isinstance(found, DeployedApi) else None

    async def socket_stage(self, api_id: str, stage: str) -> SocketStage | None:
        """What `stage` of a WebSocket API serves, or None."""
        found = self._deployed.get((api_id, stage), _MISSING)
        if found is _MISSING:
            found = await self._published(api_id, stage)
        return found if isinstance(found, SocketStage) else None

    async def _published(self, api_id: str, stage: str) -> DeployedApi | SocketStage | None:
        generation = self._generation
        api = await tables.api_by_id(self.store, api_id)
        result: DeployedApi | SocketStage | None = None
        if api is not None:
            try:
                s = await tables.part(self.store, api, STAGE, stage)
                if s.deployment_id is not None:
                    deployment = await tables.part(self.store, api, DEPLOYMENT, s.deployment_id)
                    build = socket_stage if api.protocol_type == WEBSOCKET else deployed_api
                    result = build(api, s, deployment)
            except NotFound:
                result = None
        if generation == self._generation:
            self._deployed[(api_id, stage)] = result
        return result

    async def stage_names(self, api_id: str) -> list[str]:
        """The names of the API's stages (any account), e.g. ["$default", "prod"]."""
        found = self._stage_names.get(api_id)
        if found is not None:
            return list(found)
        generation = self._generation
        names = await tables.stage_names(self.store, api_id)
        if generation == self._generation:
            self._stage_names[api_id] = names
        return list(names)

    def _invalidate(self, api_id: str) -> None:
        self._generation += 1
        self._stage_names.pop(api_id, None)
        for key in [k for k in self._deployed if k[0] == api_id]:
            del self._deployed[key]

    # -- APIs ------------------------------------------------------------------------------------

    async def create_api(
        self,
        ctx: RequestContext,
        api: rec.Api,
        tagged: Mapping[str, str] | None = None,
        *,
        target: str | None = None,
        route_key: str | None = None,
    ) -> rec.Tagged[rec.Api]:
        """Create `api` (its id, owner and creation time are assigned here) with `tagged` tags. With
        `target`, quick create: an integration to it, a route (`route_key`, default `$default`) and a
        `$default` stage with AutoDeploy
        (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-basic-concept.html)."""
        if api.protocol_type not in ("HTTP", WEBSOCKET):
            raise BadRequest(f"Invalid protocol specified: {api.protocol_type}. Must be one of [HTTP, WEBSOCKET]")
        if api.protocol_type == WEBSOCKET and (target is not None or route_key is not None):
            # https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html: quick create is HTTP APIs'.
            raise BadRequest("Target and RouteKey (quick create) are supported only for HTTP APIs.")
        if route_key is not None and target is None:
            raise BadRequest("RouteKey can only be specified with a Target (quick create).")
        _check(api)
        now = self.changes.clock.now()
        api = dataclasses.replace(api, api_id=new_api_id(), account=ctx.account_id, region=ctx.region, created=now)
        quick: tuple[rec.Integration, rec.Route] | None = None
        if target is not None:
            integration = _quick_integration(self.new_id(), target)
            validation.integration(integration)
            key = route_key or rec.DEFAULT_ROUTE
            validation.route_key(key)
            route = rec.Route(
                self.new_id(), key, target=f"integrations/{integration.integration_id}", api_gateway_managed=True
            )
            quick = (integration, route)
        async with self.store.transaction() as tx:
            await tables.insert_api(tx, api)
            await tags.add(tx, api_arn(api), tagged or {}, TAG_RULES)
            if quick is not None:
                integration, route = quick
                iid = integration.integration_id
                await tables.insert_part(tx, api, INTEGRATION, iid, iid, integration, now)
                await tables.insert_part(tx, api, ROUTE, route.route_id, route.route_key, route, now)
                stage = rec.Stage(rec.DEFAULT_STAGE, now, now, auto_deploy=True, api_gateway_managed=True)
                await tables.insert_part(tx, api, STAGE, stage.stage_name, stage.stage_name, stage, now)
                await self.changes.deployments.auto(tx, api)
            created = await _tagged(tx, api)
        self._invalidate(api.api_id)
        return created

    async def api(self, ctx: RequestContext, api_id: str) -> rec.Tagged[rec.Api]:
        async with self.changes.reading(ctx, api_id) as (tx, api):
            return await _tagged(tx, api)

    async def apis(
        self, ctx: RequestContext, size: int | None = None, token: str | None = None
    ) -> tuple[list[rec.Tagged[rec.Api]], str | None]:
        """One page of the caller's APIs, in creation order."""
        pages = LISTS.start(ctx, API_ORDER.kinds, size, token)
        async with self.store.transaction() as tx:
            found, next_token = await tables.api_page(tx, ctx, pages)
            return [await _tagged(tx, a) for a in found], next_token

    async def update_api(self, ctx: RequestContext, api_id: str, changes: dict[str, Any]) -> rec.Tagged[rec.Api]:
        async with self.changes.on(ctx, api_id) as (tx, api):
            updated = dataclasses.replace(api, **changes)
            _check(updated)
            await tables.update_api(tx, updated)
            if updated.cors != api.cors:
                await self.changes.deployments.auto(tx, updated)
            return await _tagged(tx, updated)

    async def delete_cors(self, ctx: RequestContext, api_id: str) -> None:
        await self.update_api(ctx, api_id, {"cors": None})

    async def delete_api(self, ctx: RequestContext, api_id: str) -> None:
        """Delete the API with its parts, and the tags of the API and of its stages."""
        async with self.changes.on(ctx, api_id) as (tx, api):
            for stage in await tables.parts(tx, api, STAGE):
                await tags.drop(tx, stage_arn(api, stage.stage_name))
            await tags.drop(tx, api_arn(api))
            await tables.delete_api(tx, api)

    # -- OpenAPI (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-open-api.html) --

    async def import_api(self, ctx: RequestContext, definition: Any) -> rec.Tagged[rec.Api]:
        """A new API holding an imported `openapi.Definition`, written in one transaction."""
        api = rec.Api(
            new_api_id(), ctx.account_id, ctx.region, definition.name, self.changes.clock.now(),
            description=definition.description, version=definition.version, cors=definition.cors,
        )  # fmt: skip
        async with self.store.transaction() as tx:
            await tables.insert_api(tx, api)
            await self._insert_definition(tx, api, definition)
        self._invalidate(api.api_id)
        return rec.Tagged(api, {})

    async def reimport_api(self, ctx: RequestContext, api_id: str, definition: Any) -> rec.Tagged[rec.Api]:
        """ReimportApi: the definition replaces the API's routes, integrations, authorizers and CORS;
        stages (and tags) stay, and AutoDeploy stages deploy the result."""
        async with self.changes.on(ctx, api_id) as (tx, api):
            _http_only(api, "ReimportApi")
            for kind in (ROUTE, INTEGRATION, AUTHORIZER):
                for part in await tables.parts(tx, api, kind):
                    await tables.delete_part(tx, api, kind, _part_id(part))
            api = dataclasses.replace(
                api, name=definition.name, description=definition.description, version=definition.version,
                cors=definition.cors,
            )  # fmt: skip
            await tables.update_api(tx, api)
            await self._insert_definition(tx, api, definition)
            await self.changes.deployments.auto(tx, api)
            return await _tagged(tx, api)

    async def _insert_definition(self, tx: Queries, api: rec.Api, definition: Any) -> None:
        now = self.changes.clock.now()
        for a in definition.authorizers:
            await tables.insert_part(tx, api, AUTHORIZER, a.authorizer_id, a.authorizer_id, a, now)
        for i in definition.integrations:
            await tables.insert_part(tx, api, INTEGRATION, i.integration_id, i.integration_id, i, now)
        for r in definition.routes:
            await tables.insert_part(tx, api, ROUTE, r.route_id, r.route_key, r, now)

    async def definition(
        self, ctx: RequestContext, api_id: str, stage_name: str | None
    ) -> tuple[rec.Api, rec.Snapshot]:
        """The API and what it serves: a stage's deployed snapshot, or (no stage) its current records."""
        async with self.changes.reading(ctx, api_id) as (tx, api):
            _http_only(api, "ExportApi")
            if stage_name is None:
                return api, rec.Snapshot(
                    routes=tuple(await tables.parts(tx, api, ROUTE)),
                    integrations=tuple(await tables.parts(tx, api, INTEGRATION)),
                    authorizers=tuple(await tables.parts(tx, api, AUTHORIZER)),
                    cors=api.cors,
                )
            stage: rec.Stage = await tables.part(tx, api, STAGE, stage_name)
            if stage.deployment_id is None:
                raise BadRequest(f"Stage {stage_name} has no deployment to export")
            deployment: rec.Deployment = await tables.part(tx, api, DEPLOYMENT, stage.deployment_id)
            return api, deployment.snapshot


def _http_only(api: rec.Api, operation: str) -> None:
    if api.protocol_type == WEBSOCKET:
        # OpenAPI import and export are HTTP APIs' (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-open-api.html).
        raise BadRequest(f"{operation} is supported only for HTTP APIs.")


def _check(api: rec.Api) -> None:
    """The API-level rules of either protocol (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html)."""
    if api.api_key_selection_expression not in (rec.API_KEY_SELECTION, "$context.authorizer.usageIdentifierKey"):
        raise BadRequest(f"Invalid ApiKeySelectionExpression {api.api_key_selection_expression}")
    if api.protocol_type == WEBSOCKET:
        websockets.route_selection_expression(api.route_selection_expression)
        if api.cors is not None:
            raise BadRequest("CorsConfiguration is supported only for HTTP APIs.")
        return
    if api.route_selection_expression != rec.ROUTE_SELECTION:
        raise BadRequest(f"RouteSelectionExpression must be {rec.ROUTE_SELECTION} for HTTP APIs.")
    if api.api_key_selection_expression != rec.API_KEY_SELECTION:
        raise BadRequest("ApiKeySelectionExpression is supported only for WebSocket APIs.")
    validation.cors(api.cors)


async def _tagged(tx: Queries, api: rec.Api) -> rec.Tagged[rec.Api]:
    return rec.Tagged(api, await tags.read(tx, api_arn(api)))


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
