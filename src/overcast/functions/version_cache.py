"""The version cache: function versions and aliases the invoke path resolved, kept in memory until the registry changes.

A warm invoke used to read its version (and alias) from the store every time: a round trip to
the store's reader thread that cost more than running the function. Every change to functions,
code, configuration, versions and aliases runs in `changing`, which drops the whole cache once
its transaction has ended, so a read that follows an acknowledged change never sees the old record. A read that was
already under way when a change landed may have fetched the old record: the generation counter
keeps it out of the cache (the invocation itself may still run the old version, as one that
raced the update on AWS may).

The cache is per node. In a cluster each node must also drop it when another node changes the
registry: publish the change on the bus after the commit (e.g. a `lambda.registry.changed`
subject every node subscribes to), or compare a per-function revision read from the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from overcast.store import Queries, Store

T = TypeVar("T")
Key = tuple[str, ...]


class VersionCache:
    def __init__(self) -> None:
        self._entries: dict[Key, object] = {}
        self._generation = 0

    async def get(self, key: Key, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value for `key`, else `load()`'s (cached unless the registry changed meanwhile).
        A load that finds nothing (None, or an error such as not found) is not cached, so names that
        do not exist cannot fill the cache."""
        if key in self._entries:
            return self._entries[key]  # type: ignore[return-value]
        generation = self._generation
        value = await load()
        if value is not None and generation == self._generation:
            self._entries[key] = value
        return value

    @property
    def generation(self) -> int:
        """Changes whenever the cache is dropped: what was derived from its entries is stale then."""
        return self._generation

    def __len__(self) -> int:
        return len(self._entries)

    @asynccontextmanager
    async def changing(self, store: Store) -> AsyncIterator[Queries]:
        """The transaction of a change to what the cache holds; the cache is dropped once it has ended
        (committed or not)."""
        try:
            async with store.transaction() as tx:
                yield tx
        finally:
            self.clear()

    def clear(self) -> None:
        """The registry changed: forget everything, including what reads under way are about to return."""
        self._entries.clear()
        self._generation += 1
