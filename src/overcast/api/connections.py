"""The edge's client connections: how many each client address holds, and which have waited too long.

One slow or hostile client must not take the server from the others. Each client address may hold
`per_client` connections at once (the next ones are closed as they are accepted), and one timer,
not one per request, sweeps them all and closes the late ones: a connection that has waited
`idle_timeout` for a request without a byte of one, `head_timeout` for the rest of a started
request head (counted from its opening or from the answer before), or `head_timeout` for the next
bytes of a body the server is waiting for. While a request is being answered nothing is timed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    """What one request head and one client may take of the edge (config.py documents each setting)."""

    head_bytes: int  # the request line and the header values together
    headers: int  # header fields in one request
    head_timeout: float  # seconds for a request head to arrive, or a body being sent to go on
    idle_timeout: float  # seconds a keep-alive connection may wait for its next request
    per_client: int  # open connections of one client address


class Timed(Protocol):
    """A connection as the sweep sees it (api/http_protocol.py's HttpProtocol)."""

    def late(self, now: float) -> bool:
        """Whether the client has kept the server waiting too long (`now`: the loop's time)."""
        ...

    def time_out(self) -> None: ...


class Connections:
    def __init__(self, limits: EdgeLimits) -> None:
        self.limits = limits
        self.open: dict[Timed, str] = {}
        self.by_client: dict[str, int] = {}
        self.refused = 0  # connections closed on accept, their client holding its cap
        self.timed_out = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sweep: asyncio.TimerHandle | None = None
        self._period = min(limits.head_timeout, limits.idle_timeout) / 2

    def admit(self, connection: Timed, client: str, loop: asyncio.AbstractEventLoop) -> bool:
        """Count a new connection of `client`, or False when the client already holds its cap."""
        held = self.by_client.get(client, 0)
        if held >= self.limits.per_client:
            self.refused += 1
            return False
        self.by_client[client] = held + 1
        self.open[connection] = client
        if self._sweep is None:
            self._loop = loop
            self._sweep = loop.call_later(self._period, self._run)
        return True

    def leave(self, connection: Timed) -> None:
        client = self.open.pop(connection, None)
        if client is not None:
            held = self.by_client[client] - 1
            if held:
                self.by_client[client] = held
            else:
                del self.by_client[client]

    def _run(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        for connection in [connection for connection in self.open if connection.late(now)]:
            self.timed_out += 1
            connection.time_out()
        self._sweep = self._loop.call_later(self._period, self._run) if self.open else None

    def describe(self) -> dict[str, Any]:
        """For `overcast status`: what the edge holds now and what it has turned away."""
        return {
            "open": len(self.open),
            "clients": len(self.by_client),
            "refused_over_client_cap": self.refused,
            "timed_out": self.timed_out,
        }
