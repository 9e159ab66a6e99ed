"""Part: built once by its first users, tried again after a failure, never cancelled by an impatient caller."""

from __future__ import annotations

import asyncio

import pytest

from overcast.parts import NOT_STARTED, Part


class Build:
    """A build that waits for `release`, counting its runs; it fails while `failures` is above zero."""

    def __init__(self, failures: int = 0) -> None:
        self.runs = 0
        self.failures = failures
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self) -> None:
        self.runs += 1
        self.started.set()
        await self.release.wait()
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the build failed")


async def test_concurrent_first_users_share_one_build() -> None:
    build = Build()
    part = Part("Thing", build)
    assert part.describe() == NOT_STARTED and not part.built
    waiters = [asyncio.create_task(part.ready()) for _ in range(3)]
    await build.started.wait()
    assert part.describe() == "starting"
    build.release.set()
    await asyncio.gather(*waiters)
    assert build.runs == 1 and part.built and part.describe() == "running"
    await part.ready()
    assert build.runs == 1


async def test_a_failed_build_raises_to_its_waiters_and_the_next_user_tries_again() -> None:
    build = Build(failures=1)
    build.release.set()
    part = Part("Thing", build)
    with pytest.raises(RuntimeError, match="the build failed"):
        await part.ready()
    assert not part.built and part.describe() == "failed to start"
    await part.ready()
    assert build.runs == 2 and part.built


async def test_a_cancelled_user_does_not_cancel_the_build() -> None:
    build = Build()
    part = Part("Thing", build)
    impatient = asyncio.create_task(part.ready())
    await build.started.wait()
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    build.release.set()
    await part.ready()
    assert build.runs == 1 and part.built


async def test_close_stops_a_build_in_progress() -> None:
    build = Build()
    part = Part("Thing", build)
    waiter = asyncio.create_task(part.ready())
    await build.started.wait()
    await part.close()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert not part.built
