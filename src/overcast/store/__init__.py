"""The store: durable SQL state, one schema on two engines (SQLite embedded, PostgreSQL for a cluster).

Domain packages own their tables. Each declares its schema as an ordered list of migration
steps and calls `await store.migrate("component", STEPS)` once at start; the store records per
component how many steps have run and runs the rest, each in its own transaction.

SQL is a small subset both engines accept: `?` placeholders (rewritten to `$n` for PostgreSQL),
types TEXT, BIGINT, DOUBLE PRECISION, BYTEA (bytes), no AUTOINCREMENT/SERIAL, `INSERT ...
ON CONFLICT ... DO UPDATE/NOTHING`, `RETURNING`. Rows come back as read-only mappings from column
name to value.

The rules that keep code correct on both engines (the store tests run every behaviour on both):
- One statement per call (a migration step may hold several, separated by `;`). To run several
  statements at the cost of one, pass them to `execute_batch` (below).
- Pass values of the column's type (PostgreSQL refuses an int for TEXT; SQLite would not).
- Name computed columns (`COUNT(*) AS n`): the engines name them differently.
- TEXT holds no NUL character and DOUBLE PRECISION no NaN (PostgreSQL refuses the first,
  SQLite stores the second as NULL); BIGINT is 64-bit signed.
- Read-modify-write is one statement (`SET n = n + 1`, ON CONFLICT DO UPDATE, `UPDATE ... WHERE
  version = ?` and check the count). SQLite runs transactions one at a time; PostgreSQL runs them
  concurrently at READ COMMITTED, where a SELECT-then-UPDATE inside a transaction can lose updates.
- Inside `async with store.transaction() as tx`, use `tx` only: the store refuses statements and
  nested transactions from the same task (on SQLite they would wait for the transaction forever).

Batches: `execute_batch([(sql, params), ...])` runs statements in order as one unit: all of them
or none (outside a transaction they commit together; inside one, a failing batch leaves none of
its statements' effects on SQLite, and aborts the transaction on PostgreSQL as any failed
statement does). It returns nothing: it is for writes whose counts and rows nobody reads, such as
appending log events. On SQLite the whole batch is one job for the writer thread (one hand-off and
one loop wakeup instead of one per statement) and, outside a transaction, it shares the commit of
concurrent writes; on PostgreSQL consecutive statements with the same SQL go as one `executemany`.

Errors: a broken constraint (UNIQUE, PRIMARY KEY, NOT NULL, FOREIGN KEY, CHECK) raises
`Conflict` (a ResourceConflict, 409); anything else the engine reports raises `StoreFailure` (an
InternalFailure, 500). Once an await on a write has returned, the write is durable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

from overcast.store.errors import Conflict, StoreFailure

__all__ = ["Conflict", "MigrationStep", "Queries", "Row", "Statement", "Store", "StoreFailure", "open_store"]

Row = Mapping[str, Any]
Statement = tuple[str, Sequence[Any]]  # one statement and its parameters, for `execute_batch`


class Queries(Protocol):
    async def execute(self, sql: str, *params: Any) -> int:
        """Run one statement; the number of rows it changed."""

    async def execute_batch(self, statements: Sequence[Statement]) -> None:
        """Run the statements in order, as one unit: all of them take effect, or none."""

    async def fetch_one(self, sql: str, *params: Any) -> Row | None: ...

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]: ...


# A migration step: SQL (statements separated by `;`), or a function run in the step's transaction.
MigrationStep = str | Callable[[Queries], Awaitable[None]]


class Store(Queries, Protocol):
    engine: str  # "sqlite" or "postgres"

    def transaction(self) -> AbstractAsyncContextManager[Queries]:
        """All statements run through the yielded Queries commit together, or not at all."""

    async def migrate(self, component: str, steps: Sequence[MigrationStep]) -> None: ...

    async def close(self) -> None: ...


async def open_store(url: str | None, sqlite_path: Path, *, durable: bool = True) -> Store:
    """The store for these settings: None -> SQLite at `sqlite_path`; `postgresql://...` -> PostgreSQL.

    `durable=False` opens a store whose commits return before they reach the disk (SQLite
    synchronous=NORMAL in WAL mode, PostgreSQL synchronous_commit=off): a crash of the process
    loses nothing, a power loss or kernel crash may lose its last commits, and the database stays
    consistent either way. For data the platform writes in the background, such as invocation logs."""
    if url is None:
        from overcast.store.sqlite import open_sqlite

        return await open_sqlite(sqlite_path, durable=durable)
    if url.startswith(("postgresql://", "postgres://")):
        from overcast.store.postgres import open_postgres

        return await open_postgres(url, durable=durable)
    raise ValueError(f"store URL {url!r} is not a postgresql:// URL")
