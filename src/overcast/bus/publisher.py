"""Publisher: confirmed JetStream publishes on a connection of their own, each answered as soon as its ack is read.

nats-py sends a confirmed publish as a request: the command joins a buffer its flusher task writes on a
later turn of the event loop, and the stream's ack comes back through its read-loop task, its parser and a
`wait_for`, each a turn of the loop of its own. On a node busy with HTTP requests every turn waits behind
them: an asynchronous Invoke's publish of 0.47 ms idle took 0.9-1.2 ms p50 under 8 clients, and the 202
waits for it (functions/async_queue.py). Here a publish is one write on the socket, now, and the ack is
parsed in the protocol's `data_received`, which resolves the caller's future at once: p50 0.6-0.8 ms in the
same run, and accepted events rose by about a quarter (`python -m bench invoke`, `async Invoke accepted`).

It speaks the little of the NATS client protocol this needs (https://docs.nats.io/reference/reference-protocols/nats-protocol):
INFO / CONNECT (user and password, or a token), SUB on an inbox of its own, HPUB with a reply subject,
MSG / HMSG back, PING / PONG and -ERR. A stream's ack is JetStream's PubAck
(https://docs.nats.io/reference/reference-protocols/nats_api_reference): `{"stream":..,"seq":..}` or
`{"error":{"code":..,"err_code":..,"description":..}}`; a 503 status back means no stream takes the subject.
Errors become AwsErrors as bus/errors.py makes them for nats-py's. A lost connection fails what waits on it
(ServiceUnavailable: nothing was acknowledged) and the next publish connects again. A server that wants TLS,
or a key rather than a password, is not spoken to here: `Publisher.connection` answers None and callers use
nats-py's publish instead.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from overcast.bus.errors import translate_api_error
from overcast.errors import AwsError, InvalidParameterValue, RequestTooLarge, ServiceUnavailable

_CRLF = b"\r\n"
_LONGEST_LINE = 64 * 1024  # a protocol line (INFO is the longest): anything longer is not a NATS server
_SWEEP_SECONDS = 0.25  # how often publishes past their timeout are failed


@dataclass(frozen=True, slots=True)
class Address:
    """Where the bus is and how to sign in: what the nats-py connection used."""

    host: str
    port: int
    user: str | None = None
    password: str | None = None
    token: str | None = None


class Connection(asyncio.Protocol):
    """One connection: its inbox, the publishes waiting for their acks, and the parser of what comes back."""

    def __init__(self, address: Address, ready: asyncio.Future[None]) -> None:
        self.address = address
        self.ready = ready
        self.transport: asyncio.Transport | None = None
        self.inbox = b"_INBOX." + secrets.token_hex(11).encode()
        self.waiting: dict[bytes, asyncio.Future[bytes]] = {}
        # (deadline, reply) of each publish in the order sent, swept from the oldest: a publish given a shorter
        # timeout than one sent before it fails no sooner than that one (Bus gives them all the same).
        self.deadlines: deque[tuple[float, bytes]] = deque()
        self._sweep: asyncio.TimerHandle | None = None
        self.max_payload = 1024 * 1024
        self.closed = False
        self._next = 0
        self._buffer = bytearray()
        # A MSG / HMSG whose bytes are still coming: its subject (the publish's reply), header size, total size.
        self._body: tuple[bytes, int, int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport's subclasses

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(ServiceUnavailable("the message bus closed the connection"))

    def fail(self, error: AwsError) -> None:
        self.closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        if not self.ready.done():
            self.ready.set_exception(error)
        waiting, self.waiting = self.waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(error)
        if self.transport is not None:
            self.transport.close()

    def send(
        self, subject: str, data: bytes, headers: Mapping[str, str], timeout: float
    ) -> tuple[bytes, asyncio.Future[bytes]]:
        """Write one publish now: its reply subject, and the future that gets the stream's answer (or, after
        `timeout` seconds, ServiceUnavailable: one timer sweeps every waiting publish, none is set per publish)."""
        if self.closed or self.transport is None:
            raise ServiceUnavailable("the message bus is not connected")
        self._next += 1
        reply = b"%s.%d" % (self.inbox, self._next)
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        if lines.count("\n") != len(headers) or lines.count("\r") != len(headers):
            # A line break inside a header would end it early and let the rest be read as protocol.
            raise InvalidParameterValue(f"publishing to {subject}: a header holds a line break")
        head = b"NATS/1.0\r\n" + lines.encode() + _CRLF
        if len(head) + len(data) > self.max_payload:
            raise RequestTooLarge(f"publishing to {subject}: the message is larger than the bus's maximum payload")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bytes] = loop.create_future()
        self.waiting[reply] = future
        self.deadlines.append((loop.time() + timeout, reply))
        if self._sweep is None:
            self._sweep = loop.call_later(_SWEEP_SECONDS, self._expire)
        self.transport.write(
            b"HPUB %s %s %d %d\r\n%s%s\r\n" % (subject.encode(), reply, len(head), len(head) + len(data), head, data)
        )
        return reply, future

    def _expire(self) -> None:
        """Fail the publishes whose time is up (their acks, if they come later, are dropped)."""
        self._sweep = None
        now = asyncio.get_running_loop().time()
        deadlines = self.deadlines
        while deadlines and (deadlines[0][0] <= now or deadlines[0][1] not in self.waiting):
            _, reply = deadlines.popleft()
            future = self.waiting.pop(reply, None)
            if future is not None and not future.done():
                future.set_exception(ServiceUnavailable("the message bus did not answer in time"))
        if self.waiting and not self.closed:
            self._sweep = asyncio.get_running_loop().call_later(_SWEEP_SECONDS, self._expire)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while not self.closed:
            if self._body is not None:
                reply, head, total = self._body
                if len(buffer) < total + 2:
                    return
                body = bytes(buffer[:total])
                del buffer[: total + 2]
                self._body = None
                self._answer(reply, body[:head], body[head:])
                continue
            end = buffer.find(_CRLF)
            if end < 0:
                if len(buffer) > _LONGEST_LINE:
                    self.fail(ServiceUnavailable("the message bus sent what is not the NATS protocol"))
                return
            line = bytes(buffer[:end])
            del buffer[: end + 2]
            self._line(line)

    def _line(self, line: bytes) -> None:
        if line.startswith((b"MSG ", b"HMSG ")):
            # MSG <subject> <sid> [reply] <size>; HMSG <subject> <sid> [reply] <header size> <size>
            words = line.split()
            if words[0] == b"MSG":
                self._body = (words[1], 0, int(words[-1]))
            else:
                self._body = (words[1], int(words[-2]), int(words[-1]))
        elif line == b"PING":
            assert self.transport is not None
            self.transport.write(b"PONG\r\n")
        elif line == b"PONG":
            if not self.ready.done():
                self.ready.set_result(None)
        elif line.startswith(b"INFO "):
            self._hello(json.loads(line[5:]))
        elif line.startswith(b"-ERR"):
            self.fail(
                ServiceUnavailable(f"the message bus refused the connection: {line[5:].decode(errors='replace')}")
            )

    def _hello(self, info: dict[str, Any]) -> None:
        """The server's INFO: sign in, subscribe to the inbox, and PING (its PONG says all of it was taken)."""
        assert self.transport is not None
        if self.ready.done():
            return  # a later INFO (the cluster changed): nothing to do
        if info.get("tls_required") or info.get("nonce"):
            self.fail(Unsupported("the message bus wants TLS or a signed nonce"))
            return
        self.max_payload = int(info.get("max_payload", self.max_payload))
        options: dict[str, Any] = {
            "verbose": False, "pedantic": False, "headers": True, "no_responders": True, "protocol": 1,
            "lang": "python", "version": "overcast", "name": "overcast-publisher",
        }  # fmt: skip
        address = self.address
        if address.user is not None:
            options |= {"user": address.user, "pass": address.password or ""}
        elif address.token is not None:
            options["auth_token"] = address.token
        self.transport.write(b"CONNECT %s\r\nSUB %s.* 1\r\nPING\r\n" % (json.dumps(options).encode(), self.inbox))

    def _answer(self, reply: bytes, head: bytes, body: bytes) -> None:
        future = self.waiting.pop(reply, None)
        if future is None or future.done():
            return  # an ack for a publish that gave up waiting
        if head and head.split(_CRLF, 1)[0][9:12] == b"503":  # NATS/1.0 503: no responders
            future.set_exception(ServiceUnavailable("nothing on the message bus is listening"))
        else:
            future.set_result(body)


