"""RuntimeApi: one instance's AWS Lambda Runtime API (2018-06-01), a lean HTTP/1.1 server on asyncio.

The runtime process inside the sandbox long-polls `GET /2018-06-01/runtime/invocation/next` for an
event and posts the handler's result to `.../invocation/{id}/response` or `.../invocation/{id}/error`;
a runtime that cannot start posts `.../init/error`. Paths, headers, status codes and error bodies
follow https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html and the behaviour of AWS's
Runtime Interface Emulator (its state names appear in the 403 `InvalidStateTransition` messages).

It sits on the hot path of every custom-runtime invoke, so it is an `asyncio.Protocol` driving
httptools directly (no framework, no streams), and every accepted socket gets TCP_NODELAY: without
it a small response waits ~40-90 ms for a delayed ACK.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import socket
from dataclasses import dataclass
from typing import Any, Literal, cast

import httptools

from overcast.clock import Clock, SystemClock
from overcast.functions.instances import Invocation, ResponseSink

# AWS's largest synchronous response: the Runtime API answers 413 past it, and Invoke reports
# Function.ResponseSizeTooLarge ("... maximum allowed payload size (6291556 bytes).").
MAX_RESPONSE_BYTES = 6_291_556
# A streamed response's ceiling (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html):
# past it the rest is not passed on and the invocation fails as too large.
MAX_STREAMED_BYTES = 200 * 1024 * 1024
_STREAMING = b"streaming"

_PREFIX = b"/2018-06-01/runtime/"
_NEXT = b"invocation/next"
_INIT_ERROR = b"init/error"

_STARTED, _READY, _RUNNING, _SENT, _INIT_FAILED = (
    "Started",
    "Ready",
    "Running",
    "RuntimeResponseSentState",
    "InitError",
)

_REASONS = {
    200: b"OK",
    202: b"Accepted",
    400: b"Bad Request",
    403: b"Forbidden",
    404: b"Not Found",
    405: b"Method Not Allowed",
    413: b"Request Entity Too Large",
    500: b"Internal Server Error",
}
_ACCEPTED = b'{"status":"OK"}\n'


class RuntimeExited(Exception):
    """The runtime process went away while an invocation was waiting for its answer."""

    def __init__(self, delivered: bool = False) -> None:
        super().__init__("the runtime exited")
        self.delivered = delivered  # False: the runtime never took the event from /next


@dataclass(frozen=True, slots=True)
class InitOutcome:
    """How the runtime's init phase ended."""

    status: Literal["ready", "error", "exited", "timeout"]
    error_type: str | None = None  # from /init/error's Lambda-Runtime-Function-Error-Type
    payload: bytes = b""  # /init/error's body, AWS's error document
    at: float = 0.0  # clock.monotonic() when it ended (first /next: the end of Init Duration)


@dataclass(frozen=True, slots=True)
class Reply:
    """What the runtime posted for one invocation."""

    payload: bytes
    error_type: str | None  # None for /response; the error type for /error (or the 413 case)
    duration_ms: float  # from handing the event to /next until the post arrived


def _error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def _response(status: int, body: bytes, content_type: bytes = b"application/json", close: bool = False) -> bytes:
    head = b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (
        status,
        _REASONS.get(status, b"Error"),
        content_type,
        len(body),
        b"Connection: close\r\n" if close else b"",
    )
    return head + body


def _transition_error(current: str, target: str) -> bytes:
    message = f"State transition from {current} to {target} failed for runtime. Error: State transition is not allowed"
    return _response(403, _error_body("InvalidStateTransition", message))


def _error_type(connection: _Connection, body: bytes) -> str:
    """The Lambda-Runtime-Function-Error-Type header, else the document's errorType (awslambdaric
    sends no header with invocation errors), else "Unhandled"."""
    header = connection.headers.get(b"lambda-runtime-function-error-type")
    if header:
        return header.decode(errors="replace")
    try:
        document = json.loads(body)
    except ValueError:
        return "Unhandled"
    error_type = document.get("errorType") if isinstance(document, dict) else None
    return error_type if isinstance(error_type, str) and error_type else "Unhandled"


