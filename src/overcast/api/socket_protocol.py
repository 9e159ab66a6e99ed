"""The WebSocket protocol the edge runs: uvicorn's sans-I/O one, with a refused handshake counted as answered.

A WebSocket API's `$connect` may refuse a client with an HTTP status of its own, which the edge sends
with ASGI's `websocket.http.response` extension. uvicorn's protocol writes that answer but still
counts the handshake as unanswered, and logs an error ("ASGI callable returned without completing
handshake") for every refusal: here a refusal's last body part completes the handshake.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class SocketProtocol(WebSocketsSansIOProtocol):
    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body", False):
            self.handshake_complete = True
