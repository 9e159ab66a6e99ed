"""Processes: an instance's process tree as Overcast sees it, from birth (unclaimed) to teardown.

A `Vessel` is a freshly born process that waits, already inside its own cgroup, for its setup
frame; claiming it sends the frame (confinement plan plus what to run) and gives a
`SandboxedProcess`: pid, stdout/stderr readers, exit status, peak memory, OOM flag, a kill that
takes the whole tree (every process in the cgroup, however it was forked), and a freezer that stops
the tree between invocations: the cgroup's, else SIGSTOP/SIGCONT of the instance's process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from overcast.functions.runtime.python import frames
from overcast.functions.sandbox.cgroups import Cgroup


@dataclass(eq=False)
class Vessel:
    pid: int
    channel: socket.socket  # Overcast's end of the instance's socketpair (blocking)
    stdout_fd: int  # read ends of the instance's stdout/stderr pipes
    stderr_fd: int
    exited: asyncio.Future[int]  # the return code: >= 0 exit status, < 0 killed by that signal
    cgroup: Cgroup | None = None
    born_ms: float = 0.0  # how long the birth took (fork + cgroup placement), for the record
    extra: dict[str, Any] = field(default_factory=dict)
    # Listening sockets bound inside the vessel's own network namespace, by name (sandbox/network.py)
    listeners: dict[str, socket.socket] = field(default_factory=dict)
    network: Any = None  # what Overcast serves on the others (sandbox/network.py InstanceNetwork)

    def discard(self) -> None:
        """Kill and forget an unclaimed vessel (pool shutdown)."""
        with contextlib.suppress(OSError):
            self.channel.close()
        for listener in self.listeners.values():
            listener.close()
        if self.network is not None:
            self.network.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        fds, (self.stdout_fd, self.stderr_fd) = (self.stdout_fd, self.stderr_fd), (-1, -1)
        for fd in fds:
            if fd >= 0:  # -1: closed already, or its reader's (see `claim`)
                with contextlib.suppress(OSError):
                    os.close(fd)


def returncode(wait_status: int) -> int:
    if os.WIFSIGNALED(wait_status):
        return -os.WTERMSIG(wait_status)
    return os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else 0


def describe_exit(code: int) -> str:
    """As the Lambda service words it: "signal: killed", "exit status 1"."""
    if code < 0:
        names = {signal.SIGKILL: "killed", signal.SIGSEGV: "segmentation fault", signal.SIGABRT: "aborted"}
        sig = signal.Signals(-code) if -code in signal.Signals._value2member_map_ else None
        return "signal: " + (names.get(sig, sig.name.lower().removeprefix("sig")) if sig else str(-code))
    return f"exit status {code}"


async def _reader(fd: int) -> asyncio.StreamReader:
    """A reader of the pipe's read end `fd`, which its transport owns from here. uvloop's transport closes the fd
    itself (libuv's uv_close) and then the file object it was given, so under uvloop that object must not close
    it again (closefd=False): a second close of the number would close whatever another thread opened in
    between, such as a file being extracted in a worker thread (whose writes then fail with EBADF). asyncio's own
    transport closes only the file object, which must then close the fd."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    protocol = asyncio.StreamReaderProtocol(reader)
    closes_fd_itself = type(loop).__module__.startswith("uvloop")
    pipe = os.fdopen(fd, "rb", buffering=0, closefd=not closes_fd_itself)
    await loop.connect_read_pipe(lambda: protocol, pipe)
    return reader


class SandboxedProcess:
    """A claimed instance process tree. Created by `claim`."""

    def __init__(self, vessel: Vessel, stdout: asyncio.StreamReader, stderr: asyncio.StreamReader) -> None:
        self.pid = vessel.pid
        self.stdout = stdout
        self.stderr = stderr
        self.channel = vessel.channel
        self.cgroup = vessel.cgroup
        self._exited = vessel.exited
        self._peak = 0
        self._killed = False
        # Its network namespace's listeners not served yet (the Runtime API's, until the custom runtime
        # takes it), and what Overcast serves on the others (sandbox/network.py): they end with it.
        self.listeners = vessel.listeners
        self.network = vessel.network
        # Ends the init phase's CPU burst (LocalSandboxes._claim sets it): called once init is over.
        self.end_init: Callable[[], None] | None = None
        # Frozen by its cgroup's freezer where the cgroup has one; else stopped by signals to its
        # process group (the instance leads its own session), which a process that leaves the group
        # escapes: LocalSandboxes.freezer says which in `overcast status`.
        self._freezer = vessel.cgroup if vessel.cgroup is not None and vessel.cgroup.layout.freezes else None

    @property
    def returncode(self) -> int | None:
        return self._exited.result() if self._exited.done() else None

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)

    def freeze(self) -> None:
        """Stop every process of the instance until `thaw` (between invocations, as AWS freezes an idle
        execution environment). The kernel completes it asynchronously; a thaw meanwhile cancels it."""
        if self._killed or self._exited.done():
            return
        if self._freezer is not None:
            self._freezer.freeze()
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """Let the instance's processes run again (before an invocation is handed to it)."""
        if self._killed or self._exited.done():
            return
        if self._freezer is not None:
            self._freezer.thaw()
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGCONT)

    def finish_init(self) -> None:
        """The init phase is over: from now on the instance runs at its function's CPU share."""
        end, self.end_init = self.end_init, None
        if end is not None and not self._exited.done():
            with contextlib.suppress(OSError):
                end()

    def take_listener(self, name: str) -> socket.socket | None:
        """A listener of the instance's network namespace, for the caller to serve from now on."""
        return self.listeners.pop(name, None)

    def _kill_now(self) -> None:
        if self.cgroup is not None:
            self.cgroup.kill_all()  # thaws a frozen cgroup
        if not self._exited.done():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)  # the instance leads its own session
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    async def kill(self) -> None:
        """SIGKILL every process of the instance (the cgroup's, or its process group without one)."""
        self._killed = True
        self.max_memory_bytes()
        await asyncio.to_thread(self._kill_now)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._exited), 5)
        if self.cgroup is not None:
            await asyncio.to_thread(self.cgroup.kill_all)

    def max_memory_bytes(self) -> int:
        """Peak memory of the instance: its cgroup's high-water mark, else the main process's."""
        peak = self.cgroup.peak_memory_bytes() if self.cgroup is not None else _vm_hwm(self.pid)
        self._peak = max(self._peak, peak)
        return self._peak

    def note_peak(self, value: int) -> None:
        """A peak measured by the instance itself (getrusage's peak RSS). It counts the pages the
        instance inherited from its zygote, which stay charged to the zygote's cgroup on v1, so
        Max Memory Used is what the instance really uses, as on AWS, not only what it allocated."""
        self._peak = max(self._peak, value)

    def oom_killed(self) -> bool:
        return self.cgroup is not None and self.cgroup.oom_kills() > 0

    async def release(self) -> None:
        """Kill what is left and remove the cgroup. Idempotent."""
        if not self._exited.done() or (self.cgroup is not None and self.cgroup.has_processes()):
            await self.kill()
        with contextlib.suppress(OSError):
            self.channel.close()
        network, self.network = self.network, None
        if network is not None:
            network.close()
        for listener in self.listeners.values():
            listener.close()
        self.listeners = {}
        if self.cgroup is not None:
            cgroup, self.cgroup = self.cgroup, None
            await asyncio.to_thread(cgroup.remove)


def _vm_hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


async def claim(vessel: Vessel, setup: dict[str, Any]) -> SandboxedProcess:
    """Send the setup frame to a waiting vessel and take it over. Each output pipe belongs to its reader once it
    has one (`discard` then leaves it to the reader's transport, so it is closed once)."""
    frames.send(vessel.channel, setup)
    stdout_fd, vessel.stdout_fd = vessel.stdout_fd, -1
    stdout = await _reader(stdout_fd)
    stderr_fd, vessel.stderr_fd = vessel.stderr_fd, -1
    stderr = await _reader(stderr_fd)
    return SandboxedProcess(vessel, stdout, stderr)
