"""Changes to one HTTP API: a transaction on one of the caller's APIs, then the data plane's cache of it dropped.

Every mutation is one transaction: bad input raises before anything is written, and a change to
routes, integrations, authorizers or CORS re-deploys each AutoDeploy stage in that same
transaction (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from overcast.apis.errors import Conflict
from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi import tables
from overcast.apis.httpapi.deployments import Deployments
from overcast.apis.httpapi.tables import ROUTE
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.store import Conflict as StoreConflict
from overcast.store import Queries, Store


class Changes:
    """What the parts of the control plane share: the store, the clock, ids, deployments, and the
    transaction on one API (`on`) that ends by telling the data plane to forget that API."""

    def __init__(self, store: Store, clock: Clock, new_id: Callable[[], str], forget: Callable[[str], None]) -> None:
        self.store = store
        self.clock = clock
        self.new_id = new_id
        self.deployments = Deployments(clock, new_id)
        self.forget = forget

    @asynccontextmanager
    async def on(self, ctx: RequestContext, api_id: str) -> AsyncIterator[tuple[Queries, rec.Api]]:
        """A transaction on an existing API of the caller's; caches drop once it has ended."""
        try:
            async with self.store.transaction() as tx:
                yield tx, await tables.api(tx, ctx, api_id)
        finally:
            self.forget(api_id)

    @asynccontextmanager
    async def reading(self, ctx: RequestContext, api_id: str) -> AsyncIterator[tuple[Queries, rec.Api]]:
        """A transaction that only reads an existing API of the caller's."""
        async with self.store.transaction() as tx:
            yield tx, await tables.api(tx, ctx, api_id)

    async def insert_named(self, tx: Queries, api: rec.Api, kind: str, part_id: str, name: str, record: Any) -> None:
        """Store a route or a stage, whose key or name must be unique in its API."""
        try:
            await tables.insert_part(tx, api, kind, part_id, name, record, self.clock.now())
        except StoreConflict:
            raise (
                duplicate_route(name) if kind == ROUTE else Conflict(f"Stage already exists with name {name}")
            ) from None


def duplicate_route(route_key: str) -> Conflict:
    return Conflict(f"Unable to create Route with key {route_key}. A route with this key already exists for this API.")
