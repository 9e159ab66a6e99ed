"""RestApis: the REST API (apigateway v1) control plane over the store, and the data plane's seam.

Each REST API's Definition (records, see `records`) is one row changed in one transaction under
its version: `change` loads it, runs a pure function of `resources`, `definition` or `stages`,
and stores the Definition it returned (bad input raises first, so nothing changes). Deployments
are immutable snapshots in their own rows (`deployments`). Tags are the kit's. `deployed()` and
`key_plan()` answer the data plane from in-memory snapshots that every change in this process drops.
Every lookup takes the caller's context and stays in its account and region.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from overcast.apis.deployed import DeployedApi, KeyPlan
from overcast.apis.errors import TAG_RULES, NotFound
from overcast.apis.restapi import codec, snapshot, stages
from overcast.apis.restapi.deployments import Deployments
from overcast.apis.restapi.ids import new_id
from overcast.apis.restapi.keys import Keys
from overcast.apis.restapi.pages import BY_CREATION, LISTS
from overcast.apis.restapi.patch import PatchOperation
from overcast.apis.restapi.plans import Plans
from overcast.apis.restapi.records import Definition, RestApi, Snapshot, Stage
from overcast.apis.restapi.schema import STEPS
from overcast.apis.restapi.stages import StageRequest
from overcast.apis.restapi.tags import api_arn, no_api, resolve, stage_arn
from overcast.clock import Clock, SystemClock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.kit import tags
from overcast.kit.pages import fetch_page
from overcast.kit.tags import Tagging
from overcast.store import Queries, Store

T = TypeVar("T")
Change = Callable[[Definition], tuple[Definition, T]]
_MISSING: Any = object()
_CACHE_LIMIT = 10_000  # snapshots kept (including "no such API stage" answers) before starting afresh
_RETRIES = 20


class _Raced(Exception):
    """Another writer changed the Definition between our read and our write (PostgreSQL only)."""


class RestApis:
    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.keys = Keys(store, self.clock, self._api_stage_exists, on_change=self._forget_keys)
        self.plans = Plans(store, self.clock, self.keys, self._api_stage_exists, on_change=self._forget_keys)
        self.deployments = Deployments(self)
        self.tagging = Tagging(store, resolve, TAG_RULES)
        self._deployed: dict[tuple[str, str], DeployedApi | None] = {}
        self._key_plans: dict[tuple[str, str, str], KeyPlan | None] = {}
        self._generation = 0

    async def start(self) -> None:
        await tags.migrate(self.store)
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
            None if row is None else await self.plans.key_plan(row["account"], row["region"], api_id, stage, key_value)
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
        found = json.loads(row["doc"])["stages"].get(stage_name)
        if found is None:
            return None
        stage = codec.load(Stage, found)
        dep = await self.store.fetch_one(
            "SELECT snapshot FROM apigw_deployments WHERE api_id = ? AND id = ?", api_id, stage.deployment_id
        )
        if dep is None:
            return None
        return snapshot.deployed_api(
            row["account"], row["region"], api_id, stage, codec.load(Snapshot, dep["snapshot"])
        )

    def _forget(self) -> None:
        self._generation += 1
        self._deployed.clear()
        self._key_plans.clear()

    def _forget_keys(self) -> None:
        self._generation += 1
        self._key_plans.clear()

    # -- Definitions ------------------------------------------------------------------------------

    async def read(self, ctx: RequestContext, api_id: str, q: Queries | None = None) -> Definition:
        row = await (q or self.store).fetch_one(
            "SELECT doc FROM apigw_apis WHERE id = ? AND account = ? AND region = ?", api_id, ctx.account_id, ctx.region
        )
        if row is None:
            raise no_api(ctx, api_id)
        return codec.load(Definition, row["doc"])

    async def change(self, ctx: RequestContext, api_id: str, fn: Change[T]) -> T:
        """Run `fn` on the API's Definition and store the Definition it returns, in one transaction."""

        async def pure(d: Definition, tx: Queries) -> tuple[Definition, T]:
            return fn(d)

        return await self.changing(ctx, api_id, pure)

    async def changing(
        self, ctx: RequestContext, api_id: str, fn: Callable[[Definition, Queries], Awaitable[tuple[Definition, T]]]
    ) -> T:
        """`change` for a function that reads or writes other rows in the same transaction."""
        for _ in range(_RETRIES):
            try:
                async with self.store.transaction() as tx:
                    row = await tx.fetch_one(
                        "SELECT doc, version FROM apigw_apis WHERE id = ? AND account = ? AND region = ?",
                        api_id, ctx.account_id, ctx.region,
                    )  # fmt: skip
                    if row is None:
                        raise no_api(ctx, api_id)
                    changed, result = await fn(codec.load(Definition, row["doc"]), tx)
                    updated = await tx.execute(
                        "UPDATE apigw_apis SET doc = ?, name = ?, version = version + 1 WHERE id = ? AND version = ?",
                        codec.dump(changed), changed.api.name, api_id, row["version"],
                    )  # fmt: skip
                    if updated != 1:
                        raise _Raced()
            except _Raced:
                continue
            finally:
                self._forget()
            return result
        raise BadRequest("The REST API is being changed concurrently; try again")  # pragma: no cover

    # -- REST APIs --------------------------------------------------------------------------------

    async def create(self, ctx: RequestContext, d: Definition, tagged: Mapping[str, str]) -> RestApi:
        """Store a new REST API (made by `definition.new_api`, `clone` or an import) under its new id."""
        now = self.clock.now()
        api = dataclasses.replace(d.api, id=d.api.id or new_id(), created_date=now)
        doc = codec.dump(dataclasses.replace(d, api=api))
        async with self.store.transaction() as tx:
            await tx.execute(
                "INSERT INTO apigw_apis (id, account, region, name, version, doc, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                api.id, ctx.account_id, ctx.region, api.name, 0, doc, now,
            )  # fmt: skip
            await tags.add(tx, api_arn(ctx.region, api.id), tagged, TAG_RULES)
        self._forget()
        return api

    async def page(
        self, ctx: RequestContext, limit: int | None, position: str | None
    ) -> tuple[list[RestApi], str | None]:
        """GetRestApis: the caller's APIs in creation order."""
        rows, token = await fetch_page(
            self.store,
            "SELECT doc, created, id FROM apigw_apis WHERE account = ? AND region = ?",
            [ctx.account_id, ctx.region],
            BY_CREATION,
            LISTS.start(ctx, BY_CREATION.kinds, limit, position),
        )
        return [codec.load(RestApi, json.loads(r["doc"])["api"]) for r in rows], token

    async def delete(self, ctx: RequestContext, api_id: str) -> None:
        async with self.store.transaction() as tx:
            d = await self.read(ctx, api_id, tx)
            await tx.execute("DELETE FROM apigw_apis WHERE id = ?", api_id)
            await tx.execute("DELETE FROM apigw_deployments WHERE api_id = ?", api_id)
            for name in d.stages:
                await tags.drop(tx, stage_arn(ctx.region, api_id, name))
            await tags.drop(tx, api_arn(ctx.region, api_id))
        self._forget()

    async def tags_of(self, arn: str) -> dict[str, str]:
        """The tags of a resource this control plane has just read (its ARN from `restapi.tags`)."""
        return await tags.read(self.store, arn)

    # -- stages -----------------------------------------------------------------------------------

    async def create_stage(
        self, ctx: RequestContext, api_id: str, name: str, deployment_id: str, asked: StageRequest,
        tagged: Mapping[str, str],
    ) -> Stage:  # fmt: skip
        async def create(d: Definition, tx: Queries) -> tuple[Definition, Stage]:
            await self.deployments.check(tx, api_id, deployment_id)
            made = stages.create_stage(d, name, deployment_id, asked, self.clock.now())
            await tags.add(tx, stage_arn(ctx.region, api_id, name), tagged, TAG_RULES)
            return made

        return await self.changing(ctx, api_id, create)

    async def update_stage(self, ctx: RequestContext, api_id: str, name: str, ops: list[PatchOperation]) -> Stage:
        async def update(d: Definition, tx: Queries) -> tuple[Definition, Stage]:
            target = next((o.value for o in ops if o.path == "/deploymentId" and o.value), None)
            known = {stages.stage(d, name).deployment_id}
            if target:
                await self.deployments.check(tx, api_id, target)
                known.add(target)
            return stages.update_stage(d, name, ops, self.clock.now(), known)

        return await self.changing(ctx, api_id, update)

    async def delete_stage(self, ctx: RequestContext, api_id: str, name: str) -> None:
        async def delete(d: Definition, tx: Queries) -> tuple[Definition, None]:
            changed = stages.delete_stage(d, name)
            await tags.drop(tx, stage_arn(ctx.region, api_id, name))
            return changed

        await self.changing(ctx, api_id, delete)

    async def _api_stage_exists(self, ctx: RequestContext, api_id: str, stage: str) -> bool:
        try:
            d = await self.read(ctx, api_id)
        except NotFound:
            return False
        return stage in d.stages
