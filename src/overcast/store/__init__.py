"""The store: durable SQL state, one schema on two engines (SQLite embedded, PostgreSQL for a cluster).

Domain packages own their tables. Each declares its schema as an ordered list of migration
steps and calls `await store.migrate("component", STEPS)` once at start; the store records per
component how many steps have run and runs the rest, each in its own transaction.

SQL is a small subset both engines accept: `?` placeholders (rewritten to `$n` for PostgreSQL),
types TEXT, BIGINT, DOUBLE PRECISION, BYTEA (bytes), no AUTOINCREMENT/SERIAL, `INSERT ...
ON CONFLICT ... DO UPDATE/NOTHING`, `RETURNING`. Rows come back as read-only mappings from column
name to value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

from overcast.store.errors import Conflict, StoreFailure

__all__ = ["Conflict", "Queries", "Row", "Store", "StoreFailure", "open_store"]

Row = Mapping[str, Any]


class Queries(Protocol):
    async def execute(self, sql: str, *params: Any) -> int:
        """Run one statement; the number of rows it changed."""

    async def fetch_one(self, sql: str, *params: Any) -> Row | None: ...

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]: ...


class Store(Queries, Protocol):
    engine: str  # "sqlite" or "postgres"

    def transaction(self) -> AbstractAsyncContextManager[Queries]:
        """All statements run through the yielded Queries commit together, or not at all."""

    async def migrate(self, component: str, steps: Sequence[str]) -> None: ...

    async def close(self) -> None: ...


async def open_store(url: str | None, sqlite_path: Path) -> Store:
    """The store for these settings: None -> SQLite at `sqlite_path`; `postgresql://...` -> PostgreSQL."""
    if url is None:
        from overcast.store.sqlite import open_sqlite

        return await open_sqlite(sqlite_path)
    if url.startswith(("postgresql://", "postgres://")):
        from overcast.store.postgres import open_postgres

        return await open_postgres(url)
    raise ValueError(f"store URL {url!r} is not a postgresql:// URL")
