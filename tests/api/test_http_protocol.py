"""The coalescing transport: a response head leaves with its body, in one write, never held past a loop turn."""

from __future__ import annotations

import asyncio
from typing import Any

from overcast.api.http_protocol import CoalescingTransport

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class Recording:
    """What a transport was asked to do."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 4566) if name == "sockname" else None


def coalescing() -> tuple[CoalescingTransport, Recording]:
    recording = Recording()
    return CoalescingTransport(recording, asyncio.get_running_loop()), recording  # type: ignore[arg-type]


async def test_a_head_and_its_body_are_one_write() -> None:
    transport, recording = coalescing()
    transport.write(HEAD)
    assert recording.writes == []
    transport.write(b"{}")
    assert recording.writes == [HEAD + b"{}"]
    await asyncio.sleep(0)
    assert recording.writes == [HEAD + b"{}"]  # nothing left to flush


async def test_a_lone_head_leaves_at_the_end_of_the_loop_turn() -> None:
    transport, recording = coalescing()
    continue_ = b"HTTP/1.1 100 Continue\r\n\r\n"
    transport.write(continue_)
    await asyncio.sleep(0)
    assert recording.writes == [continue_]


async def test_other_writes_pass_straight_through_in_order() -> None:
    transport, recording = coalescing()
    transport.write(b"5\r\nhello\r\n")
    transport.write(HEAD)
    transport.write(b"0\r\n\r\n")
    assert recording.writes == [b"5\r\nhello\r\n", HEAD + b"0\r\n\r\n"]


async def test_close_flushes_first_and_the_rest_is_the_transports() -> None:
    transport, recording = coalescing()
    transport.write(HEAD)
    transport.close()
    assert recording.writes == [HEAD] and recording.closed
    assert transport.get_extra_info("sockname") == ("127.0.0.1", 4566)
