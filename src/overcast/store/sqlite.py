"""The SQLite engine: one writer thread (WAL, synchronous=FULL) and one reader thread behind an async API.

Every write, and every statement of a transaction, runs on the writer thread's connection, in
submission order, so writes never contend for SQLite's lock inside one process. A transaction
holds the writer from BEGIN IMMEDIATE to COMMIT: other writes and transactions queue behind it
(transactions are serializable). Plain SELECTs outside transactions run on a second, read-only
connection on its own thread and see everything committed. An await on a write returns after its
COMMIT, which with synchronous=FULL has reached the disk; concurrent autocommit writes share one
COMMIT (see sqlite_thread), so throughput grows with concurrency instead of being one fsync each.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from overcast.store import MigrationStep, Queries, Row, Statement
from overcast.store.errors import StoreFailure
from overcast.store.migrations import migrate
from overcast.store.sql import is_read_only
from overcast.store.sqlite_thread import ConnectionThread, Job, Jobs

BUSY_TIMEOUT_MS = 10_000

_current: contextvars.ContextVar[SqliteTransaction | None] = contextvars.ContextVar("sqlite_tx", default=None)


def _rows(cursor: sqlite3.Cursor, limit: int | None = None) -> list[Row]:
    try:
        names = [d[0] for d in cursor.description or ()]
        values = cursor.fetchall() if limit is None else cursor.fetchmany(limit)
        return [dict(zip(names, row, strict=True)) for row in values]
    finally:
        cursor.close()  # resets the statement: a RETURNING statement completes, autocommit commits


def _execute(sql: str, params: Sequence[Any]) -> Job:
    def job(conn: sqlite3.Connection) -> int:
        cursor = conn.execute(sql, params)
        try:
            cursor.fetchall()  # steps a RETURNING statement to its end so rowcount counts every row
            return max(cursor.rowcount, 0)
        finally:
            cursor.close()

    return job


def _batch(statements: Sequence[Statement]) -> Job:
    """All the statements in one job: inside a savepoint when a transaction (or a group of writes)
    is open, else in a transaction of their own, so that they take effect together or not at all."""

    def job(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("SAVEPOINT batch")
            try:
                for sql, params in statements:
                    conn.execute(sql, params)
            except BaseException:
                if conn.in_transaction:  # else SQLite has rolled back everything itself
                    conn.execute("ROLLBACK TO batch")
                    conn.execute("RELEASE batch")
                raise
            conn.execute("RELEASE batch")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                conn.execute(sql, params)
        except BaseException:
            _rollback(conn)
            raise
        _commit(conn)

    return job


def _fetch(sql: str, params: Sequence[Any], limit: int | None) -> Job:
    return lambda conn: _rows(conn.execute(sql, params), limit)


def _commit(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("COMMIT")
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class SqliteTransaction:
    """The Queries of one open transaction; every statement runs on the writer, inside BEGIN ... COMMIT."""

    def __init__(self, store: SqliteStore, jobs: Jobs) -> None:
        self.store = store
        self.open = True
        self.task = asyncio.current_task()  # the task that opened it (misuse checks apply to it)
        self._jobs = jobs

    def _submit(self, job: Job) -> asyncio.Future[Any]:
        if not self.open:
            raise StoreFailure("SQLite store: this transaction has ended")
        return self.store._writer.submit(job, self._jobs)

    async def execute(self, sql: str, *params: Any) -> int:
        result: int = await self._submit(_execute(sql, params))
        return result

    async def execute_batch(self, statements: Sequence[Statement]) -> None:
        if statements:
            await self._submit(_batch(tuple(statements)))

    async def fetch_one(self, sql: str, *params: Any) -> Row | None:
        rows: list[Row] = await self._submit(_fetch(sql, params, 1))
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]:
        rows: list[Row] = await self._submit(_fetch(sql, params, None))
        return rows


class SqliteStore:
    """The embedded store: a SQLite database file in WAL mode."""

    engine = "sqlite"

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        self.path = path
        self.durable = durable  # False: synchronous=NORMAL, commits are not fsynced (see open_store)
        self._writer = ConnectionThread("overcast-sqlite-writer", self._connect_writer)
        self._reader = ConnectionThread("overcast-sqlite-reader", self._connect_reader)

    def _connect_writer(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL" if self.durable else "PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return conn

    def _connect_reader(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only=ON")
        return conn

    async def start(self) -> None:
        """Open the writer first (it creates the file and switches it to WAL), then the reader."""
        try:
            await self._writer.start()
            await self._reader.start()
        except BaseException:
            await self.close()
            raise

    def _guard(self) -> None:
        tx = _current.get()
        if tx is not None and tx.open and tx.store is self and tx.task is asyncio.current_task():
            raise StoreFailure(
                "SQLite store: statement issued on the store inside one of its transactions; "
                "use the transaction's Queries (it would deadlock on SQLite)"
            )

    async def execute(self, sql: str, *params: Any) -> int:
        self._guard()
        result: int = await self._writer.submit(_execute(sql, params), groupable=True)
        return result

    async def execute_batch(self, statements: Sequence[Statement]) -> None:
        self._guard()
        if statements:
            await self._writer.submit(_batch(tuple(statements)), groupable=True)

    async def fetch_one(self, sql: str, *params: Any) -> Row | None:
        self._guard()
        if is_read_only(sql):
            rows: list[Row] = await self._reader.submit(_fetch(sql, params, 1))
        else:
            rows = await self._writer.submit(_fetch(sql, params, 1), groupable=True)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]:
        self._guard()
        if is_read_only(sql):
            rows: list[Row] = await self._reader.submit(_fetch(sql, params, None))
        else:
            rows = await self._writer.submit(_fetch(sql, params, None), groupable=True)
        return rows

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queries]:
        self._guard()
        jobs: Jobs = queue.SimpleQueue()
        tx = SqliteTransaction(self, jobs)
        # The writer picks this up in turn and then serves only this transaction until its end marker.
        self._writer.submit(lambda conn: self._writer.serve_transaction(conn, jobs))
        token = _current.set(tx)
        try:
            await self._writer.submit(lambda conn: conn.execute("BEGIN IMMEDIATE"), jobs)
            try:
                yield tx
            except BaseException:
                tx.open = False  # nothing may follow the ROLLBACK into this queue (it would autocommit)
                with suppress(StoreFailure):  # the body's exception is the one to report
                    await self._writer.submit(_rollback, jobs)
                raise
            tx.open = False
            await self._writer.submit(_commit, jobs)
        finally:
            tx.open = False
            _current.reset(token)
            jobs.put(None)

    async def migrate(self, component: str, steps: Sequence[MigrationStep]) -> None:
        await migrate(self.transaction, _no_lock, component, steps)

    async def close(self) -> None:
        await self._reader.join()
        await self._writer.join()


async def _no_lock(tx: Queries) -> None:
    """BEGIN IMMEDIATE already holds SQLite's write lock for the whole transaction."""


async def open_sqlite(path: Path, *, durable: bool = True) -> SqliteStore:
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(path, durable=durable)
    await store.start()
    return store
