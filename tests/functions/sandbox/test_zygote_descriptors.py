"""What a vessel holds, forked by the zygote or spawned, and what a program it execs holds: nothing a spawn left.

The server runs on uvloop, whose subprocesses have no close_fds: a zygote it spawns starts with copies of its
stdio at higher numbers (and anything else not marked close-on-exec), and every instance forked from it would
hold them. The zygote closes them as it starts (runtime/python/zygote.py), and so does every vessel
(runtime/python/child.py)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import uvloop

from overcast.functions.sandbox.processes import claim
from overcast.functions.sandbox.zygote import Zygote, spawn_vessel


def _descriptors(pid: int) -> set[int]:
    return {int(fd) for fd in os.listdir(f"/proc/{pid}/fd")}


def test_a_vessel_holds_only_its_stdio_and_its_channel_when_the_server_runs_on_uvloop() -> None:
    async def scenario() -> tuple[set[int], set[int]]:
        leaked_r, leaked_w = os.pipe()
        os.set_inheritable(leaked_r, True)  # as a descriptor received from another process arrives
        zygote = Zygote(Path(sys.executable), None, pool_size=0)
        try:
            await zygote.start()
            vessel = await zygote.fork()
            try:
                await asyncio.sleep(0.2)  # the child has closed the zygote's plumbing and waits to be claimed
                return _descriptors(zygote.pid), _descriptors(vessel.pid)
            finally:
                vessel.discard()
        finally:
            await zygote.close()
            os.close(leaked_r)
            os.close(leaked_w)

    in_zygote, in_vessel = uvloop.run(scenario())
    assert len(in_vessel - {0, 1, 2}) == 1, in_vessel  # its channel
    assert len(in_zygote - {0, 1, 2}) == 4, in_zygote  # its command and event sockets, its wake-up pipe


def test_a_spawned_vessel_holds_only_its_stdio_and_its_channel_when_the_server_runs_on_uvloop() -> None:
    async def scenario() -> set[int]:
        leaked_r, leaked_w = os.pipe()
        os.set_inheritable(leaked_r, True)
        vessel = await spawn_vessel(Path(sys.executable), None)
        try:
            await asyncio.sleep(0.3)  # the child is past its start and waits to be claimed
            return _descriptors(vessel.pid)
        finally:
            vessel.discard()
            os.close(leaked_r)
            os.close(leaked_w)

    assert len(uvloop.run(scenario()) - {0, 1, 2}) == 1  # its channel


def test_a_program_a_vessel_execs_holds_no_channel_to_overcast() -> None:
    """A custom or Node.js runtime speaks the Runtime API: the vessel's channel to Overcast ends at the exec."""

    async def scenario() -> set[int]:
        vessel = await spawn_vessel(Path(sys.executable), None)
        argv = ["/bin/sh", "-c", "exec ls /proc/self/fd"]
        process = await claim(vessel, {"op": "exec", "argv": argv, "environment": {"PATH": "/usr/bin:/bin"}})
        listed = await process.stdout.read()
        await process.wait()
        return {int(fd) for fd in listed.split()}

    assert uvloop.run(scenario()) == {0, 1, 2, 3}  # its stdio, and the directory ls is reading
