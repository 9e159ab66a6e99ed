"""RestApis: the REST API (apigateway v1) control plane over the store, and the data plane's seam.

Each REST API is one document (see `definition`) changed in one transaction under its version:
`change` loads it, runs a pure function of `resources`, `definition` or `stages` on a copy, and
stores the result only if the function returned (bad input raises first, so nothing changes).
Deployments are immutable snapshots in their own rows. `deployed()` and `key_plan()` answer the
data plane from in-memory snapshots that every change in this process drops.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any, TypeVar

from overcast.arn import parse_arn
from overcast.clock import Clock, SystemClock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.gateway.deployed import DeployedApi, KeyPlan
from overcast.gateway.errors import NotFound
from overcast.gateway.restapi import definition, snapshot, stages
from overcast.gateway.restapi.ids import new_id
from overcast.gateway.restapi.keys import Keys
from overcast.gateway.restapi.patch import PatchOperation
from overcast.gateway.restapi.schema import STEPS
from overcast.store import Queries, Store

Doc = dict[str, Any]
T = TypeVar("T")
_MISSING: Any = object()
_CACHE_LIMIT = 10_000  # snapshots kept (including "no such API stage" answers) before starting afresh
_RETRIES = 20


class _Raced(Exception):
    """Another writer changed the document between our read and our write (PostgreSQL only)."""


class RestApis:
    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.keys = Keys(store, self.clock, self._api_stage_exists, on_change=self._forget_keys)
        self._deployed: dict[tuple[str, str], DeployedApi | None] = {}
        self._key_plans: dict[tuple[str, str, str], KeyPlan | None] = {}
        self._generation = 0

    async def start(self) -> None:
        await self.store.migrate("apigateway", STEPS)

    # -- the data plane's seam ------------------------------------------------------------------

    async def deployed(self, api_id: str, stage: str) -> DeployedApi | None:
        """The snapshot `stage` of `api_id` serves, or None if there is no such API stage."""
        found = self._deployed.get((api_id, stage), _MISSING)
        if found is not _MISSING:
            return found
        generation = self._generation
        result = await self._load_deployed(api_id, stage)
        if generation == self._generation:
            if len(self._deployed) >= _CACHE_LIMIT:
                self._deployed.clear()
            self._deployed[(api_id, stage)] = result
        return result

    async def exists(self, api_id: str) -> bool:
        """Whether a REST API of this id exists (the data plane's answer to a stage it does not have)."""
        return await self.store.fetch_one("SELECT id FROM apigw_apis WHERE id = ?", api_id) is not None

    async def key_plan(self, api_id: str, stage: str, key_value: str) -> KeyPlan | None:
        """The enabled API key with this value and the usage plan granting it this API stage."""
        found = self._key_plans.get((api_id, stage, key_value), _MISSING)
        if found is not _MISSING:
            return found
        generation = self._generation
        row = await self.store.fetch_one("SELECT account, region FROM apigw_apis WHERE id = ?", api_id)
        result = (
            None if row is None else await self.keys.key_plan(row["account"], row["region"], api_id, stage, key_value)
        )
        if generation == self._generation:
            if len(self._key_plans) >= _CACHE_LIMIT:
                self._key_plans.clear()
            self._key_plans[(api_id, stage, key_value)] = result
        return result

    async def _load_deployed(self, api_id: str, stage_name: str) -> DeployedApi | None:
        row = await self.store.fetch_one("SELECT account, region, doc FROM apigw_apis WHERE id = ?", api_id)
        if row is None:
            return None
        stage = json.loads(row["doc"])["stages"].get(stage_name)
        if stage is None:
            return None
        dep = await self.store.fetch_one(
            "SELECT doc FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, stage["deploymentId"]
        )
        if dep is None:
            return None
        frozen = json.loads(dep["doc"])["frozen"]
        return snapshot.deployed_api(row["account"], row["region"], api_id, stage, frozen)

    def _forget(self) -> None:
        self._generation += 1
        self._deployed.clear()
        self._key_plans.clear()

    def _forget_keys(self) -> None:
        self._generation += 1
        self._key_plans.clear()

    # -- documents --------------------------------------------------------------------------------

    async def read(self, ctx: RequestContext, api_id: str) -> Doc:
        """The API's document (a fresh copy the caller may keep)."""
        row = await self.store.fetch_one(
            "SELECT doc FROM apigw_apis WHERE id = ? AND account = ? AND region = ?", api_id, ctx.account_id, ctx.region
        )
        if row is None:
            raise _no_api(ctx, api_id)
        doc: Doc = json.loads(row["doc"])
        return doc

    async def change(self, ctx: RequestContext, api_id: str, fn: Callable[[Doc], T]) -> T:
        """Run `fn` on the API's document and store what it made of it, in one transaction."""
        return await self._change(ctx, api_id, lambda doc, tx: _now(fn(doc)))

    async def _change(self, ctx: RequestContext, api_id: str, fn: Callable[[Doc, Queries], Any]) -> Any:
        for _ in range(_RETRIES):
            try:
                async with self.store.transaction() as tx:
                    row = await tx.fetch_one(
                        "SELECT doc, version FROM apigw_apis WHERE id = ? AND account = ? AND region = ?",
                        api_id, ctx.account_id, ctx.region,
                    )  # fmt: skip
                    if row is None:
                        raise _no_api(ctx, api_id)
                    doc = json.loads(row["doc"])
                    result = await fn(doc, tx)
                    changed = await tx.execute(
                        "UPDATE apigw_apis SET doc = ?, name = ?, version = version + 1 WHERE id = ? AND version = ?",
                        json.dumps(doc), doc["api"]["name"], api_id, row["version"],
                    )  # fmt: skip
                    if changed != 1:
                        raise _Raced()
            except _Raced:
                continue
            finally:
                self._forget()
            return result
        raise BadRequest("The REST API is being changed concurrently; try again")  # pragma: no cover

    # -- REST APIs --------------------------------------------------------------------------------

    async def create(self, ctx: RequestContext, params: dict[str, Any], doc: Doc | None = None) -> Doc:
        """A new REST API (or, with `doc`, one built elsewhere, e.g. imported); its RestApi view."""
        api_id = new_id()
        now = self.clock.now()
        doc = definition.new_api(params, api_id, now) if doc is None else doc
        doc["api"]["id"] = api_id
        await self.store.execute(
            "INSERT INTO apigw_apis (id, account, region, name, version, doc, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
            api_id, ctx.account_id, ctx.region, doc["api"]["name"], 0, json.dumps(doc), now,
        )  # fmt: skip
        self._forget()
        return copy.deepcopy(doc["api"])

    async def all(self, ctx: RequestContext) -> list[Doc]:
        rows = await self.store.fetch_all(
            "SELECT doc FROM apigw_apis WHERE account = ? AND region = ? ORDER BY created, id",
            ctx.account_id,
            ctx.region,
        )
        return [json.loads(r["doc"])["api"] for r in rows]

    async def delete(self, ctx: RequestContext, api_id: str) -> None:
        async with self.store.transaction() as tx:
            gone = await tx.execute(
                "DELETE FROM apigw_apis WHERE id = ? AND account = ? AND region = ?", api_id, ctx.account_id, ctx.region
            )
            if not gone:
                raise _no_api(ctx, api_id)
            await tx.execute("DELETE FROM apigw_deployments WHERE api_id = ?", api_id)
        self._forget()

    # -- deployments and stages ---------------------------------------------------------------

    async def create_deployment(self, ctx: RequestContext, api_id: str, params: dict[str, Any]) -> Doc:
        async def deploy(doc: Doc, tx: Queries) -> Doc:
            now = self.clock.now()
            frozen = snapshot.freeze(doc)
            dep: Doc = {"id": new_id(6), "createdDate": now, "apiSummary": snapshot.api_summary(frozen)}
            if params.get("description"):
                dep["description"] = params["description"]
            name = params.get("stageName")
            if name:
                existing = doc["stages"].get(name)
                if existing is None:
                    stage_params = {**params, "deploymentId": dep["id"], "description": params.get("stageDescription")}
                    stages.create_stage(doc, stage_params, now)
                else:
                    existing.update(deploymentId=dep["id"], lastUpdatedDate=now)
                    if params.get("variables"):
                        existing["variables"] = {**existing.get("variables", {}), **params["variables"]}
                    for key in ("cacheClusterEnabled", "cacheClusterSize", "tracingEnabled"):
                        if params.get(key) is not None:
                            existing[key] = params[key]
            await tx.execute(
                "INSERT INTO apigw_deployments (api_id, id, created, doc) VALUES (?, ?, ?, ?)",
                api_id, dep["id"], now, json.dumps({**dep, "frozen": frozen}),
            )  # fmt: skip
            return dep

        dep: Doc = await self._change(ctx, api_id, deploy)
        return {k: v for k, v in dep.items() if k != "apiSummary"}

    async def deployment(self, ctx: RequestContext, api_id: str, deployment_id: str) -> Doc:
        await self.read(ctx, api_id)
        row = await self.store.fetch_one(
            "SELECT doc FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, deployment_id
        )
        if row is None:
            raise NotFound("Invalid Deployment identifier specified")
        dep: Doc = json.loads(row["doc"])
        dep.pop("frozen")
        return dep

    async def stage_deployment(self, ctx: RequestContext, api_id: str, stage_name: str) -> tuple[Doc, Doc, Doc]:
        """(the API's document, the stage, its deployment with the `frozen` snapshot it serves)."""
        doc = await self.read(ctx, api_id)
        stage = stages.stage(doc, stage_name)
        row = await self.store.fetch_one(
            "SELECT doc FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, stage["deploymentId"]
        )
        if row is None:  # pragma: no cover - a stage always points at a deployment
            raise NotFound("Invalid Deployment identifier specified")
        return doc, stage, json.loads(row["doc"])

    async def deployments(self, ctx: RequestContext, api_id: str) -> list[Doc]:
        await self.read(ctx, api_id)
        rows = await self.store.fetch_all(
            "SELECT doc FROM apigw_deployments WHERE api_id = ? ORDER BY created, id", api_id
        )
        out = []
        for row in rows:
            dep = json.loads(row["doc"])
            dep.pop("frozen")
            dep.pop("apiSummary", None)
            out.append(dep)
        return out

    async def update_deployment(
        self, ctx: RequestContext, api_id: str, deployment_id: str, ops: list[PatchOperation]
    ) -> Doc:
        from overcast.gateway.restapi import patch

        async def update(doc: Doc, tx: Queries) -> Doc:
            row = await tx.fetch_one(
                "SELECT doc FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, deployment_id
            )
            if row is None:
                raise NotFound("Invalid Deployment identifier specified")
            dep: Doc = json.loads(row["doc"])
            patch.apply(dep, ops, {"/description": patch.Field(("description",))})
            await tx.execute(
                "UPDATE apigw_deployments SET doc = ? WHERE api_id = ? AND id = ?",
                json.dumps(dep),
                api_id,
                deployment_id,
            )
            dep.pop("frozen")
            dep.pop("apiSummary", None)
            return dep

        result: Doc = await self._change(ctx, api_id, update)
        return result

    async def delete_deployment(self, ctx: RequestContext, api_id: str, deployment_id: str) -> None:
        async def delete(doc: Doc, tx: Queries) -> None:
            if any(s["deploymentId"] == deployment_id for s in doc["stages"].values()):
                # https://docs.aws.amazon.com/apigateway/latest/api/API_DeleteDeployment.html
                raise BadRequest("Active stages pointing to this deployment must be moved or deleted")
            gone = await tx.execute("DELETE FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, deployment_id)
            if not gone:
                raise NotFound("Invalid Deployment identifier specified")

        await self._change(ctx, api_id, delete)

    async def create_stage(self, ctx: RequestContext, api_id: str, params: dict[str, Any]) -> Doc:
        async def create(doc: Doc, tx: Queries) -> Doc:
            await self._check_deployment(tx, api_id, params.get("deploymentId") or "")
            return copy.deepcopy(stages.create_stage(doc, params, self.clock.now()))

        result: Doc = await self._change(ctx, api_id, create)
        return result

    async def update_stage(self, ctx: RequestContext, api_id: str, name: str, ops: list[PatchOperation]) -> Doc:
        async def update(doc: Doc, tx: Queries) -> Doc:
            target = next((o.value for o in ops if o.path == "/deploymentId" and o.value), None)
            known = {stages.stage(doc, name)["deploymentId"]}
            if target:
                await self._check_deployment(tx, api_id, target)
                known.add(target)
            return copy.deepcopy(stages.update_stage(doc, name, ops, self.clock.now(), known))

        result: Doc = await self._change(ctx, api_id, update)
        return result

    async def _check_deployment(self, tx: Queries, api_id: str, deployment_id: str) -> None:
        row = await tx.fetch_one("SELECT id FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, deployment_id)
        if row is None:
            raise NotFound("Invalid Deployment identifier specified")

    async def _api_stage_exists(self, ctx: RequestContext, api_id: str, stage: str) -> bool:
        try:
            doc = await self.read(ctx, api_id)
        except NotFound:
            return False
        return stage in doc["stages"]

    # -- tags ---------------------------------------------------------------------------------

    async def tag(self, ctx: RequestContext, resource_arn: str, add: dict[str, str], remove: list[str]) -> None:
        """Tag (or untag) a REST API or a stage by ARN; API keys and usage plans go to `keys`."""
        kind, ids = _tag_target(resource_arn)
        if kind in ("apikeys", "usageplans"):
            await self.keys.tag(ctx, kind, ids[0], add, remove)
            return

        def retag(doc: Doc) -> None:
            target = doc["api"] if kind == "restapis" else stages.stage(doc, ids[1])
            tags = {**target.get("tags", {}), **add}
            for key in remove:
                tags.pop(key, None)
            target["tags"] = tags

        await self.change(ctx, ids[0], retag)

    async def tags(self, ctx: RequestContext, resource_arn: str) -> dict[str, str]:
        kind, ids = _tag_target(resource_arn)
        if kind in ("apikeys", "usageplans"):
            return await self.keys.tags(ctx, kind, ids[0])
        doc = await self.read(ctx, ids[0])
        target = doc["api"] if kind == "restapis" else stages.stage(doc, ids[1])
        return dict(target.get("tags") or {})


async def _now(value: T) -> T:
    return value


def _no_api(ctx: RequestContext, api_id: str) -> NotFound:
    # AWS names the account and the id it looked for.
    return NotFound(f"Invalid API identifier specified {ctx.account_id}:{api_id}")


def _tag_target(resource_arn: str) -> tuple[str, list[str]]:
    """("restapis", [api]) | ("stages", [api, stage]) | ("apikeys", [id]) | ("usageplans", [id])."""
    arn = parse_arn(resource_arn)
    parts = arn.resource.strip("/").split("/") if arn and arn.service == "apigateway" else []
    if len(parts) == 2 and parts[0] in ("restapis", "apikeys", "usageplans"):
        return parts[0], [parts[1]]
    if len(parts) == 4 and parts[0] == "restapis" and parts[2] == "stages":
        return "stages", [parts[1], parts[3]]
    raise BadRequest(f"Invalid resource ARN specified: {resource_arn}")
