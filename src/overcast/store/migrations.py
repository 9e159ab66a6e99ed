"""Schema migrations: per-component step lists, applied once each, in order, one transaction per step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager

from overcast.store.errors import StoreFailure
from overcast.store.sql import split_statements

from . import MigrationStep, Queries

BOOKKEEPING = "CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT PRIMARY KEY, version BIGINT NOT NULL)"

# Runs first in every migration transaction; makes concurrent migrators (other processes) queue up.
# SQLite needs nothing (its transactions begin with BEGIN IMMEDIATE, which takes the write lock);
# PostgreSQL takes a transaction-scoped advisory lock.
Lock = Callable[[Queries], Awaitable[None]]


async def migrate(
    transaction: Callable[[], AbstractAsyncContextManager[Queries]],
    lock: Lock,
    component: str,
    steps: Sequence[MigrationStep],
) -> None:
    """Run the steps of `component` not yet recorded in schema_migrations, each with its bookkeeping row.

    A step is one SQL statement or several separated by `;`, or a function run inside the step's
    transaction (for what one SQL text cannot say on both engines, such as moving JSON-held values
    into rows). Steps are identified by position, so a
    released step must never change; add new steps at the end.
    """
    async with transaction() as tx:
        await lock(tx)
        await tx.execute(BOOKKEEPING)
        start = await _version(tx, component, len(steps))
    for index in range(start, len(steps)):
        async with transaction() as tx:
            await lock(tx)
            if await _version(tx, component, len(steps)) > index:
                continue  # another process ran this step meanwhile
            step = steps[index]
            if callable(step):
                await step(tx)
            else:
                for statement in split_statements(step):
                    await tx.execute(statement)
            await tx.execute(
                "INSERT INTO schema_migrations (component, version) VALUES (?, ?) "
                "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                component,
                index + 1,
            )


async def components(queries: Queries) -> set[str]:
    """The components that have tables in this store (migrated by this or an earlier run)."""
    await queries.execute(BOOKKEEPING)
    return {str(row["component"]) for row in await queries.fetch_all("SELECT component FROM schema_migrations")}


async def version(queries: Queries, component: str) -> int:
    """How many of the component's migration steps this store has run (0: none); after `components`, which makes the
    bookkeeping table where there is none."""
    row = await queries.fetch_one("SELECT version FROM schema_migrations WHERE component = ?", component)
    return 0 if row is None else int(row["version"])


async def _version(tx: Queries, component: str, known: int) -> int:
    found = await version(tx, component)
    if found > known:
        raise StoreFailure(
            f"the schema of component {component!r} is at version {found}, newer than the {known} "
            "migration steps this Overcast knows; run a newer Overcast"
        )
    return found
