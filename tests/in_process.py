"""Overcast's real composition root and HTTP server in the test's process, for tests that reach its parts (its
providers, its clock) while boto3 drives it: `serving` yields the running system and its URL, `call` runs a
blocking boto3 call in a thread so this event loop keeps serving it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from overcast.clock import Clock
from overcast.config import load_settings
from overcast.discovery import url_for
from overcast.server import Overcast, start


class _Serving(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test runner owns the signals
        yield


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, clock: Clock | None = None) -> AsyncIterator[tuple[Overcast, str]]:
    """The system (timed by `clock`, by default the system's) serving HTTP on a free port, and its URL."""
    data = tmp_path / "data"
    data.mkdir()
    settings = load_settings(flags={"data_dir": data, "port": 0}, env={})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    url = url_for(*sock.getsockname()[:2])
    system = await start(settings, url, clock)
    server = _Serving(uvicorn.Config(system.edge, lifespan="off", log_level="warning"))  # type: ignore[arg-type]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield system, url
    finally:
        server.should_exit = True
        await task
        await system.close()
        sock.close()


async def call(client: Any, operation: str, **params: Any) -> Any:
    """A blocking boto3 call, off the event loop that serves it."""
    return await asyncio.to_thread(getattr(client, operation), **params)
