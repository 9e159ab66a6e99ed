"""The lean publisher (bus/publisher.py): against the real nats-server, and against a scripted one for what a real
server does only when something goes wrong (no answer, a refusal, a dropped connection, answers in pieces)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from overcast.bus.connection import Bus
from overcast.bus.publisher import Address, Connection, Publisher
from overcast.errors import InvalidParameterValue, ResourceNotFound, ServiceUnavailable

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes], Awaitable[None]]


async def test_a_publish_is_stored_with_its_headers_and_answers_its_sequence(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [f"{name}.>"], retention="workqueue")
    await bus.ensure_consumer(name, "c", filter_subject=f"{name}.q", ack_wait=60)
    sequences = await asyncio.gather(*(bus.publish(f"{name}.q", b"%d" % i, {"Index": str(i)}) for i in range(50)))
    assert sorted(sequences) == list(range(1, 51))
    messages = await bus.fetch(name, "c", batch=50, timeout=2)
    assert sorted((m.data, m.headers["Index"]) for m in messages) == sorted((b"%d" % i, str(i)) for i in range(50))


async def test_a_closed_connection_is_made_again_at_the_next_publish(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name])
    assert await bus.publish(name, b"one") == 1
    connection = await bus._lean.connection()
    assert connection is not None and connection.transport is not None
    connection.transport.close()
    await asyncio.sleep(0.05)
    assert connection.closed
    assert await bus.publish(name, b"two") == 2
    assert await bus._lean.connection() is not connection


async def test_a_stream_refusal_is_the_aws_error_of_its_kind(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name], max_bytes=1024)
    await bus.publish(name, b"x" * 600)
    with pytest.raises(ServiceUnavailable):  # the stream is full (discard new): nothing is stored
        await bus.publish(name, b"x" * 600)
    assert (await bus.stream_state(name)).messages == 1


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[..., Awaitable[Address]]]:
    """A server that says INFO and answers PING, then follows a script for each HPUB it reads."""
    servers: list[asyncio.Server] = []

    async def start(script: Script, info: dict[str, object] | None = None) -> Address:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"INFO %s\r\n" % json.dumps(info or {"max_payload": 1048576}).encode())
            try:
                while line := await reader.readline():
                    if line.startswith(b"PING"):
                        writer.write(b"PONG\r\n")
                    elif line.startswith(b"HPUB"):
                        words = line.split()
                        await reader.readexactly(int(words[-1]) + 2)
                        await script(reader, writer, words[2])
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        return Address("127.0.0.1", server.sockets[0].getsockname()[1], "user", "password")

    yield start
    for server in servers:
        server.close()


async def _connected(scripted: Callable[..., Awaitable[Address]], script: Script) -> tuple[Publisher, Connection]:
    """A publisher connected to a scripted server."""
    address = await scripted(script)
    publisher = Publisher(lambda: address, timeout=2)
    connection = await publisher.connection()
    assert connection is not None
    return publisher, connection


def _ack(reply: bytes, answer: dict[str, object]) -> bytes:
    body = json.dumps(answer).encode()
    return b"MSG %s 1 %d\r\n%s\r\n" % (reply, len(body), body)


async def test_an_answer_that_comes_in_pieces_is_read_whole(scripted: Callable[..., Awaitable[Address]]) -> None:
    async def one_byte_at_a_time(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reply: bytes) -> None:
        for byte in _ack(reply, {"stream": "S", "seq": 7}):
            writer.write(bytes([byte]))
            await writer.drain()

    publisher, connection = await _connected(scripted, one_byte_at_a_time)
    assert await publisher.publish(connection, "s", b"x", {}, 2) == 7
    publisher.close()


async def test_jetstream_errors_and_no_responders(scripted: Callable[..., Awaitable[Address]]) -> None:
    answered = 0

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reply: bytes) -> None:
        nonlocal answered
        answered += 1
        if answered == 1:
            writer.write(_ack(reply, {"error": {"code": 404, "err_code": 10059, "description": "stream not found"}}))
        else:  # a status 503 and no body: no stream takes the subject
            writer.write(b"HMSG %s 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n" % reply)

    publisher, connection = await _connected(scripted, refuse)
    with pytest.raises(ResourceNotFound, match="stream not found"):
        await publisher.publish(connection, "s", b"x", {}, 2)
    with pytest.raises(ServiceUnavailable, match="nothing on the message bus is listening"):
        await publisher.publish(connection, "s", b"x", {}, 2)
    publisher.close()


async def test_a_publish_never_answered_fails_after_its_timeout(scripted: Callable[..., Awaitable[Address]]) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reply: bytes) -> None:
        return

    publisher, connection = await _connected(scripted, silent)
    with pytest.raises(ServiceUnavailable, match="did not answer in time"):
        await publisher.publish(connection, "s", b"x", {}, 0.3)
    assert not connection.waiting
    publisher.close()


async def test_a_dropped_connection_fails_what_waits_and_the_next_publish_connects_again(
    scripted: Callable[..., Awaitable[Address]],
) -> None:
    dropped = False

    async def drop_the_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reply: bytes) -> None:
        nonlocal dropped
        if not dropped:
            dropped = True
            writer.transport.abort()
        else:
            writer.write(_ack(reply, {"stream": "S", "seq": 2}))

    publisher, first = await _connected(scripted, drop_the_first)
    with pytest.raises(ServiceUnavailable):
        await publisher.publish(first, "s", b"x", {}, 2)
    second = await publisher.connection()
    assert second is not None and second is not first
    assert await publisher.publish(second, "s", b"x", {}, 2) == 2
    publisher.close()


async def test_a_refused_sign_in_is_service_unavailable() -> None:
    server: list[asyncio.Server] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"INFO {}\r\n")
        await reader.readline()
        writer.write(b"-ERR 'Authorization Violation'\r\n")
        await writer.drain()
        writer.close()

    server.append(await asyncio.start_server(refuse, "127.0.0.1", 0))
    port = server[0].sockets[0].getsockname()[1]
    publisher = Publisher(lambda: Address("127.0.0.1", port, "user", "wrong"), timeout=2)
    with pytest.raises(ServiceUnavailable, match="Authorization Violation"):
        await publisher.connection()
    server[0].close()


async def test_a_server_that_wants_tls_is_left_to_nats_py(scripted: Callable[..., Awaitable[Address]]) -> None:
    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reply: bytes) -> None:
        return

    address = await scripted(never, {"tls_required": True})
    publisher = Publisher(lambda: address, timeout=2)
    assert await publisher.connection() is None
    assert publisher.unsupported


async def test_a_header_with_a_line_break_is_refused_and_nothing_is_sent(bus: Bus, name: str) -> None:
    await bus.ensure_stream(name, [name])
    with pytest.raises(InvalidParameterValue, match="line break"):
        await bus.publish(name, b"x", {"Group": "a\r\nPUB other 1\r\nx"})
    assert (await bus.stream_state(name)).messages == 0
    assert await bus.publish(name, b"y", {"Group": "a"}) == 1  # the connection is still in step
