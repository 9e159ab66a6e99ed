"""KeyValue: a JetStream KV bucket with revisions, for small shared state (leases, cursors, config).

Every write returns the key's new revision; `update(key, value, revision)` succeeds only if the
key is still at `revision` and `create` only if the key does not exist (or was deleted), otherwise
ResourceConflict. That is the optimistic concurrency nodes of a cluster coordinate with.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import nats.js.errors
import nats.js.kv
from nats.js.client import JetStreamContext

from overcast.bus.errors import translated

_DELETE_OPERATIONS = frozenset({"DEL", "PURGE"})


@dataclass(frozen=True, slots=True)
class KvEntry:
    key: str
    value: bytes
    revision: int
    deleted: bool = False  # watch() reports deletions as entries with deleted=True and no value


class KeyValue:
    """One bucket. Keys are dot-separated tokens of letters, digits, '-', '_', '=' and '/'."""

    def __init__(self, bucket: str, kv: nats.js.kv.KeyValue, js: JetStreamContext) -> None:
        self.bucket = bucket
        self._kv = kv
        self._js = js  # for the bucket's stream (KV_<bucket>, NATS's naming)

    async def get(self, key: str) -> KvEntry | None:
        """The key's current entry, or None if it does not exist or was deleted."""
        with translated(f"reading {key!r} from bucket {self.bucket}"):
            try:
                entry = await self._kv.get(key)
            except nats.js.errors.KeyNotFoundError:
                return None
        return KvEntry(key, bytes(entry.value or b""), int(entry.revision or 0))

    async def put(self, key: str, value: bytes) -> int:
        """Write unconditionally; the new revision."""
        with translated(f"writing {key!r} to bucket {self.bucket}"):
            return int(await self._kv.put(key, value))

    async def create(self, key: str, value: bytes) -> int:
        """Write only if the key does not exist; ResourceConflict if it does."""
        with translated(f"creating {key!r} in bucket {self.bucket}"):
            return int(await self._kv.create(key, value))

    async def update(self, key: str, value: bytes, revision: int) -> int:
        """Write only if the key is at `revision`; ResourceConflict otherwise."""
        with translated(f"updating {key!r} in bucket {self.bucket}"):
            return int(await self._kv.update(key, value, last=revision))

    async def delete(self, key: str, revision: int | None = None) -> None:
        """Delete (only if at `revision`, when given). Deleting a missing key is not an error."""
        with translated(f"deleting {key!r} from bucket {self.bucket}"):
            await self._kv.delete(key, last=revision)

    async def keys(self, pattern: str = ">") -> list[str]:
        """Keys that exist now and match `pattern` (NATS wildcards: `*` one token, `>` the rest): the bucket stream's
        subjects under the pattern, less the keys whose last entry deletes them. (nats-py's listing, a watcher ended
        by a marker, could put the marker before entries the server had already sent, and answered [] for keys that
        existed.) A read per key found: a listing for tools and tests, not for a hot path."""
        prefix = f"$KV.{self.bucket}."
        with translated(f"listing keys of bucket {self.bucket}"):
            info = await self._js.stream_info(f"KV_{self.bucket}", subjects_filter=prefix + pattern)
        found = []
        for subject in sorted(info.state.subjects or {}):
            key = subject.removeprefix(prefix)
            if await self.get(key) is not None:
                found.append(key)
        return found

    def watch(self, pattern: str = ">", *, include_history: bool = False) -> KvWatch:
        """Current entries matching `pattern` (every revision with include_history), then live changes.

        Use as `async with kv.watch("fn.>") as changes: async for entry in changes: ...`.
        """
        return KvWatch(self, pattern, include_history)


class KvWatch:
    def __init__(self, kv: KeyValue, pattern: str, include_history: bool) -> None:
        self._kv = kv
        self._pattern = pattern
        self._include_history = include_history
        self._watcher: Any = None

    async def __aenter__(self) -> KvWatch:
        with translated(f"watching bucket {self._kv.bucket}"):
            self._watcher = await self._kv._kv.watch(self._pattern, include_history=self._include_history)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self._watcher is not None:
            watcher, self._watcher = self._watcher, None
            with translated(f"watching bucket {self._kv.bucket}"):
                await watcher.stop()

    def __aiter__(self) -> KvWatch:
        return self

    async def __anext__(self) -> KvEntry:
        if self._watcher is None:
            raise StopAsyncIteration
        while True:
            entry = await self._watcher.__anext__()
            if entry is None:  # nats-py's "initial values done" marker
                continue
            deleted = entry.operation in _DELETE_OPERATIONS
            value = b"" if deleted else bytes(entry.value or b"")
            return KvEntry(entry.key, value, int(entry.revision or 0), deleted)
