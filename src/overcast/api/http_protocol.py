"""The HTTP protocol Overcast serves with: uvicorn's httptools protocol, writing a response's head and body in one send.

uvicorn writes a response's status line and headers as soon as the app starts the response and
its body in a second write. With TCP_NODELAY, which keep-alive clients need, that is two segments,
two system calls and often two wake-ups of the client for one small answer. The transport here
holds a written head until the next write, the body, which a complete response sends in the same
turn of the event loop, and writes both at once. Closing flushes it, and so does the end of the
loop turn, so a streamed response (or a 100 Continue) is never held back longer than that.

It also bounds what a request head may take, while it is parsed: the bytes read for one head are
counted before the parser sees them, so a 50 MB header is refused after its first few kilobytes,
never buffered whole. A head over AWS's size (its request line and header values, as API Gateway
counts them) or with too many fields is answered as S3 answers it, `400 RequestHeaderSectionTooLarge`,
in AWS's JSON error shape; the rest of the request is then read and dropped (not buffered) until the client
stops or the head timeout passes, so the client reads the answer rather than a reset connection.
Connections are counted and timed by api/connections.py; uvicorn's per-request keep-alive timer
is not armed, that sweep closes idle connections instead.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import get_remote_addr
from uvicorn.server import ServerState

from overcast.api.connections import Connections
from overcast.arn import new_request_id

_HEAD_START, _HEAD_END = b"HTTP/1.1 ", b"\r\n\r\n"
# Bytes read for one head before it must have ended, as a multiple of the AWS size (which leaves out
# the header names and the line breaks): room for 200 fields with long names.
_WIRE_FACTOR = 4
# S3's code, status and words for a head too large (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html):
# the one AWS error for it; S3 also names the size allowed, in MaxSizeAllowed.
HEAD_TOO_LARGE = "RequestHeaderSectionTooLarge"
_TOO_LARGE_MESSAGE = "Your request header section exceeds the maximum allowed size."


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


def http_protocol(connections: Connections) -> Callable[..., HttpProtocol]:
    """What uvicorn makes a connection's protocol with (its `http` setting), sharing `connections`."""
    return functools.partial(HttpProtocol, connections=connections)


class _Refused(Exception):
    """Stops the parser inside a callback once the request is refused."""


class HttpProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        connections: Connections,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.edge = connections
        limits = connections.limits
        self.max_head, self.max_headers = limits.head_bytes, limits.headers
        self.max_wire = limits.head_bytes * _WIRE_FACTOR
        self.head_timeout, self.idle_timeout = limits.head_timeout, limits.idle_timeout
        self.in_head = True  # the next bytes belong to a request head
        self.head_bytes = 0  # bytes read of that head (0: an idle connection)
        # Loop time since which the connection waits for a request head, None while a request is answered.
        # This and `body_read_at` are 0.0 when the sweep has not seen the wait yet: its first look starts
        # the clock, so answering a request reads no clock (a wait is timed up to one sweep period late).
        self.head_since: float | None = 0.0
        self.body_read_at = 0.0  # loop time of the last read of a request body
        self.refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)  # type: ignore[arg-type]
        client = get_remote_addr(transport)
        if not self.edge.admit(self, client[0] if client else "", self.loop):
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.edge.leave(self)
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        self.edge.leave(self)  # the connection is the WebSocket protocol's from here; it is not counted again
        super().handle_websocket_upgrade()

    def late(self, now: float) -> bool:
        """Whether the client is late with a request head (or, idle, with any request), or has
        paused a body the server is reading for longer than the head timeout (the sweep's question)."""
        since = self.head_since
        if since is not None:
            if not since:
                self.head_since = now
                return False
            return now - since > (self.head_timeout if self.head_bytes else self.idle_timeout)
        cycle = self.cycle
        if (
            cycle is None
            or not cycle.more_body
            or cycle.response_complete
            or cycle.waiting_for_100_continue  # the client waits for the server's word to send it
            or self.flow.read_paused  # paused by the server, whose app has not read what came
        ):
            return False
        if not self.body_read_at:
            self.body_read_at = now
            return False
        return now - self.body_read_at > self.head_timeout

    def time_out(self) -> None:
        """Close a connection that is late (the sweep's call, after `late`)."""
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        """uvicorn's, minus its keep-alive timer, and counting the bytes of each request head."""
        if self.refused:
            return  # the rest of a refused request: read and dropped
        if self.in_head:
            room = self.max_wire - self.head_bytes
            if len(data) > room:
                self._past_room(data, room)
                return
            self.head_bytes += len(data)
        elif self.body_read_at:
            self.body_read_at = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            if not self.refused:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")

    def _past_room(self, data: bytes, room: int) -> None:
        """A read longer than what is left of the head's bytes: the head must end within `room`."""
        self.data_received(data[:room])
        if self.refused or self.transport.is_closing() or self.parser.should_upgrade():
            return
        if self.in_head:
            self._refuse(_TOO_LARGE_MESSAGE, self.max_head)
        else:  # the rest: a body, or the next request (whose head is counted afresh)
            self.data_received(data[room:])

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head_since = None
        self.body_read_at = 0.0
        if len(self.headers) > self.max_headers:
            self._refuse(f"{_TOO_LARGE_MESSAGE} It has more than {self.max_headers} header fields.")
            raise _Refused
        if self.head_bytes > self.max_head and self._head_size() > self.max_head:
            self._refuse(_TOO_LARGE_MESSAGE, self.max_head)
            raise _Refused
        super().on_headers_complete()

    def _head_size(self) -> int:
        """The head as API Gateway measures it: the request line and the header values."""
        line = len(self.parser.get_method()) + len(self.url) + len(" HTTP/1.1") + 1
        return line + sum(len(value) for _, value in self.headers)

    def on_message_complete(self) -> None:
        self.in_head = True
        self.head_bytes = 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        """uvicorn's, but the wait for the next request is timed by the sweep, not a timer per request."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:  # the next request was read while this one was answered
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        else:
            self.head_since = 0.0

    def _refuse(self, message: str, max_size: int | None = None) -> None:
        """Answer RequestHeaderSectionTooLarge in AWS's JSON error shape, and read the rest of the request
        into nothing; the sweep closes the connection after the head timeout if the client goes on."""
        self.refused = True
        self.head_since, self.head_bytes = self.loop.time(), max(self.head_bytes, 1)
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # an answer is being written on this connection: no room for another
            return
        self.transport.write(_refusal(message, max_size))
        if self.transport.can_write_eof():
            self.transport.write_eof()


def _refusal(message: str, max_size: int | None) -> bytes:
    document: dict[str, Any] = {"__type": HEAD_TOO_LARGE, "message": message}
    if max_size is not None:
        document["MaxSizeAllowed"] = max_size
    body = json.dumps(document).encode()
    head = (
        "HTTP/1.1 400 Bad Request\r\n"
        "content-type: application/json\r\n"
        f"x-amzn-requestid: {new_request_id()}\r\n"
        f"x-amzn-errortype: {HEAD_TOO_LARGE}\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body
