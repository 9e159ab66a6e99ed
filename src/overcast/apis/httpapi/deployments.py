"""Deployments of an HTTP API: snapshots of its routes, integrations, authorizers and CORS, and stages pointed at them.

Run inside the caller's store transaction. A change to an API re-deploys each AutoDeploy stage in
that same transaction (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi import tables
from overcast.apis.httpapi.tables import AUTHORIZER, DEPLOYMENT, INTEGRATION, ROUTE, STAGE
from overcast.clock import Clock
from overcast.store import Queries


class Deployments:
    def __init__(self, clock: Clock, new_id: Callable[[], str]) -> None:
        self.clock = clock
        self.new_id = new_id

    async def deploy(self, tx: Queries, api: rec.Api, *, description: str | None, auto: bool) -> rec.Deployment:
        """A deployment: a snapshot of the API's routes, integrations, authorizers and CORS, stored."""
        snapshot = rec.Snapshot(
            routes=tuple(await tables.parts(tx, api, ROUTE)),
            integrations=tuple(await tables.parts(tx, api, INTEGRATION)),
            authorizers=tuple(await tables.parts(tx, api, AUTHORIZER)),
            cors=api.cors,
        )
        deployment = rec.Deployment(
            self.new_id(), self.clock.now(), description=description, auto_deployed=auto, snapshot=snapshot
        )
        did = deployment.deployment_id
        await tables.insert_part(tx, api, DEPLOYMENT, did, did, deployment, deployment.created)
        return deployment

    async def point(
        self, tx: Queries, api: rec.Api, stage: rec.Stage, deployment: rec.Deployment, *, auto: bool
    ) -> None:
        # AWS reports an AutoDeploy stage's last deployment as "Successfully deployed stage with deployment ID '<id>'".
        message = f"Successfully deployed stage with deployment ID '{deployment.deployment_id}'" if auto else None
        updated = dataclasses.replace(
            stage,
            deployment_id=deployment.deployment_id,
            last_deployment_status_message=message or stage.last_deployment_status_message,
            last_updated=self.clock.now(),
        )
        await tables.update_part(tx, api, STAGE, stage.stage_name, stage.stage_name, updated)

    async def auto(self, tx: Queries, api: rec.Api, only: str | None = None) -> None:
        """A new deployment for each AutoDeploy stage (or just `only`), as AWS makes on every change."""
        stages = [
            s for s in await tables.parts(tx, api, STAGE) if s.auto_deploy and (only is None or s.stage_name == only)
        ]
        if not stages or not await tables.parts(tx, api, ROUTE):
            return
        for stage in stages:
            deployment = await self.deploy(tx, api, description=None, auto=True)
            await self.point(tx, api, stage, deployment, auto=True)
