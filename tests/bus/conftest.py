"""A real nats-server for the bus tests: started once per session in a temporary directory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.bus.connection import Bus
from overcast.bus.limits import GiB, JetStreamLimits, MiB
from overcast.bus.server import EmbeddedNats
from tests.bus.embedded import connected

# Small streams, so that the session's many one-test streams fit in the account's total (which
# reserves each stream's max_bytes): 1,024 streams of 1 MiB.
SESSION_LIMITS = JetStreamLimits(store_bytes=GiB, memory_bytes=64 * MiB, stream_bytes=MiB)


@pytest.fixture(scope="session")
async def nats_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedNats]:
    server = EmbeddedNats(Path(tmp_path_factory.mktemp("nats")), limits=SESSION_LIMITS)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="session")
async def bus(nats_server: EmbeddedNats) -> AsyncIterator[Bus]:
    connection = await connected(nats_server)
    yield connection
    await connection.close()


@pytest.fixture
def name() -> str:
    """A stream / consumer / bucket name no other test uses."""
    return "T" + uuid.uuid4().hex[:12].upper()
