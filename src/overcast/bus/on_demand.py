"""OnDemandBus: the bus as the composition root holds it, connected (and its nats-server started) on first use.

A single node that no service has sent anything over yet runs no nats-server: starting one cost
~15 MB of memory and ~30 ms at every `overcast up`, for nothing. The first `get()` starts the
embedded nats-server (when no `nats_url` is configured) and connects; callers that ask meanwhile
wait for that one start. `close()` stops whatever was started, and the nats-server dies with
Overcast even when Overcast is killed (see `EmbeddedNats`), so starting late leaks nothing.

The embedded server admits only the credentials it was started with, which this holder passes to
the connection and shows to no one; a configured `nats_url` is used with whatever credentials it
carries, and shown without them.

This module imports nats-py only when the bus is first used (its import is ~40 ms and ~3 MB).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from overcast.bus.limits import DEFAULT_LIMITS, JetStreamLimits

if TYPE_CHECKING:
    from overcast.bus.connection import Bus
    from overcast.bus.server import EmbeddedNats

NOT_STARTED = "not started (started on first use)"
NOT_CONNECTED = "not connected (connects on first use)"


class OnDemandBus:
    """The node's bus: nothing runs until the first `get()`."""

    def __init__(self, nats_url: str | None, store_dir: Path, limits: JetStreamLimits = DEFAULT_LIMITS) -> None:
        """`nats_url`: a NATS server or cluster to connect to; None: start an embedded nats-server
        with its JetStream storage in `store_dir`, bounded by `limits` (of which only the per-stream
        max_bytes applies to a configured server: its own operator sets its account's limits)."""
        self.nats_url = nats_url
        self.store_dir = store_dir
        self.limits = limits
        self._bus: Bus | None = None
        self._nats: EmbeddedNats | None = None
        self._lock = asyncio.Lock()

    @property
    def started(self) -> bool:
        return self._bus is not None

    async def get(self) -> Bus:
        """The connected bus, started now if this is its first use."""
        if self._bus is not None:
            return self._bus
        async with self._lock:
            if self._bus is None:
                self._bus = await self._connect()
            return self._bus

    async def _connect(self) -> Bus:
        from overcast.bus.connection import Bus
        from overcast.bus.server import EmbeddedNats

        url, credentials = self.nats_url, None
        if url is None:
            nats = EmbeddedNats(self.store_dir, limits=self.limits)
            url = await nats.start()
            credentials = nats.credentials
            self._nats = nats
        try:
            return await Bus.connect(
                url,
                credentials=credentials,
                stream_max_bytes=self.limits.stream_bytes,
                message_stream_bytes=self.limits.message_bytes,
            )
        except BaseException:
            await self._stop_nats()
            raise

    def may_hold(self, stream: str) -> bool:
        """Whether the stream may hold messages from an earlier run, without starting anything: its directory
        in the embedded server's store (`jetstream/<account>/streams/<name>`), or always with a configured server."""
        if self.nats_url is not None:
            return True
        return any((self.store_dir / "jetstream").glob(f"*/streams/{stream}"))

    def describe(self) -> dict[str, Any]:
        """What runs, as `overcast status` and `/_overcast/health` show it."""
        from overcast.bus.credentials import shown  # not at start-up: ~0.7 ms for a status page

        embedded = self.nats_url is None
        url = None if self.nats_url is None else shown(self.nats_url)
        if self._bus is None:
            return {"state": NOT_STARTED if embedded else NOT_CONNECTED, "embedded": embedded, "url": url}
        if self._nats is None:
            return {"state": "connected", "embedded": False, "url": url}
        return {
            "state": "running" if self._nats.running else "stopped",
            "embedded": True,
            "url": self._nats.url,
            "pid": self._nats.pid,
            "version": self._nats.version,
        }

    async def close(self) -> None:
        """Disconnect, then stop the embedded nats-server, if they were started."""
        bus, self._bus = self._bus, None
        try:
            if bus is not None:
                await bus.close()
        finally:
            await self._stop_nats()

    async def _stop_nats(self) -> None:
        nats, self._nats = self._nats, None
        if nats is not None:
            await nats.stop()
