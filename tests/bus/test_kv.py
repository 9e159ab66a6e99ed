"""KV buckets against a real nats-server: revisions, optimistic concurrency, keys, watch."""

from __future__ import annotations

import asyncio

import pytest

from overcast.bus.connection import Bus
from overcast.bus.kv import KvEntry
from overcast.errors import InvalidParameterValue, ResourceConflict


async def test_create_update_with_revisions(bus: Bus, name: str) -> None:
    kv = await bus.kv(name)
    first = await kv.create("lease.fn-1", b"node-a")
    with pytest.raises(ResourceConflict):
        await kv.create("lease.fn-1", b"node-b")

    second = await kv.update("lease.fn-1", b"node-a2", first)
    assert second > first
    with pytest.raises(ResourceConflict):
        await kv.update("lease.fn-1", b"stale writer", first)
    assert await kv.get("lease.fn-1") == KvEntry("lease.fn-1", b"node-a2", second)

    third = await kv.put("lease.fn-1", b"anyone")
    assert third > second
    assert await kv.get("missing") is None


async def test_delete_then_create_again(bus: Bus, name: str) -> None:
    kv = await bus.kv(name)
    revision = await kv.put("k", b"v")
    with pytest.raises(ResourceConflict):
        await kv.delete("k", revision=revision + 100)
    await kv.delete("k", revision=revision)
    assert await kv.get("k") is None
    await kv.delete("never-there")
    assert await kv.create("k", b"again") > revision
    assert (await kv.get("k")) is not None


async def test_keys(bus: Bus, name: str) -> None:
    kv = await bus.kv(name)
    assert await kv.keys() == []
    for key in ("fn.a", "fn.b", "other.c"):
        await kv.put(key, b"1")
    await kv.delete("fn.b")
    assert sorted(await kv.keys()) == ["fn.a", "other.c"]
    assert await kv.keys("fn.*") == ["fn.a"]


async def test_watch_reports_current_values_then_changes(bus: Bus, name: str) -> None:
    kv = await bus.kv(name)
    await kv.put("cfg.a", b"1")
    async with kv.watch("cfg.>") as changes:
        current = await asyncio.wait_for(anext(changes), 5)
        assert (current.key, current.value, current.deleted) == ("cfg.a", b"1", False)
        await kv.put("cfg.b", b"2")
        await kv.delete("cfg.a")
        added = await asyncio.wait_for(anext(changes), 5)
        removed = await asyncio.wait_for(anext(changes), 5)
    assert (added.key, added.value) == ("cfg.b", b"2")
    assert (removed.key, removed.deleted, removed.value) == ("cfg.a", True, b"")


async def test_invalid_key(bus: Bus, name: str) -> None:
    kv = await bus.kv(name)
    with pytest.raises(InvalidParameterValue):
        await kv.put("bad key with spaces", b"x")


async def test_bucket_is_reopened_not_recreated(bus: Bus, name: str) -> None:
    kv = await bus.kv(name)
    await kv.put("k", b"v")
    again = await bus.kv(name)
    entry = await again.get("k")
    assert entry is not None and entry.value == b"v"
