"""A real Overcast (composition root and HTTP server) in the test's process, on a FakeClock, driven through boto3.

For what waits on AWS's clock (asynchronous invocation's one- and two-minute retries, its six-hour
event age): the test moves the server's clock; boto3's blocking calls run in threads meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import uvicorn
from botocore.config import Config

from overcast.clock import FakeClock
from overcast.config import load_settings
from overcast.discovery import url_for
from overcast.server import Overcast, start


class _Serving(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test runner owns the signals
        yield


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
    data = tmp_path / "data"
    data.mkdir()
    settings = load_settings(flags={"data_dir": data, "port": 0}, env={})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    url = url_for(*sock.getsockname()[:2])
    # From now: instances compare an invocation's deadline (on this clock) with the wall clock.
    clock = FakeClock(time.time())
    system = await start(settings, url, clock)
    server = _Serving(uvicorn.Config(system.edge, lifespan="off", log_level="warning"))  # type: ignore[arg-type]
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield Live(system, url, clock)
    finally:
        server.should_exit = True
        await serving
        await system.close()
        sock.close()


async def call(client: Any, operation: str, **params: Any) -> Any:
    """A boto3 call, in a thread: the server answers on this event loop meanwhile."""
    return await asyncio.to_thread(getattr(client, operation), **params)


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
