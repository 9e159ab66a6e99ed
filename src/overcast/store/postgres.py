"""The PostgreSQL engine (the cluster store): an asyncpg pool speaking the shared SQL subset.

Statements use `?` placeholders, rewritten once per distinct statement to `$1..$n`. A transaction
holds one pooled connection from BEGIN to COMMIT at PostgreSQL's default isolation (READ
COMMITTED): it is atomic, and single-statement read-modify-writes (`UPDATE ... SET n = n + 1`,
`INSERT ... ON CONFLICT DO UPDATE`, `UPDATE ... WHERE version = ?`) never lose updates. A
SELECT followed by an UPDATE of what it read is NOT protected against other nodes; write it as
one statement. (SQLite serializes transactions, which is stronger; code correct here is correct there.)
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg

from overcast.store import MigrationStep, Queries, Row, Statement
from overcast.store.errors import Conflict, StoreFailure
from overcast.store.migrations import migrate
from overcast.store.sql import changed_rows, numbered_placeholders, split_statements

# The advisory lock every migration transaction takes, so nodes starting together migrate one at a time.
MIGRATION_LOCK = int.from_bytes(hashlib.sha256(b"overcast.schema_migrations").digest()[:8], "big", signed=True)

_current: contextvars.ContextVar[PostgresTransaction | None] = contextvars.ContextVar("postgres_tx", default=None)

_FOREIGN = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, OverflowError)


def _translate(exc: BaseException) -> Exception:
    """The one place asyncpg's errors become Overcast's."""
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return Conflict(str(exc))
    return StoreFailure(f"PostgreSQL store: {type(exc).__name__}: {exc}")


@functools.lru_cache(maxsize=2048)
def _postgres_sql(sql: str) -> str:
    """The statement as PostgreSQL takes it; one statement only, as on SQLite."""
    if len(split_statements(sql)) > 1:
        raise StoreFailure("PostgreSQL store: one statement at a time (SQLite refuses several too)")
    return numbered_placeholders(sql)


def _row(record: asyncpg.Record) -> Row:
    return dict(record.items())


class _Connected:
    """Queries on an asyncpg connection or pool (both have execute / fetchrow / fetch)."""

    def __init__(self, target: asyncpg.Pool | asyncpg.Connection) -> None:
        self._target = target

    def _check(self) -> None:
        """Refuse statements that must not run now (overridden)."""

    async def execute(self, sql: str, *params: Any) -> int:
        self._check()
        try:
            status: str = await self._target.execute(_postgres_sql(sql), *params)
        except _FOREIGN as exc:
            raise _translate(exc) from exc
        return changed_rows(status)

    async def execute_batch(self, statements: Sequence[Statement]) -> None:
        """In order; a run of consecutive statements with the same SQL goes as one `executemany`.
        Overridden by the store, which runs the batch in a transaction of its own."""
        self._check()
        index = 0
        try:
            while index < len(statements):
                sql, params = statements[index]
                end = index + 1
                while end < len(statements) and statements[end][0] == sql:
                    end += 1
                if end - index == 1:
                    await self._target.execute(_postgres_sql(sql), *params)
                else:
                    await self._target.executemany(_postgres_sql(sql), [p for _, p in statements[index:end]])
                index = end
        except _FOREIGN as exc:
            raise _translate(exc) from exc

    async def fetch_one(self, sql: str, *params: Any) -> Row | None:
        self._check()
        try:
            record = await self._target.fetchrow(_postgres_sql(sql), *params)
        except _FOREIGN as exc:
            raise _translate(exc) from exc
        return None if record is None else _row(record)

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]:
        self._check()
        try:
            records = await self._target.fetch(_postgres_sql(sql), *params)
        except _FOREIGN as exc:
            raise _translate(exc) from exc
        return [_row(r) for r in records]


class PostgresTransaction(_Connected):
    """The Queries of one open transaction, bound to the pooled connection that holds it."""

    def __init__(self, store: PostgresStore, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self.store = store
        self.open = True
        self.task = asyncio.current_task()  # the task that opened it (misuse checks apply to it)

    def _check(self) -> None:
        if not self.open:
            raise StoreFailure("PostgreSQL store: this transaction has ended")


class PostgresStore(_Connected):
    """The cluster store: a pool of connections to one PostgreSQL database."""

    engine = "postgres"

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
        self._pool = pool

    def _check(self) -> None:
        tx = _current.get()
        if tx is not None and tx.open and tx.store is self and tx.task is asyncio.current_task():
            raise StoreFailure(
                "PostgreSQL store: statement issued on the store inside one of its transactions; "
                "use the transaction's Queries (it would deadlock on SQLite)"
            )

    async def execute_batch(self, statements: Sequence[Statement]) -> None:
        self._check()
        if statements:
            async with self.transaction() as tx:
                await tx.execute_batch(statements)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queries]:
        self._check()
        try:
            conn = await self._pool.acquire()
        except _FOREIGN as exc:
            raise _translate(exc) from exc
        tx = PostgresTransaction(self, conn)
        token = _current.set(tx)
        try:
            transaction = conn.transaction()
            try:
                await transaction.start()
            except _FOREIGN as exc:
                raise _translate(exc) from exc
            try:
                yield tx
            except BaseException:
                tx.open = False
                with suppress(*_FOREIGN):  # a broken connection is reset or discarded on release
                    await transaction.rollback()
                raise
            tx.open = False
            try:
                await transaction.commit()
            except _FOREIGN as exc:
                raise _translate(exc) from exc
        finally:
            tx.open = False
            _current.reset(token)
            await self._pool.release(conn)

    async def migrate(self, component: str, steps: Sequence[MigrationStep]) -> None:
        await migrate(self.transaction, _advisory_lock, component, steps)

    async def close(self) -> None:
        await self._pool.close()


async def _advisory_lock(tx: Queries) -> None:
    await tx.execute("SELECT pg_advisory_xact_lock(?)", MIGRATION_LOCK)


async def open_postgres(url: str, *, max_connections: int = 10, durable: bool = True) -> PostgresStore:
    settings = {} if durable else {"synchronous_commit": "off"}
    try:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=max_connections, server_settings=settings)
    except _FOREIGN as exc:
        raise _translate(exc) from exc
    return PostgresStore(pool)
