"""Deployments: immutable snapshots of a REST API, each a row holding its Deployment and its Snapshot.

A deployment is made inside the API's change (`RestApis.changing`), so the Definition it freezes
and the stage it may point are one transaction.
https://docs.aws.amazon.com/apigateway/latest/api/API_Deployment.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.apis.errors import NotFound
from overcast.apis.restapi import codec, patch, snapshot, stages
from overcast.apis.restapi.ids import new_id
from overcast.apis.restapi.pages import BY_CREATION, LISTS
from overcast.apis.restapi.patch import Field, PatchOperation
from overcast.apis.restapi.records import Definition, Deployment, Snapshot, Stage
from overcast.apis.restapi.stages import StageRequest
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.kit.pages import fetch_page
from overcast.store import Queries

if TYPE_CHECKING:
    from overcast.apis.restapi.apis import RestApis

DEPLOYMENT_SPEC: patch.Spec = {"/description": Field(("description",))}
NO_DEPLOYMENT = "Invalid Deployment identifier specified"


class Deployments:
    def __init__(self, apis: RestApis) -> None:
        self.apis = apis

    async def create(
        self, ctx: RequestContext, api_id: str, description: str | None, stage_name: str | None, asked: StageRequest
    ) -> Deployment:
        """A deployment of the API as it is; with `stage_name`, that stage (made if new) serves it."""

        async def deploy(d: Definition, tx: Queries) -> tuple[Definition, Deployment]:
            now = self.apis.clock.now()
            frozen = snapshot.freeze(d)
            dep = Deployment(id=new_id(6), created_date=now, description=description or None)
            if stage_name:
                d, _ = stages.deploy_to(d, stage_name, dep.id, asked, now)
            await tx.execute(
                "INSERT INTO apigw_deployments (api_id, id, created, doc, snapshot) VALUES (?, ?, ?, ?, ?)",
                api_id, dep.id, now, codec.dump(dep), codec.dump(frozen),
            )  # fmt: skip
            return d, dep

        return await self.apis.changing(ctx, api_id, deploy)

    async def get(self, ctx: RequestContext, api_id: str, deployment_id: str) -> tuple[Deployment, Snapshot]:
        await self.apis.read(ctx, api_id)
        row = await self.apis.store.fetch_one(
            "SELECT doc, snapshot FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, deployment_id
        )
        if row is None:
            raise NotFound(NO_DEPLOYMENT)
        return codec.load(Deployment, row["doc"]), codec.load(Snapshot, row["snapshot"])

    async def serving(
        self, ctx: RequestContext, api_id: str, stage_name: str
    ) -> tuple[Definition, Stage, Deployment, Snapshot]:
        """(the API's Definition, the stage, the deployment it points at and what that froze)."""
        d = await self.apis.read(ctx, api_id)
        stage = stages.stage(d, stage_name)
        dep, frozen = await self.get(ctx, api_id, stage.deployment_id)
        return d, stage, dep, frozen

    async def page(
        self, ctx: RequestContext, api_id: str, limit: int | None, position: str | None
    ) -> tuple[list[Deployment], str | None]:
        """GetDeployments: the API's deployments in creation order."""
        await self.apis.read(ctx, api_id)
        rows, token = await fetch_page(
            self.apis.store,
            "SELECT doc, created, id FROM apigw_deployments WHERE api_id = ?",
            [api_id],
            BY_CREATION,
            LISTS.start(ctx, BY_CREATION.kinds, limit, position, api_id),
        )
        return [codec.load(Deployment, r["doc"]) for r in rows], token

    async def update(
        self, ctx: RequestContext, api_id: str, deployment_id: str, ops: list[PatchOperation]
    ) -> Deployment:
        async def update(d: Definition, tx: Queries) -> tuple[Definition, Deployment]:
            row = await tx.fetch_one(
                "SELECT doc FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, deployment_id
            )
            if row is None:
                raise NotFound(NO_DEPLOYMENT)
            dep = patch.apply(codec.load(Deployment, row["doc"]), ops, DEPLOYMENT_SPEC)
            await tx.execute(
                "UPDATE apigw_deployments SET doc = ? WHERE api_id = ? AND id = ?",
                codec.dump(dep),
                api_id,
                deployment_id,
            )
            return d, dep

        return await self.apis.changing(ctx, api_id, update)

    async def delete(self, ctx: RequestContext, api_id: str, deployment_id: str) -> None:
        async def delete(d: Definition, tx: Queries) -> tuple[Definition, None]:
            if any(s.deployment_id == deployment_id for s in d.stages.values()):
                # https://docs.aws.amazon.com/apigateway/latest/api/API_DeleteDeployment.html
                raise BadRequest("Active stages pointing to this deployment must be moved or deleted")
            gone = await tx.execute("DELETE FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, deployment_id)
            if not gone:
                raise NotFound(NO_DEPLOYMENT)
            return d, None

        await self.apis.changing(ctx, api_id, delete)

    async def check(self, q: Queries, api_id: str, deployment_id: str) -> None:
        """NotFound unless the API has this deployment."""
        row = await q.fetch_one("SELECT id FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, deployment_id)
        if row is None:
            raise NotFound(NO_DEPLOYMENT)
