"""The version cache: the invoke path's reads of versions and aliases follow every registry change."""

from __future__ import annotations

import asyncio

import pytest

from overcast.errors import AwsError
from overcast.functions.registry import Registry
from overcast.functions.version_cache import VersionCache

from .conftest import CTX, config, zip_code


async def test_cached_versions_follow_every_change(registry: Registry) -> None:
    await registry.create_function(CTX, "fn", config(), zip_code())
    first = await registry.version(CTX, "fn", None)
    assert await registry.version(CTX, "fn", "$LATEST") is first  # served from memory
    assert len(registry.cache) == 1

    await registry.update_function_configuration(CTX, "fn", {"memory_size": 256})
    updated = await registry.version(CTX, "fn", None)
    assert updated.config.memory_size == 256 and updated.revision_id != first.revision_id

    await registry.update_function_code(CTX, "fn", zip_code("def handler(e, c):\n    return 2\n"))
    recoded = await registry.version(CTX, "fn", None)
    assert recoded.code.sha256_hex != updated.code.sha256_hex

    with pytest.raises(AwsError, match="Function not found"):
        await registry.version(CTX, "fn", "1")  # a miss is not remembered...
    await registry.publish_version(CTX, "fn")
    assert (await registry.version(CTX, "fn", "1")).version == "1"  # ...so a publish shows at once
    assert await registry.version(CTX, "fn", "001") is await registry.version(CTX, "fn", "1")

    await registry.delete_function(CTX, "fn", "1")
    with pytest.raises(AwsError, match="Function not found"):
        await registry.version(CTX, "fn", "1")
    await registry.delete_function(CTX, "fn")
    with pytest.raises(AwsError, match="Function not found"):
        await registry.version(CTX, "fn", None)


async def test_cached_aliases_follow_every_change(registry: Registry) -> None:
    await registry.create_function(CTX, "fn", config(), zip_code(), publish=True)
    await registry.update_function_configuration(CTX, "fn", {"timeout": 9})
    await registry.publish_version(CTX, "fn")
    assert await registry.alias(CTX, "fn", "live") is None
    assert len(registry.cache) == 0  # names that do not exist are not remembered
    await registry.aliases.create(CTX, "fn", "live", "1")
    live = await registry.alias(CTX, "fn", "live")
    assert live is not None and live.function_version == "1"
    await registry.aliases.update(CTX, "fn", "live", function_version="2", routing={"1": 0.5})
    moved = await registry.alias(CTX, "fn", "live")
    assert moved is not None and (moved.function_version, moved.routing) == ("2", {"1": 0.5})
    await registry.aliases.delete(CTX, "fn", "live")
    assert await registry.alias(CTX, "fn", "live") is None


async def test_a_read_under_way_during_a_change_is_not_kept() -> None:
    cache = VersionCache()
    release = asyncio.Event()
    loads = 0

    async def load() -> str:
        nonlocal loads
        loads += 1
        await release.wait()
        return f"read {loads}"

    reading = asyncio.create_task(cache.get(("k",), load))
    await asyncio.sleep(0)
    cache.clear()  # the registry changed while the read was under way: its answer may be the old one
    release.set()
    assert await reading == "read 1"
    assert await cache.get(("k",), load) == "read 2"
    assert await cache.get(("k",), load) == "read 2"
