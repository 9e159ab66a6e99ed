"""Group commits: the small transactions of many journals (a Map Run's children, each writing its row, history
and ending) committed together as one unit, each writer answered once that unit is durable.

A child of Pass states writes one transaction; committed one by one, each pays a durable commit (an fsync on
SQLite, ~4 ms on a busy 2-core VM), so a 1,000-item Distributed Map took 4 s. Writers that come within one
turn of the event loop, and those that come while a commit is in flight, share the next commit. Transactions
here only write, and their statements must not depend on the row counts of earlier ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from overcast.store import MigrationStep, Queries, Row, Statement, Store


class _Deferred:
    """The Queries a group transaction yields: it keeps the statements for the shared commit."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []

    async def execute(self, sql: str, *params: Any) -> int:
        self.statements.append((sql, params))
        return 0  # not known until the commit: a writer here must not read it

    async def execute_batch(self, statements: Sequence[Statement]) -> None:
        self.statements += statements

    async def fetch_one(self, sql: str, *params: Any) -> Row | None:
        raise TypeError("a group commit's transaction only writes")

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]:
        raise TypeError("a group commit's transaction only writes")


class GroupCommit:
    """A Store whose transactions are committed in groups; everything else goes straight to `store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self._queue: list[tuple[list[Statement], asyncio.Future[None]]] = []
        self._committing: asyncio.Task[None] | None = None

    def transaction(self) -> AbstractAsyncContextManager[Queries]:
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Queries]:
        deferred = _Deferred()
        yield deferred
        if deferred.statements:
            done = asyncio.get_running_loop().create_future()
            self._queue.append((deferred.statements, done))
            if self._committing is None:
                self._committing = asyncio.get_running_loop().create_task(self._commit())
            await done

    async def _commit(self) -> None:
        try:
            while self._queue:
                await asyncio.sleep(0)  # the writers of this turn join
                group, self._queue = self._queue, []
                try:
                    await self.store.execute_batch([s for statements, _ in group for s in statements])
                except BaseException as exc:
                    for _, done in group:
                        if not done.done():
                            done.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for _, done in group:
                    if not done.done():
                        done.set_result(None)
        finally:
            self._committing = None

    async def execute(self, sql: str, *params: Any) -> int:
        return await self.store.execute(sql, *params)

    async def execute_batch(self, statements: Sequence[Statement]) -> None:
        await self.store.execute_batch(statements)

    async def fetch_one(self, sql: str, *params: Any) -> Row | None:
        return await self.store.fetch_one(sql, *params)

    async def fetch_all(self, sql: str, *params: Any) -> list[Row]:
        return await self.store.fetch_all(sql, *params)

    async def migrate(self, component: str, steps: Sequence[MigrationStep]) -> None:
        await self.store.migrate(component, steps)

    async def close(self) -> None:
        """The store is its owner's to close."""