def _header_value(text: str) -> bytes:
    return text.replace("\r", " ").replace("\n", " ").encode()


def _client_context_json(client_context: str) -> str:
    """Invoke carries ClientContext as base64 JSON; the runtime gets the JSON itself."""
    try:
        return base64.b64decode(client_context, validate=True).decode()
    except (binascii.Error, ValueError):
        return client_context


def _trace_id(epoch_s: float) -> str:
    """A trace header like the one Lambda passes when the caller sent none (not sampled)."""
    return f"Root=1-{int(epoch_s):08x}-{os.urandom(12).hex()};Parent={os.urandom(8).hex()};Sampled=0"


class _Connection(asyncio.Protocol):
    """One keep-alive connection from the runtime; httptools calls the on_* methods."""

    def __init__(self, api: RuntimeApi) -> None:
        self.api = api
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.headers: dict[bytes, bytes] = {}
        self.body: list[bytes] = []
        self.size = 0
        self.keep_alive = True
        self.stream_to: ResponseSink | None = None  # a streamed response goes here

    # --- asyncio.Protocol ---
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.api._connections.add(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.send(_response(400, _error_body("InvalidRequestFormat", "Malformed HTTP request"), close=True))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.api._connections.discard(self)
        if self.api._parked is self:
            self.api._parked = None
        self.transport = None

    # --- httptools callbacks ---
    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = {}
        self.body = []
        self.size = 0
        self.stream_to = None

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.lower()] = value

    def on_headers_complete(self) -> None:
        if self.headers.get(b"expect", b"").lower() == b"100-continue" and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if self.headers.get(b"lambda-runtime-function-response-mode", b"").lower() == _STREAMING:
            self.stream_to = self.api._stream_target(self.url)
            if self.stream_to is not None:
                content_type = self.headers.get(b"content-type", b"application/octet-stream")
                self.stream_to.begin(content_type.decode("latin-1"))

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        stream_to = self.stream_to
        if stream_to is not None:
            # Past the sink's bound the runtime's socket is read no more until its reader catches up.
            if self.size <= MAX_STREAMED_BYTES and not stream_to.write(body) and self.transport is not None:
                self.transport.pause_reading()
                stream_to.when_drained(self._resume_reading)
        elif self.size <= self.api.max_response_bytes:
            self.body.append(body)

    def on_message_complete(self) -> None:
        self.keep_alive = self.parser.should_keep_alive()
        method = self.parser.get_method()
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        self.api._handle(self, method, self.url, body)

    def _resume_reading(self) -> None:
        if self.transport is not None:
            self.transport.resume_reading()

    # --- used by RuntimeApi ---
    def send(self, data: bytes | list[bytes]) -> None:
        transport = self.transport
        if transport is None:
            return
        if isinstance(data, list):
            transport.writelines(data)
        else:
            transport.write(data)
        if not self.keep_alive:
            transport.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class RuntimeApi:
    """The Runtime API of one instance: one invocation at a time, as in AWS Lambda."""

    def __init__(self, clock: Clock, max_response_bytes: int) -> None:
        self.clock = clock
        self.max_response_bytes = max_response_bytes
        self.address = ""
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[_Connection] = set()
        self._state = _STARTED
        self._init: asyncio.Future[InitOutcome] = asyncio.get_running_loop().create_future()
        self._parked: _Connection | None = None  # a /next waiting for an event
        self._pending: Invocation | None = None  # an event waiting for a /next
        self._current: Invocation | None = None  # handed to the runtime, not answered yet
        self._reply: asyncio.Future[Reply] | None = None
        self._handed_at = 0.0
        self._gone = False

    @classmethod
    async def start(
        cls,
        host: str = "127.0.0.1",
        *,
        clock: Clock | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        sock: socket.socket | None = None,
    ) -> RuntimeApi:
        """Serve on `sock`, a listener inside the instance's own network namespace (sandbox/network.py),
        or, where instances have none, on a free port of `host`."""
        api = cls(clock or SystemClock(), max_response_bytes)
        await api.listen(host, sock)
        return api

    async def listen(self, host: str = "127.0.0.1", sock: socket.socket | None = None) -> None:
        loop = asyncio.get_running_loop()
        if sock is not None:
            self._server = await loop.create_server(lambda: _Connection(self), sock=sock)
        else:
            self._server = await loop.create_server(lambda: _Connection(self), host, 0, backlog=16)
        address = self._server.sockets[0].getsockname()
        self.address = f"{address[0]}:{address[1]}"

    # --- the instance's side ---
    async def wait_initialized(self, timeout: float | None = None) -> InitOutcome:
        """Wait for the end of init: the first /next, an /init/error, or `runtime_exited()`."""
        if self._init.done() or timeout is None:
            return await asyncio.shield(self._init)
        sleeper = asyncio.ensure_future(self.clock.sleep(timeout))
        try:
            waiters: set[asyncio.Future[Any]] = {self._init, sleeper}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
        if self._init.done():
            return self._init.result()
        return InitOutcome("timeout", at=self.clock.monotonic())

    async def invoke(self, invocation: Invocation) -> Reply:
        """Hand the event to the runtime's /next (now or when it next asks) and wait for its answer.

        Raises RuntimeExited when `runtime_exited()` is called first. Cancelling (a timeout) leaves
        the invocation abandoned; the caller is expected to kill the runtime.
        """
        if self._gone:
            raise RuntimeExited()
        if self._reply is not None:
            raise RuntimeError("an invocation is already running on this instance")
        reply: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._reply = reply
        parked = self._parked
        if parked is not None:
            self._parked = None
            self._deliver(parked, invocation)
        else:
            self._pending = invocation
        try:
            return await reply
        finally:
            self._reply = None
            self._pending = None

    def runtime_exited(self) -> None:
        """The runtime process is gone: end init and fail the waiting invocation."""
        self._gone = True
        if not self._init.done():
            self._init.set_result(InitOutcome("exited", at=self.clock.monotonic()))
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(RuntimeExited(delivered=self._current is not None))

    async def close(self) -> None:
        self.runtime_exited()
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            connection.close()
        self._connections.clear()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # --- the runtime's side ---
    def _deliver(self, connection: _Connection, invocation: Invocation) -> None:
        headers = [
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: ",
            invocation.request_id.encode(),
            b"\r\nLambda-Runtime-Deadline-Ms: %d\r\nLambda-Runtime-Invoked-Function-Arn: " % invocation.deadline_ms,
            invocation.invoked_function_arn.encode(),
            b"\r\nLambda-Runtime-Trace-Id: ",
            _header_value(invocation.trace_id or _trace_id(self.clock.now())),
        ]
        if invocation.client_context:
            context = _client_context_json(invocation.client_context)
            headers += [b"\r\nLambda-Runtime-Client-Context: ", _header_value(context)]
        if invocation.cognito_identity:
            headers += [b"\r\nLambda-Runtime-Cognito-Identity: ", _header_value(invocation.cognito_identity)]
        payload = invocation.payload
        headers.append(b"\r\nContent-Length: %d\r\n\r\n" % len(payload))
        self._current = invocation
        self._state = _RUNNING
        self._handed_at = self.clock.monotonic()
        if len(payload) < 65536:
            headers.append(payload)
            connection.send(b"".join(headers))
        else:
            connection.send([b"".join(headers), payload])

    def _handle(self, connection: _Connection, method: bytes, url: bytes, body: bytes) -> None:
        path = url.split(b"?", 1)[0]
        if not path.startswith(_PREFIX):
            connection.send(_response(404, b"404 page not found\n", b"text/plain; charset=utf-8"))
            return
        rest = path[len(_PREFIX) :]
        if rest == _NEXT:
            if method != b"GET":
                connection.send(_response(405, b""))
            else:
                self._next(connection)
        elif rest == _INIT_ERROR:
            if method != b"POST":
                connection.send(_response(405, b""))
            else:
                connection.send(self._init_error(connection, body))
        elif rest.startswith(b"invocation/") and rest.count(b"/") == 2:
            _, request_id, kind = rest.split(b"/")
            if kind not in (b"response", b"error") or not request_id:
                connection.send(_response(404, b"404 page not found\n", b"text/plain; charset=utf-8"))
            elif method != b"POST":
                connection.send(_response(405, b""))
            else:
                connection.send(self._result(connection, request_id.decode(errors="replace"), kind, body))
        else:
            connection.send(_response(404, b"404 page not found\n", b"text/plain; charset=utf-8"))

    def _next(self, connection: _Connection) -> None:
        if self._state == _INIT_FAILED or self._gone:
            connection.send(_transition_error(self._state, _READY))
            return
        if not self._init.done():
            self._init.set_result(InitOutcome("ready", at=self.clock.monotonic()))
        if self._state != _RUNNING:
            self._state = _READY
        pending = self._pending
        if pending is not None:
            self._pending = None
            self._deliver(connection, pending)
            return
        if self._parked is not None and self._parked is not connection:
            self._parked.close()  # a runtime asks once; an older parked /next is stale
        self._parked = connection

    def _init_error(self, connection: _Connection, body: bytes) -> bytes:
        if self._state != _STARTED:
            return _transition_error(self._state, _INIT_FAILED)
        self._state = _INIT_FAILED
        if not self._init.done():
            outcome = InitOutcome("error", _error_type(connection, body), body, self.clock.monotonic())
            self._init.set_result(outcome)
        return _response(202, _ACCEPTED)

    def _stream_target(self, url: bytes) -> ResponseSink | None:
        """Where a streamed response posted to `url` goes as it arrives: the current invocation's
        stream, when it has one and the URL names it; else the response is read whole."""
        current = self._current
        if current is None or current.stream is None or self._state != _RUNNING:
            return None
        path = url.split(b"?", 1)[0]
        expected = _PREFIX + b"invocation/" + current.request_id.encode() + b"/response"
        return current.stream if path == expected else None

    def _result(self, connection: _Connection, request_id: str, kind: bytes, body: bytes) -> bytes:
        target = "InvocationResponse" if kind == b"response" else "InvocationErrorResponse"
        current = self._current
        if self._state != _RUNNING or current is None:
            return _transition_error(self._state, target)
        if request_id != current.request_id:
            return _response(400, _error_body("InvalidRequestID", "Invalid request ID"))
        duration_ms = (self.clock.monotonic() - self._handed_at) * 1000.0
        self._state = _SENT
        self._current = None
        answer = _response(202, _ACCEPTED)
        streamed = connection.stream_to is not None
        if streamed and connection.size > MAX_STREAMED_BYTES:
            message = f"Response payload size exceeded maximum allowed payload size ({MAX_STREAMED_BYTES} bytes)."
            error_type = "Function.ResponseSizeTooLarge"
            reply = Reply(_error_body(error_type, message), error_type, duration_ms)
        elif streamed:
            reply = Reply(b"", None, duration_ms)  # the chunks went to the caller as they came
        elif connection.size > self.max_response_bytes:
            message = f"Response payload size exceeded maximum allowed payload size ({self.max_response_bytes} bytes)."
            error_type = "Function.ResponseSizeTooLarge"
            reply = Reply(_error_body(error_type, message), error_type, duration_ms)
            answer = _response(
                413,
                _error_body(
                    "RequestEntityTooLarge", f"Exceeded maximum allowed payload size ({self.max_response_bytes} bytes)."
                ),
            )
        elif kind == b"response":
            reply = Reply(body, None, duration_ms)
        else:
            reply = Reply(body, _error_type(connection, body), duration_ms)
        if self._reply is not None and not self._reply.done():
            self._reply.set_result(reply)
        return answer
