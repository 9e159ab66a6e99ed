"""Births: how instance processes come to exist, already inside their own cgroup.

`spawn_vessel` starts a fresh interpreter (the slow path, ~60 ms); `Zygote` forks children from
a warm interpreter that has imported the runtime (a fork costs a few ms) and keeps a small pool
of them already placed in fresh cgroups, so moving a process into a cgroup (7-20 ms at times)
never happens on a cold start.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path

from overcast.functions.runtime.python import boot
from overcast.functions.sandbox.cgroups import Cgroup, CgroupLayout
from overcast.functions.sandbox.processes import Vessel

INTERPRETER_FLAGS = ("-I", "-S")  # isolated (no PYTHON* variables, no user site), no site import


async def _place(layout: CgroupLayout | None, pid: int) -> Cgroup | None:
    if layout is None:
        return None

    def place() -> Cgroup:
        cgroup = Cgroup.create(layout)
        try:
            cgroup.add(pid)
        except BaseException:
            cgroup.remove(kill=True)
            raise
        return cgroup

    return await asyncio.to_thread(place)


async def spawn_vessel(interpreter: Path, layout: CgroupLayout | None) -> Vessel:
    """A vessel from a fresh interpreter process (no zygote)."""
    started = time.monotonic()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        process = await asyncio.create_subprocess_exec(
            str(interpreter),
            *INTERPRETER_FLAGS,
            "-c",
            boot.program("child", theirs.fileno()),
            stdin=subprocess.DEVNULL,
            stdout=out_w,
            stderr=err_w,
            pass_fds=(theirs.fileno(),),
            env={"LANG": "C.UTF-8"},
        )
    finally:
        theirs.close()
        os.close(out_w)
        os.close(err_w)
    exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def reap() -> None:
        code = await process.wait()
        if not exited.done():
            exited.set_result(code)

    vessel = Vessel(process.pid, ours, out_r, err_r, exited)
    vessel.extra["reaper"] = asyncio.get_running_loop().create_task(reap())
    try:
        vessel.cgroup = await _place(layout, process.pid)
    except BaseException:
        vessel.discard()
        raise
    vessel.born_ms = (time.monotonic() - started) * 1000
    return vessel
