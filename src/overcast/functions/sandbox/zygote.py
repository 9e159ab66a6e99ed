"""Births: how instance processes come to exist, already inside their own cgroup.

`spawn_vessel` starts a fresh interpreter (the slow path, ~60 ms); `Zygote` forks children from
a warm interpreter that has imported the runtime (a fork costs a few ms) and keeps a small pool
of them already placed in fresh cgroups, so moving a process into a cgroup (7-20 ms at times)
never happens on a cold start. Once placed, a vessel is told to enter its network and PID
namespaces there and then (runtime/python/confine.py `prepare`): the forks and the new network
namespace that takes stay off the cold start too. With a network namespace the vessel answers with
the listeners bound inside it (functions/sandbox/network.py), kept on the vessel until it is claimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

from overcast.functions.runtime.python import boot, frames
from overcast.functions.sandbox.cgroups import Cgroup, CgroupLayout
from overcast.functions.sandbox.network import InstanceNetwork, NetworkPlan, receive_listeners
from overcast.functions.sandbox.processes import Vessel, returncode

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


async def _prepare(vessel: Vessel, namespaces: tuple[str, ...], network: NetworkPlan | None) -> None:
    """Tell a vessel, now in its cgroup, to enter its network and PID namespaces (runtime/python/
    confine.py); with a network namespace, take the listeners it made there and serve them (all but
    the Runtime API's, which waits on the vessel for a custom runtime), so that costs no cold start."""
    if "net" in namespaces and network is not None:
        ports = network.ports()
        frames.send(vessel.channel, {"op": "prepare", "namespaces": list(namespaces), "ports": list(ports.values())})
        vessel.listeners = await receive_listeners(vessel.channel, list(ports))
        vessel.network = await InstanceNetwork.serve(network, vessel.listeners)
    elif "pid" in namespaces:
        frames.send(vessel.channel, {"op": "prepare", "namespaces": list(namespaces)})


async def spawn_vessel(
    interpreter: Path,
    layout: CgroupLayout | None,
    namespaces: tuple[str, ...] = (),
    network: NetworkPlan | None = None,
) -> Vessel:
    """A vessel from a fresh interpreter process (no zygote). `namespaces`: which it enters before it
    is claimed ("net", "pid"); `network`: what its network namespace listens on."""
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
        await _prepare(vessel, namespaces, network)
    except BaseException:
        vessel.discard()
        raise
    vessel.born_ms = (time.monotonic() - started) * 1000
    return vessel


class ZygoteError(Exception):
    """The zygote could not be started or has died."""


class Zygote:
    """A warm interpreter forking vessels, and the pool of vessels it keeps ready in fresh cgroups."""

    def __init__(
        self,
        interpreter: Path,
        layout: CgroupLayout | None,
        pool_size: int = 2,
        namespaces: tuple[str, ...] = (),
        network: NetworkPlan | None = None,
    ) -> None:
        self.interpreter = interpreter
        self.layout = layout
        self.pool_size = pool_size
        self.namespaces = namespaces  # entered by each vessel once placed (spawn_vessel)
        self.network = network  # what each vessel's network namespace listens on
        self.pid = 0
        self._process: asyncio.subprocess.Process | None = None
        self._commands: socket.socket | None = None
        self._events: asyncio.StreamReader | None = None
        self._events_writer: asyncio.StreamWriter | None = None
        self._forks: dict[int, asyncio.Future[int]] = {}
        self._exits: dict[int, asyncio.Future[int]] = {}
        self._ids = 0
        self._pool: list[Vessel] = []
        self._refill: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[int] | None = None
        self._closed = False

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        commands, commands_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        events, events_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        argument = commands_theirs.fileno() * 65536 + events_theirs.fileno()
        try:
            self._process = await asyncio.create_subprocess_exec(
                str(self.interpreter),
                *INTERPRETER_FLAGS,
                "-c",
                boot.program("zygote", argument),
                stdin=subprocess.DEVNULL,
                pass_fds=(commands_theirs.fileno(), events_theirs.fileno()),
                env={"LANG": "C.UTF-8"},
            )
        finally:
            commands_theirs.close()
            events_theirs.close()
        self._commands = commands
        events.setblocking(False)
        self._events, self._events_writer = await asyncio.open_unix_connection(sock=events)
        self._ready = loop.create_future()
        self._listener = loop.create_task(self._listen())
        try:
            self.pid = await asyncio.wait_for(asyncio.shield(self._ready), 30)
        except (TimeoutError, ZygoteError) as exc:
            await self.close()
            raise ZygoteError(f"the zygote for {self.interpreter} did not start: {exc}") from exc
        self.fill()

    async def _listen(self) -> None:

        assert self._events is not None
        try:
            while True:
                prefix = await self._events.readexactly(frames.PREFIX.size)
                head_len, body_len = frames.decode_prefix(prefix)

                header = json.loads(await self._events.readexactly(head_len))
                if body_len:
                    await self._events.readexactly(body_len)
                op = header.get("op")
                if op == "ready" and self._ready is not None and not self._ready.done():
                    self._ready.set_result(int(header["pid"]))
                elif op == "forked":
                    future = self._forks.pop(int(header["id"]), None)
                    if future is not None and not future.done():
                        future.set_result(int(header["pid"]))
                elif op == "exit":
                    exited = self._exits.pop(int(header["pid"]), None)
                    if exited is not None and not exited.done():
                        exited.set_result(returncode(int(header["status"])))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._fail_all(ZygoteError(f"the zygote for {self.interpreter} exited"))

    def _fail_all(self, error: Exception) -> None:
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(error)
        for future in self._forks.values():
            if not future.done():
                future.set_exception(error)
        for exited in self._exits.values():
            if not exited.done():
                exited.set_result(-9)  # the zygote is gone: its children died with it (PDEATHSIG)
        self._forks.clear()
        self._exits.clear()

    @property
    def alive(self) -> bool:
        return not self._closed and self._listener is not None and not self._listener.done()

    async def fork(self) -> Vessel:
        """A new vessel, forked from the zygote (not yet in a cgroup)."""

        if not self.alive or self._commands is None:
            raise ZygoteError(f"the zygote for {self.interpreter} is not running")
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self._ids += 1
        forked: asyncio.Future[int] = loop.create_future()
        self._forks[self._ids] = forked
        try:
            frames.send(self._commands, {"op": "fork", "id": self._ids}, fds=(theirs.fileno(), out_w, err_w))
        finally:
            theirs.close()
            os.close(out_w)
            os.close(err_w)
        try:
            pid = await asyncio.wait_for(forked, 10)
        except BaseException:
            ours.close()
            os.close(out_r)
            os.close(err_r)
            raise
        exited: asyncio.Future[int] = loop.create_future()
        self._exits[pid] = exited
        vessel = Vessel(pid, ours, out_r, err_r, exited)
        vessel.born_ms = (time.monotonic() - started) * 1000
        return vessel

    async def _placed(self) -> Vessel:
        vessel = await self.fork()
        try:
            vessel.cgroup = await _place(self.layout, vessel.pid)
            await _prepare(vessel, self.namespaces, self.network)
        except BaseException:
            vessel.discard()
            raise
        return vessel

    def fill(self) -> None:
        """Top the pool up in the background."""
        if self._refill is None or self._refill.done():
            self._refill = asyncio.get_running_loop().create_task(self._fill())

    async def _fill(self) -> None:
        while self.alive and len(self._pool) < self.pool_size:
            try:
                vessel = await self._placed()
            except (ZygoteError, OSError):
                return
            if self._closed:
                await _discard(vessel)
                return
            self._pool.append(vessel)

    async def take(self) -> Vessel:
        """A vessel already in its own cgroup: from the pool when one is ready (the fast path)."""
        while self._pool:
            vessel = self._pool.pop(0)
            if not vessel.exited.done():
                self.fill()
                return vessel
            await _discard(vessel)
        vessel = await self._placed()
        self.fill()
        return vessel

    async def close(self) -> None:
        self._closed = True
        if self._refill is not None:
            self._refill.cancel()
            with contextlib.suppress(BaseException):
                await self._refill
        pool, self._pool = self._pool, []
        for vessel in pool:
            await _discard(vessel)
        if self._commands is not None:
            self._commands.close()
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()
        if self._events_writer is not None:
            self._events_writer.close()
        if self._listener is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._listener, 5)


async def _discard(vessel: Vessel) -> None:
    vessel.discard()
    if vessel.cgroup is not None:
        await asyncio.to_thread(vessel.cgroup.remove)
