"""The HTTP protocol Overcast serves with: uvicorn's httptools protocol, writing a response's head and body in one send.

uvicorn writes a response's status line and headers as soon as the app starts the response and
its body in a second write. With TCP_NODELAY, which keep-alive clients need, that is two segments,
two system calls and often two wake-ups of the client for one small answer. The transport here
holds a written head until the next write, the body, which a complete response sends in the same
turn of the event loop, and writes both at once. Closing flushes it, and so does the end of the
loop turn, so a streamed response (or a 100 Continue) is never held back longer than that.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_HEAD_START, _HEAD_END = b"HTTP/1.1 ", b"\r\n\r\n"


class CoalescingTransport:
    """A transport that writes an HTTP response head together with whatever is written next."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif data.startswith(_HEAD_START) and data.endswith(_HEAD_END):
            self._held = data
            self._loop.call_soon(self._flush)
        else:
            self._transport.write(data)

    def _flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing = CoalescingTransport(transport, asyncio.get_running_loop())
        super().connection_made(coalescing)  # type: ignore[arg-type]
