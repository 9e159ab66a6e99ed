"""Request bodies: an ASGI request's whole body, read up to a limit; past it, drained so the client reads our answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]


async def read_body(receive: Receive, limit: int, declared: int | None = None) -> bytes | None:
    """The whole body, or None when it is larger than `limit` bytes (or declares so): the rest is then
    read and dropped, so the client sees the 413 that follows rather than a reset connection."""
    too_large = declared is not None and declared > limit
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            too_large = True
            chunks.clear()
        if not too_large:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return None if too_large else b"".join(chunks)
