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
from typing import Any, Protocol

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
