"""Stages and deployments of an HTTP API: what each stage serves, its settings, and its tags.

A deployment freezes the API's routes, integrations and authorizers; a stage points at one, and
its own settings (variables, throttling, access logs) apply at once. An AutoDeploy stage gets a
new deployment on every change (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html).
A stage's tags live in the kit's table under the stage's ARN, written and dropped in the
transaction that creates or deletes the stage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from overcast.apis.errors import TAG_RULES, NotFound
from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi import tables, validation
from overcast.apis.httpapi.changes import Changes
from overcast.apis.httpapi.pages import LISTS
from overcast.apis.httpapi.tables import DEPLOYMENT, PART_ORDER, ROUTE, STAGE
from overcast.apis.httpapi.tags import stage_arn
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.kit import tags
from overcast.store import Queries


class Stages:
    def __init__(self, changes: Changes) -> None:
        self.changes = changes

    async def create(
        self, ctx: RequestContext, api_id: str, fields: dict[str, Any], tagged: Mapping[str, str] | None = None
    ) -> rec.Tagged[rec.Stage]:
        now = self.changes.clock.now()
        stage = rec.Stage(created=now, last_updated=now, **fields)
        async with self.changes.on(ctx, api_id) as (tx, api):
            await _check(tx, api, stage)
            await self.changes.insert_named(tx, api, STAGE, stage.stage_name, stage.stage_name, stage)
            await tags.add(tx, stage_arn(api, stage.stage_name), tagged or {}, TAG_RULES)
            if stage.auto_deploy:
                await self.changes.deployments.auto(tx, api, only=stage.stage_name)
            return await _tagged(tx, api, stage.stage_name)

    async def get(self, ctx: RequestContext, api_id: str, stage_name: str) -> rec.Tagged[rec.Stage]:
        async with self.changes.reading(ctx, api_id) as (tx, api):
            return await _tagged(tx, api, stage_name)

    async def page(
        self, ctx: RequestContext, api_id: str, size: int | None, token: str | None
    ) -> tuple[list[rec.Tagged[rec.Stage]], str | None]:
        pages = LISTS.start(ctx, PART_ORDER.kinds, size, token, api_id)
        async with self.changes.reading(ctx, api_id) as (tx, api):
            found, next_token = await tables.part_page(tx, api, STAGE, pages)
            return [rec.Tagged(s, await tags.read(tx, stage_arn(api, s.stage_name))) for s in found], next_token

    async def update(
        self, ctx: RequestContext, api_id: str, stage_name: str, changes: dict[str, Any]
    ) -> rec.Tagged[rec.Stage]:
        """Change a stage's settings; `route_settings` are merged into the stage's, as AWS merges them."""
        async with self.changes.on(ctx, api_id) as (tx, api):
            old: rec.Stage = await tables.part(tx, api, STAGE, stage_name)
            if "route_settings" in changes:
                changes = {**changes, "route_settings": {**old.route_settings, **changes["route_settings"]}}
            stage = dataclasses.replace(old, last_updated=self.changes.clock.now(), **changes)
            await _check(tx, api, stage)
            await tables.update_part(tx, api, STAGE, stage_name, stage_name, stage)
            if stage.auto_deploy and not old.auto_deploy:
                await self.changes.deployments.auto(tx, api, only=stage_name)
            return await _tagged(tx, api, stage_name)

    async def delete_route_settings(self, ctx: RequestContext, api_id: str, stage_name: str, route_key: str) -> None:
        async with self.changes.on(ctx, api_id) as (tx, api):
            stage: rec.Stage = await tables.part(tx, api, STAGE, stage_name)
            if route_key not in stage.route_settings:
                raise NotFound(f"Unable to find RouteSettings for route key {route_key} in stage {stage_name}")
            kept = {k: v for k, v in stage.route_settings.items() if k != route_key}
            await tables.update_part(
                tx, api, STAGE, stage_name, stage_name, dataclasses.replace(stage, route_settings=kept)
            )

    async def delete(self, ctx: RequestContext, api_id: str, stage_name: str) -> None:
        async with self.changes.on(ctx, api_id) as (tx, api):
            await tables.part(tx, api, STAGE, stage_name)
            await tables.delete_part(tx, api, STAGE, stage_name)
            await tags.drop(tx, stage_arn(api, stage_name))

    # -- deployments -----------------------------------------------------------------------------

    async def deploy(
        self, ctx: RequestContext, api_id: str, description: str | None = None, stage_name: str | None = None
    ) -> rec.Deployment:
        async with self.changes.on(ctx, api_id) as (tx, api):
            stage: rec.Stage | None = None
            if stage_name is not None:
                stage = await tables.part(tx, api, STAGE, stage_name)
            if not await tables.parts(tx, api, ROUTE):
                raise BadRequest("Unable to deploy API because no routes exist in this API")
            deployment = await self.changes.deployments.deploy(tx, api, description=description, auto=False)
            if stage is not None:
                await self.changes.deployments.point(tx, api, stage, deployment, auto=False)
        return deployment

    async def update_deployment(
        self, ctx: RequestContext, api_id: str, deployment_id: str, description: str | None
    ) -> rec.Deployment:
        async with self.changes.on(ctx, api_id) as (tx, api):
            deployment = dataclasses.replace(
                await tables.part(tx, api, DEPLOYMENT, deployment_id), description=description
            )
            await tables.update_part(tx, api, DEPLOYMENT, deployment_id, deployment_id, deployment)
        return deployment

    async def delete_deployment(self, ctx: RequestContext, api_id: str, deployment_id: str) -> None:
        async with self.changes.on(ctx, api_id) as (tx, api):
            await tables.part(tx, api, DEPLOYMENT, deployment_id)
            for stage in await tables.parts(tx, api, STAGE):
                if stage.deployment_id == deployment_id:
                    raise BadRequest("Active stages pointing to this deployment must be moved or deleted")
            await tables.delete_part(tx, api, DEPLOYMENT, deployment_id)


async def _tagged(tx: Queries, api: rec.Api, stage_name: str) -> rec.Tagged[rec.Stage]:
    stage: rec.Stage = await tables.part(tx, api, STAGE, stage_name)
    return rec.Tagged(stage, await tags.read(tx, stage_arn(api, stage_name)))


async def _check(tx: Queries, api: rec.Api, stage: rec.Stage) -> None:
    validation.stage_name(stage.stage_name)
    validation.stage_variables(stage.stage_variables)
    validation.route_settings(stage.default_route_settings)
    validation.access_log(stage.access_log)
    keys = {r.route_key for r in await tables.parts(tx, api, ROUTE)}
    for key, settings in stage.route_settings.items():
        if key not in keys:
            raise NotFound(f"Unable to find Route by key {key} within the provided RouteSettings")
        validation.route_settings(settings)
    if stage.deployment_id is not None:
        await tables.part(tx, api, DEPLOYMENT, stage.deployment_id)
