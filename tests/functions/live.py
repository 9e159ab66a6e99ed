"""A real Overcast in the test's process on a FakeClock (tests/in_process.py), driven through boto3.

For what waits on AWS's clock (asynchronous invocation's one- and two-minute retries, its six-hour
event age): the test moves the server's clock; boto3's blocking calls run in threads meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from overcast.clock import FakeClock
from overcast.server import Overcast
from tests.in_process import call, serving

__all__ = ["Live", "call", "live_server", "until"]


@dataclass
class Live:
    system: Overcast
    url: str
    clock: FakeClock

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.url, region_name="us-east-1", config=Config(retries={"max_attempts": 1})
        )


@contextlib.asynccontextmanager
async def live_server(tmp_path: Path) -> AsyncIterator[Live]:
    # From now: instances compare an invocation's deadline (on this clock) with the wall clock.
    clock = FakeClock(time.time())
    async with serving(tmp_path, clock) as (system, url):
        yield Live(system, url, clock)


async def until(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Wait (polling the server's state, not sleeping on a schedule) until `condition()` is truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
