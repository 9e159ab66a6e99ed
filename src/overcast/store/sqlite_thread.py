"""ConnectionThread: a thread that owns one sqlite3 connection and runs jobs for the event loop, in order.

Jobs come from the event loop through a queue; each outcome goes back through the loop's
`call_soon_threadsafe` into an asyncio future, so the loop never blocks on SQLite. Autocommit
writes that are already queued together are grouped into one transaction (one fsync for the
group), each inside its own SAVEPOINT so a failing statement affects no other; every future of
the group resolves only after the group's COMMIT.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from overcast.store.errors import Conflict, StoreFailure

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]

# Most statements grouped into one commit; bounds how long the first of them waits for its ack.
GROUP_LIMIT = 256


@dataclass(frozen=True, slots=True)
class _Item:
    job: Job
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    groupable: bool


Jobs = queue.SimpleQueue[_Item | None]  # None ends the queue


def translate(exc: BaseException) -> Exception:
    """The one place SQLite's errors become Overcast's (other exceptions pass through)."""
    if isinstance(exc, sqlite3.IntegrityError):
        error: Exception = Conflict(str(exc))
    elif isinstance(exc, sqlite3.Error | OverflowError):  # OverflowError: an int beyond 64 bits
        error = StoreFailure(f"SQLite store: {exc}")
    elif isinstance(exc, Exception):
        return exc
    else:
        raise exc
    error.__cause__ = exc
    return error


def _deliver(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting task was cancelled; the job ran anyway
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _reply(item: _Item, result: Any, error: Exception | None) -> None:
    with suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
        item.loop.call_soon_threadsafe(_deliver, item.future, result, error)


def _rollback_quietly(conn: sqlite3.Connection) -> None:
    """Roll back whatever is open; if even that fails, the next BEGIN will say so."""
    with suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")


class ConnectionThread:
    """One thread, one sqlite3 connection, one queue of jobs run in order."""

    def __init__(self, name: str, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._jobs: Jobs = queue.SimpleQueue()
        self._stopped = False
        self.grouped_writes = 0  # writes committed together with others (observability, tests)
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

    def submit(
        self, job: Callable[[sqlite3.Connection], T], jobs: Jobs | None = None, *, groupable: bool = False
    ) -> asyncio.Future[T]:
        """Queue `job` (on the main queue, or on a transaction's `jobs`); the future gets its outcome."""
        if self._stopped:
            raise StoreFailure("SQLite store: the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        (self._jobs if jobs is None else jobs).put(_Item(job, loop, future, groupable))
        return future

    def serve_transaction(self, conn: sqlite3.Connection, jobs: Jobs) -> None:
        """Run only `jobs` until its end marker (a job on the main queue, while a transaction is open)."""
        while (item := jobs.get()) is not None:
            self._run_one(conn, item)
        if conn.in_transaction:  # defensive: a transaction never outlives its context manager
            _rollback_quietly(conn)

    def _run(self) -> None:
        try:
            conn = self._connect()
        except sqlite3.Error as exc:
            self._fail_all(translate(exc))
            return
        try:
            self._serve(conn)
        except BaseException as exc:  # a bug: answer every job from now on instead of leaving it hanging
            self._stopped = True
            self._fail_all(StoreFailure(f"SQLite store: {self._thread.name} thread failed: {exc!r}"))
            raise
        finally:
            conn.close()

    def _serve(self, conn: sqlite3.Connection) -> None:
        pending: list[_Item | None] = []  # a job taken off the queue while grouping, not groupable
        while True:
            item = pending.pop() if pending else self._jobs.get()
            if item is None:
                return
            group = [item]
            while item.groupable and len(group) < GROUP_LIMIT:
                try:
                    following = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if following is None or not following.groupable:
                    pending.append(following)
                    break
                group.append(following)
            if len(group) == 1:
                self._run_one(conn, item)
            else:
                self._run_group(conn, group)

    def _run_one(self, conn: sqlite3.Connection, item: _Item) -> None:
        try:
            result = item.job(conn)
        except Exception as exc:
            _reply(item, None, translate(exc))
        else:
            _reply(item, result, None)

    def _run_group(self, conn: sqlite3.Connection, group: list[_Item]) -> None:
        outcomes: list[tuple[Any, Exception | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for item in group:
                conn.execute("SAVEPOINT grouped")
                try:
                    outcomes.append((item.job(conn), None))
                except Exception as exc:
                    if not conn.in_transaction:  # SQLite rolled back the whole group itself
                        raise
                    conn.execute("ROLLBACK TO grouped")
                    outcomes.append((None, translate(exc)))
                conn.execute("RELEASE grouped")
            conn.execute("COMMIT")
            self.grouped_writes += len(group)
        except Exception as exc:
            _rollback_quietly(conn)
            failure = translate(exc)
            outcomes = [(None, failure)] * len(group)
        for item, (result, error) in zip(group, outcomes, strict=True):
            _reply(item, result, error)

    def _fail_all(self, error: Exception) -> None:
        while (item := self._jobs.get()) is not None:
            _reply(item, None, error)
