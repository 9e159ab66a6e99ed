"""An instance's stdout/stderr pipes are closed exactly once (sandbox/processes.py): by their reader's transport once
they have one, on uvloop (the server's loop, whose transport closes the fd itself and then the file object it was
given) as on asyncio's loop (which closes only the file object). A second close of a number closes whatever another
thread opened meanwhile: code being extracted in a worker thread failed with EBADF."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from collections.abc import Callable

import pytest
import uvloop

from overcast.functions.sandbox.processes import Vessel, _reader

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "uvloop": uvloop.new_event_loop,
    "asyncio": asyncio.new_event_loop,
}


def _closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


@pytest.mark.parametrize("loop_name", sorted(LOOPS))
def test_a_pipe_read_through_its_reader_is_closed_by_its_transport_alone(loop_name: str) -> None:
    async def scenario() -> None:
        read_end, write_end = os.pipe()
        reader = await _reader(read_end)
        os.write(write_end, b"printed")
        os.close(write_end)
        assert await reader.read() == b"printed"
        transport = reader._transport  # type: ignore[attr-defined]
        handed = transport.get_extra_info("pipe")
        transport.close()
        for _ in range(3):
            await asyncio.sleep(0)
        assert _closed(read_end)  # closed, not leaked
        # uvloop closed the fd itself: the file object it was given must not close the number a second time.
        assert handed.closefd is (loop_name == "asyncio")

    loop = LOOPS[loop_name]()
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()


def test_discarding_a_vessel_twice_closes_its_pipes_once() -> None:
    loop = asyncio.new_event_loop()
    child = subprocess.Popen(["sleep", "30"])
    ours, theirs = socket.socketpair()
    read_end, write_end = os.pipe()
    try:
        vessel = Vessel(child.pid, ours, read_end, -1, loop.create_future())  # stderr: taken by its reader
        vessel.discard()
        assert _closed(read_end) and vessel.stdout_fd == -1
        assert child.wait(10) == -9  # killed
        reused = os.dup(write_end)  # may take the number discard closed: a second discard must leave it
        vessel.discard()
        assert not _closed(reused)
        os.close(reused)
    finally:
        os.close(write_end)
        theirs.close()
        loop.close()
