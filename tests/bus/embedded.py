"""The embedded nats-server as Overcast reaches it: with the credentials made at its start."""

from __future__ import annotations

from overcast.bus.connection import Bus
from overcast.bus.server import EmbeddedNats


async def connected(server: EmbeddedNats) -> Bus:
    """A Bus to `server` as OnDemandBus makes one: its credentials, its per-stream max_bytes."""
    assert server.url is not None and server.credentials is not None
    return await Bus.connect(
        server.url,
        credentials=server.credentials,
        stream_max_bytes=server.limits.stream_bytes,
        message_stream_bytes=server.limits.message_bytes,
    )


def url_with_credentials(server: EmbeddedNats) -> str:
    """`server`'s URL carrying its user and password, as a user would configure an external NATS."""
    assert server.url is not None and server.credentials is not None
    user, password = server.credentials.user, server.credentials.password
    return server.url.replace("nats://", f"nats://{user}:{password}@", 1)
