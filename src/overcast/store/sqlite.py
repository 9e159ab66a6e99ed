"""The SQLite engine: one writer thread (WAL, synchronous=FULL) and one reader thread behind an async API.

Every write, and every statement of a transaction, runs on the writer thread's connection, in
submission order, so writes never contend for SQLite's lock inside one process. A transaction
holds the writer from BEGIN IMMEDIATE to COMMIT: other writes and transactions queue behind it
(transactions are serializable). Plain SELECTs outside transactions run on a second, read-only
connection on its own thread and see everything committed. An await on a write returns after its
COMMIT, which with synchronous=FULL has reached the disk.
"""

from __future__ import annotations

import asyncio
import contextvars
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from overcast.store import Queries, Row
from overcast.store.errors import Conflict, StoreFailure
from overcast.store.migrations import migrate
from overcast.store.sql import is_read_only

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
_Queue = queue.SimpleQueue[tuple[Job, asyncio.AbstractEventLoop, asyncio.Future[Any]] | None]

BUSY_TIMEOUT_MS = 10_000

_current: contextvars.ContextVar[SqliteTransaction | None] = contextvars.ContextVar("sqlite_tx", default=None)


def _translate(exc: sqlite3.Error | OverflowError) -> Exception:
    """The one place SQLite's errors become Overcast's."""
    if isinstance(exc, sqlite3.IntegrityError):
        return Conflict(str(exc))
    return StoreFailure(f"SQLite store: {exc}")


def _deliver(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting task was cancelled; the job ran anyway
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _reply(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], result: Any, error: Exception | None) -> None:
    """Hand a job's outcome back to the event loop (from the worker thread)."""
    with suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
        loop.call_soon_threadsafe(_deliver, future, result, error)


class _Worker:
    """One thread that owns one sqlite3 connection and runs jobs from a queue, in order."""

    def __init__(self, name: str, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._jobs: _Queue = queue.SimpleQueue()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> asyncio.Future[None]:
        """Start the thread; the future resolves once the connection is open (or fails to open)."""
        self._thread.start()
        return self.submit(lambda conn: None)

    async def join(self) -> None:
        """Stop after the jobs already queued, close the connection, and wait for the thread to end."""
        self._stopped = True
        self._jobs.put(None)
        if self._thread.is_alive():
            await asyncio.to_thread(self._thread.join)

    def submit(self, job: Callable[[sqlite3.Connection], T], jobs: _Queue | None = None) -> asyncio.Future[T]:
        if self._stopped:
            raise StoreFailure("SQLite store: the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        (jobs or self._jobs).put((job, loop, future))
        return future

    def drain(self, conn: sqlite3.Connection, jobs: _Queue) -> None:
        """Run jobs from `jobs` until its end marker (used while a transaction holds this thread)."""
        self._serve(conn, jobs)
        if conn.in_transaction:  # defensive: a transaction never outlives its context manager
            conn.rollback()

    def _run(self) -> None:
        try:
            conn = self._connect()
        except sqlite3.Error as exc:
            self._fail_all(_translate(exc))
            return
        try:
            self._serve(conn, self._jobs)
        finally:
            conn.close()

    def _serve(self, conn: sqlite3.Connection, jobs: _Queue) -> None:
        while (item := jobs.get()) is not None:
            job, loop, future = item
            result: Any = None
            error: Exception | None = None
            try:
                result = job(conn)
            except (sqlite3.Error, OverflowError) as exc:
                error = _translate(exc)
                error.__cause__ = exc
            except Exception as exc:
                error = exc
            _reply(loop, future, result, error)

    def _fail_all(self, error: Exception) -> None:
        while (item := self._jobs.get()) is not None:
            _, loop, future = item
            _reply(loop, future, None, error)


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

    def __init__(self, store: SqliteStore, jobs: _Queue) -> None:
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

    async def fetch_one(self, sql: str, *params: Any) -> Row | None:
        rows: list[Row] = await self._submit(_fetch(sql, params, 1))
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]:
        rows: list[Row] = await self._submit(_fetch(sql, params, None))
        return rows


class SqliteStore:
    """The embedded store: a SQLite database file in WAL mode."""

    engine = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = _Worker("overcast-sqlite-writer", self._connect_writer)
        self._reader = _Worker("overcast-sqlite-reader", self._connect_reader)

    def _connect_writer(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
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
        result: int = await self._writer.submit(_execute(sql, params))
        return result

    async def fetch_one(self, sql: str, *params: Any) -> Row | None:
        self._guard()
        worker = self._reader if is_read_only(sql) else self._writer
        rows: list[Row] = await worker.submit(_fetch(sql, params, 1))
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]:
        self._guard()
        worker = self._reader if is_read_only(sql) else self._writer
        rows: list[Row] = await worker.submit(_fetch(sql, params, None))
        return rows

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Queries]:
        self._guard()
        jobs: _Queue = queue.SimpleQueue()
        tx = SqliteTransaction(self, jobs)
        # The writer picks this up in turn and then serves only this transaction until its end marker.
        self._writer.submit(lambda conn: self._writer.drain(conn, jobs))
        token = _current.set(tx)
        try:
            await self._writer.submit(lambda conn: conn.execute("BEGIN IMMEDIATE"), jobs)
            try:
                yield tx
            except BaseException:
                await self._writer.submit(_rollback, jobs)
                raise
            await self._writer.submit(_commit, jobs)
        finally:
            tx.open = False
            _current.reset(token)
            jobs.put(None)

    async def migrate(self, component: str, steps: Sequence[str]) -> None:
        await migrate(self.transaction, _no_lock, component, steps)

    async def close(self) -> None:
        await self._reader.join()
        await self._writer.join()


async def _no_lock(tx: Queries) -> None:
    """BEGIN IMMEDIATE already holds SQLite's write lock for the whole transaction."""


async def open_sqlite(path: Path) -> SqliteStore:
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(path)
    await store.start()
    return store
