"""A real nats-server for the bus tests: started once per session in a temporary directory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.bus.connection import Bus
from overcast.bus.server import EmbeddedNats


@pytest.fixture(scope="session")
async def nats_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedNats]:
    server = EmbeddedNats(Path(tmp_path_factory.mktemp("nats")))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="session")
async def bus(nats_server: EmbeddedNats) -> AsyncIterator[Bus]:
    assert nats_server.url is not None
    connection = await Bus.connect(nats_server.url)
    yield connection
    await connection.close()


@pytest.fixture
def name() -> str:
    """A stream / consumer / bucket name no other test uses."""
    return "T" + uuid.uuid4().hex[:12].upper()
