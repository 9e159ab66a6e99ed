"""The lean channel's server end: frames as they arrive, and polling for one before waiting on the loop."""

from __future__ import annotations

import asyncio
import socket

import pytest

from overcast.functions.runtime.python import frames
from overcast.functions.sandbox.python import Channel


async def connected() -> tuple[Channel, socket.socket]:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    channel = Channel()
    await asyncio.get_running_loop().create_unix_connection(lambda: channel, sock=ours)
    return channel, theirs


async def test_a_spin_sees_a_frame_waiting_and_the_read_returns_it() -> None:
    channel, instance = await connected()
    try:
        instance.sendall(frames.encode({"op": "result"}, b"{}"))
        assert channel.spin(1.0)  # returns as soon as the frame is readable, not after a second
        assert len(channel._frames) == 1  # read by the spin itself, not left for the event loop
        assert await channel.read(5, spin_s=1.0) == ({"op": "result"}, b"{}")
    finally:
        channel.close()
        instance.close()


async def test_a_spin_gives_up_when_nothing_comes() -> None:
    channel, instance = await connected()
    try:
        assert not channel.spin(0.0)
        reading = asyncio.ensure_future(channel.read(5, spin_s=0.0001))  # then waits on the event loop
        await asyncio.sleep(0)
        instance.sendall(frames.encode({"op": "result"}, b"late"))
        assert await reading == ({"op": "result"}, b"late")
    finally:
        channel.close()
        instance.close()


async def test_the_end_of_the_stream_is_left_to_the_event_loop() -> None:
    channel, instance = await connected()
    instance.close()
    assert channel.spin(1.0)  # readable: the end of the stream
    with pytest.raises(ConnectionError):
        await channel.read(5)
    channel.close()


async def test_a_closed_channel_is_not_polled() -> None:
    channel, instance = await connected()
    instance.close()
    while not channel._closed:  # until the event loop has seen the other end close
        await asyncio.sleep(0)
    assert not channel.spin(1.0)
    channel.close()


async def test_a_frame_header_past_the_bound_closes_the_channel_without_buffering_it() -> None:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    channel = Channel(max_header=1000)
    await asyncio.get_running_loop().create_unix_connection(lambda: channel, sock=ours)
    try:
        reading = asyncio.ensure_future(channel.read(5))
        await asyncio.sleep(0)
        theirs.sendall(frames.PREFIX.pack(1 << 30, 0) + b"x" * 4096)  # claims a 1 GB header
        with pytest.raises(ConnectionError, match="protocol"):
            await reading
        assert not channel._buffer
    finally:
        channel.close()
        theirs.close()


@pytest.mark.parametrize("chunk", [1, 7, 100, 1 << 20])
def test_a_body_past_the_bound_is_read_into_nothing_in_any_chunks(chunk: int) -> None:
    channel = Channel(max_body=10)
    wire = (
        frames.encode({"op": "result", "n": 1}, b"small")
        + frames.encode({"op": "result", "n": 2}, b"y" * 1000)
        + frames.encode({"op": "result", "n": 3}, b"after")
    )
    for start in range(0, len(wire), chunk):
        channel.data_received(wire[start : start + chunk])
        assert len(channel._buffer) <= 1000 // 2 or chunk > 1000  # never the long body whole
    assert list(channel._frames) == [
        ({"op": "result", "n": 1}, b"small"),
        ({"op": "result", "n": 2, "oversize": 1000}, b""),
        ({"op": "result", "n": 3}, b"after"),
    ]
