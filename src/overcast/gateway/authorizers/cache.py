"""ResultCache: Lambda authorizer answers kept for the authorizer's TTL on the injected clock.

Keys are tuples that start with what they belong to (the API and its stage), so a stage's entries
can be dropped at once (FlushStageAuthorizersCache).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from overcast.clock import Clock

T = TypeVar("T")
Key = tuple[Hashable, ...]


class ResultCache(Generic[T]):
    """A bounded map whose entries expire `ttl` seconds (monotonic) after they were stored; oldest evicted first."""

    def __init__(self, clock: Clock, max_entries: int = 10_000) -> None:
        self._clock = clock
        self._max = max_entries
        self._entries: OrderedDict[Key, tuple[float, T]] = OrderedDict()

    def get(self, key: Key) -> T | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._clock.monotonic() >= expires:
            del self._entries[key]
            return None
        return value

    def put(self, key: Key, value: T, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            return
        self._entries[key] = (self._clock.monotonic() + ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def drop(self, scope: Key) -> int:
        """Forget every entry whose key starts with `scope`; how many there were."""
        gone = [key for key in self._entries if key[: len(scope)] == scope]
        for key in gone:
            del self._entries[key]
        return len(gone)

    def __len__(self) -> int:
        return len(self._entries)