class Unsupported(ServiceUnavailable):
    """The server wants what this publisher does not speak: callers publish through nats-py instead."""


class Publisher:
    """Confirmed publishes to JetStream streams (see the module's docstring). `where` tells where the bus is
    now (None: not connected), read again each time a connection is made."""

    def __init__(self, where: Callable[[], Address | None], timeout: float) -> None:
        self.where = where
        self.timeout = timeout
        self.unsupported = False  # the server wants what this does not speak: publish through nats-py
        self._connection: Connection | None = None
        self._lock = asyncio.Lock()

    async def connection(self) -> Connection | None:
        """The open connection (made now if there is none), or None if the server is not one to speak to."""
        connection = self._connection
        if connection is not None and not connection.closed:
            return connection
        async with self._lock:
            if not self.unsupported and (self._connection is None or self._connection.closed):
                try:
                    self._connection = await self._open()
                except Unsupported:
                    self.unsupported = True
            return None if self.unsupported else self._connection

    async def _open(self) -> Connection:
        address = self.where()
        if address is None:
            raise ServiceUnavailable("the message bus is not connected")
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        connection = Connection(address, ready)
        try:
            async with asyncio.timeout(self.timeout):
                await loop.create_connection(lambda: connection, address.host, address.port)
                await ready
        except (OSError, TimeoutError) as exc:
            connection.fail(ServiceUnavailable("the message bus is not connected"))
            raise ServiceUnavailable(f"cannot connect to the message bus: {type(exc).__name__}") from exc
        return connection

    async def publish(
        self, connection: Connection, subject: str, data: bytes, headers: Mapping[str, str], timeout: float
    ) -> int:
        """Store a message; its stream sequence once the stream has it on disk."""
        doing = f"publishing to {subject}"
        reply, future = connection.send(subject, data, headers, timeout)
        try:
            answer = await future
        except ServiceUnavailable as error:
            raise ServiceUnavailable(f"{doing}: {error.message}") from None
        finally:
            connection.waiting.pop(reply, None)
        ack = json.loads(answer)
        if "error" in ack:
            raise translate_api_error(ack["error"], doing)
        return int(ack["seq"])

    def close(self) -> None:
        if self._connection is not None:
            self._connection.fail(ServiceUnavailable("the message bus publisher is closed"))
            self._connection = None
