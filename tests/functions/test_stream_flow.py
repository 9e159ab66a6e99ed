"""A streamed response's flow: bounded in Overcast's memory (the runtime is paused while its reader lags) and,
past its first 6 MB, paced at 2 MB a second as AWS paces it
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html, "Bandwidth limits")."""

from __future__ import annotations

import asyncio
import json
import socket
import time

from overcast.clock import FakeClock
from overcast.functions.instances import Invocation
from overcast.functions.runtime.api import RuntimeApi
from overcast.functions.streams import CAPPED_RATE, HIGH_WATER, LOW_WATER, UNCAPPED_BYTES, QueueSink

MIB = 1 << 20


async def test_past_its_first_6_mb_a_stream_reaches_its_reader_at_2_mb_a_second() -> None:
    clock = FakeClock()
    sink = QueueSink(clock)
    for _ in range(10):
        sink.write(b"x" * MIB)
    sink.end()
    arrivals: list[float] = []

    async def read() -> None:
        while await sink.get() is not None:
            arrivals.append(clock.monotonic())

    reader = asyncio.create_task(read())
    await clock.sleeping()
    assert arrivals == [0.0] * (UNCAPPED_BYTES // MIB)  # the first 6 MB at once
    while not reader.done():
        await clock.advance(0.25)
    per_mib = MIB / CAPPED_RATE
    assert arrivals[6:] == [per_mib, 2 * per_mib, 3 * per_mib, 4 * per_mib]  # then 2 MB/s: 0.5 s a MiB


async def test_a_stream_without_a_clock_is_not_paced() -> None:
    sink = QueueSink()
    for _ in range(8):
        sink.write(b"x" * MIB)
    sink.end()
    assert [len(chunk) async for chunk in _chunks(sink)] == [MIB] * 8


async def test_a_writer_is_told_to_pause_past_the_bound_and_resumed_once_the_reader_catches_up() -> None:
    sink = QueueSink()
    resumed: list[int] = []
    assert sink.write(b"x" * (HIGH_WATER // 2))
    assert not sink.write(b"x" * (HIGH_WATER // 2))  # HIGH_WATER bytes wait: pause
    sink.when_drained(lambda: resumed.append(sink.waiting))
    assert resumed == []
    await sink.get()
    assert resumed == [] and sink.waiting > LOW_WATER
    await sink.get()
    assert resumed == [0]  # drained: the writer goes on
    sink.when_drained(lambda: resumed.append(-1))
    assert resumed == [0, -1]  # nothing waits: at once


async def test_a_runtime_streaming_faster_than_its_reader_is_held_back_not_buffered() -> None:
    """A runtime posts 64 MiB in the Runtime API's streaming mode while nobody reads the stream: Overcast holds
    no more than the bound (plus one read), the runtime's socket fills and its sends stop; once the reader
    takes the chunks, every byte arrives in order and the invocation completes."""
    api = await RuntimeApi.start(clock=FakeClock())
    sink = QueueSink()
    host, port = api.address.rsplit(":", 1)
    runtime = socket.create_connection((host, int(port)))
    try:
        runtime.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
        await api.wait_initialized()
        deadline = int((time.time() + 60) * 1000)
        invocation = Invocation(
            "req-1", b"{}", deadline, "arn:aws:lambda:us-east-1:111111111111:function:f", stream=sink
        )
        running = asyncio.create_task(api.invoke(invocation))
        head = await _read_head(runtime)
        assert b"req-1" in head
        runtime.setblocking(False)
        total, sent, stalls = 64 * MIB, 0, 0
        runtime.sendall(
            b"POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\nHost: x\r\n"
            b"Lambda-Runtime-Function-Response-Mode: streaming\r\nContent-Type: application/octet-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        body = _chunked(total)
        while sent < len(body) and stalls < 200:
            try:
                sent += runtime.send(body[sent : sent + 256 * 1024])
                stalls = 0
            except BlockingIOError:
                stalls += 1
            await asyncio.sleep(0)
        assert sent < len(body)  # the runtime could not send it all: Overcast stopped reading
        assert sink.waiting <= HIGH_WATER + 256 * 1024

        received = bytearray()

        async def read() -> None:
            while (chunk := await sink.get()) is not None:
                received.extend(chunk)

        reader = asyncio.create_task(read())
        while sent < len(body):
            try:
                sent += runtime.send(body[sent : sent + 256 * 1024])
            except BlockingIOError:
                await asyncio.sleep(0.001)
            await asyncio.sleep(0)
        reply = await asyncio.wait_for(running, 30)
        sink.end()
        await asyncio.wait_for(reader, 30)
        assert len(received) == total and received == _pattern(total)
        assert reply is not None
    finally:
        runtime.close()
        await api.close()


async def _chunks(sink: QueueSink):  # type: ignore[no-untyped-def]
    while (chunk := await sink.get()) is not None:
        yield chunk


def _pattern(size: int) -> bytes:
    block = bytes(range(256)) * 4096  # 1 MiB, so order shows
    return block * (size // len(block))


def _chunked(size: int) -> bytes:
    data, out = _pattern(size), []
    for start in range(0, size, MIB):
        out.append(b"%x\r\n" % MIB + data[start : start + MIB] + b"\r\n")
    out.append(b"0\r\n\r\n")
    return b"".join(out)


async def _read_head(sock: socket.socket) -> bytes:
    """The /next response's head and body (a small JSON event), read without blocking the loop."""
    sock.setblocking(False)
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        try:
            data += sock.recv(65536)
        except BlockingIOError:
            await asyncio.sleep(0.001)
    json.loads(data.partition(b"\r\n\r\n")[2])
    return data
