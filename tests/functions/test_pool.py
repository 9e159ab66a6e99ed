"""The instance pool over real sandboxes: warm reuse (newest first), no sharing, reaping by the clock, retirement."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.clock import FakeClock
from overcast.config import Settings
from overcast.functions.instances import InstanceSpec, Invocation
from overcast.functions.pool import Pool, PoolKey
from overcast.functions.sandbox import LocalSandboxes

IDLE = 600
KEY = PoolKey("111111111111", "us-east-1", "pooled", "$LATEST", "sha-1", "rev-1")


@pytest.fixture
async def sandboxes(tmp_path: Path) -> AsyncIterator[LocalSandboxes]:
    data = tmp_path / "data"
    data.mkdir()
    sandboxes = LocalSandboxes(Settings(data_dir=data, port=0), data)
    try:
        yield sandboxes
    finally:
        await sandboxes.close()


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir(mode=0o755)
    # Which instance answered: a mark drawn at import (every instance is pid 2 in its own PID namespace).
    (code / "index.py").write_text(
        "import os\nMARK = os.urandom(8).hex()\n\ndef handler(event, context):\n    return {'mark': MARK}\n"
    )
    (code / "index.py").chmod(0o644)
    return code


@pytest.fixture
async def pool(sandboxes: LocalSandboxes) -> AsyncIterator[Pool]:
    pool = Pool(sandboxes, FakeClock(), IDLE)
    try:
        yield pool
    finally:
        await pool.close()


def spec_source(code_dir: Path, version: str = "$LATEST"):  # type: ignore[no-untyped-def]
    async def make() -> InstanceSpec:
        return InstanceSpec(
            account_id=KEY.account,
            region=KEY.region,
            function_name=KEY.function_name,
            function_arn=f"arn:aws:lambda:us-east-1:111111111111:function:{KEY.function_name}",
            version=version,
            runtime="python3.12",
            handler="index.handler",
            memory_mb=128,
            timeout_s=5,
            code_dir=code_dir,
            code_sha256=KEY.code_sha,
            log_group=f"/aws/lambda/{KEY.function_name}",
            log_stream="2026/01/01/[$LATEST]" + "0" * 32,
        )

    return make


async def mark_of(lease_instance: object) -> str:
    invocation = Invocation("req", b"{}", int(time.time() * 1000) + 5000, "arn")
    result = await lease_instance.invoke(invocation)  # type: ignore[attr-defined]
    return str(json.loads(result.payload)["mark"])


async def test_warm_reuse_is_newest_first_and_never_shared(pool: Pool, code_dir: Path) -> None:
    first, second = await asyncio.gather(
        pool.acquire(KEY, spec_source(code_dir)), pool.acquire(KEY, spec_source(code_dir))
    )
    assert first.cold and second.cold
    assert first.instance.id != second.instance.id  # a busy instance is never handed out twice
    assert await mark_of(first.instance) != await mark_of(second.instance)
    pool.release(first)
    pool.release(second)
    pool.release(second)  # idempotent
    assert pool.idle_count(KEY) == 2
    again = await pool.acquire(KEY, spec_source(code_dir))
    assert not again.cold
    assert again.instance.id == second.instance.id  # the most recently used one
    pool.release(again)


async def test_idle_instances_are_reaped_by_the_clock(pool: Pool, code_dir: Path) -> None:
    clock = pool.clock
    assert isinstance(clock, FakeClock)
    lease = await pool.acquire(KEY, spec_source(code_dir))
    pool.release(lease)
    await clock.advance(IDLE - 1)
    assert await pool.reap() == 0
    busy = await pool.acquire(KEY, spec_source(code_dir))  # reuse resets the idle time
    await clock.advance(IDLE + 1)
    pool.release(busy)
    assert await pool.reap() == 0
    await clock.advance(IDLE)
    assert await pool.reap() == 1
    assert pool.idle_count() == 0
    await pool.settle()
    fresh = await pool.acquire(KEY, spec_source(code_dir))
    assert fresh.cold  # scaled to zero: the next call starts a new instance
    pool.release(fresh)


async def test_the_background_reaper_runs_on_the_injected_clock(pool: Pool, code_dir: Path) -> None:
    clock = pool.clock
    assert isinstance(clock, FakeClock)
    pool.start()
    pool.release(await pool.acquire(KEY, spec_source(code_dir)))
    await asyncio.sleep(0)  # the reaper goes to sleep on the clock
    await clock.advance(IDLE + 1)
    for _ in range(100):  # the reaper runs as soon as the loop lets it
        if pool.idle_count() == 0:
            break
        await asyncio.sleep(0)
    assert pool.idle_count() == 0


async def test_lost_instances_are_dropped(pool: Pool, code_dir: Path) -> None:
    lease = await pool.acquire(KEY, spec_source(code_dir))
    pool.release(lease, lost=True)
    assert pool.idle_count() == 0 and pool.busy_count() == 0
    await pool.settle()


async def test_a_newer_revision_retires_older_instances(pool: Pool, code_dir: Path) -> None:
    old_busy = await pool.acquire(KEY, spec_source(code_dir), modified=1.0)
    old_idle = await pool.acquire(KEY, spec_source(code_dir), modified=1.0)
    pool.release(old_idle)
    newer = PoolKey(KEY.account, KEY.region, KEY.function_name, KEY.version, KEY.code_sha, "rev-2")
    lease = await pool.acquire(newer, spec_source(code_dir), modified=2.0)
    assert lease.cold
    assert pool.idle_count(KEY) == 0  # the idle old one was stopped at once
    pool.release(old_busy)  # the busy old one stops when it comes back
    assert pool.idle_count(KEY) == 0
    pool.release(lease)
    assert pool.idle_count(newer) == 1
    assert pool.retire(KEY.account, KEY.region, KEY.function_name) == 1
    assert pool.idle_count() == 0


async def test_provisioned_groups_are_ready_ahead_and_not_reaped(pool: Pool, code_dir: Path) -> None:
    clock = pool.clock
    assert isinstance(clock, FakeClock)
    assert await pool.provision("group", KEY, 2, spec_source(code_dir)) == 2
    first = pool.acquire_provisioned("group")
    second = pool.acquire_provisioned("group")
    assert first is not None and second is not None
    assert pool.acquire_provisioned("group") is None  # both busy: the caller spills over to on-demand
    assert first.group == "group" and not first.cold
    pool.release(first)
    pool.release(second)
    await clock.advance(IDLE * 10)
    assert await pool.reap() == 0
    assert pool.provisioned_count("group") == 2
    assert await pool.provision("group", KEY, 1, spec_source(code_dir)) == 1
    await pool.unprovision("group")
    assert pool.acquire_provisioned("group") is None
