"""The zygote: a warm interpreter that has imported the runtime and forks instance processes.

Protocol (frames on two sockets handed over by Overcast): on the command socket Overcast sends
`{"op": "fork", "id": n}` with three descriptors (the child's channel, stdout, stderr); on the
event socket the zygote answers `{"op": "forked", "id": n, "pid": p}`, and later
`{"op": "exit", "pid": p, "status": s}` when that child ends. The zygote is a child subreaper,
so processes a handler orphans (double forks) are reaped here instead of piling up as zombies.
When Overcast dies (even of SIGKILL) the zygote is told (SIGTERM, its parent-death signal, or the end
of its command socket) and takes its instances down, thawing them: an instance frozen while idle
(cgroup v1's freezer) cannot die, not even of SIGKILL, until it is thawed, and no one else would.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import select
import signal
import socket

from . import child, confine, frames, handlers, lambdacontext, loop  # noqa: F401 - imported to be inherited warm

PR_SET_CHILD_SUBREAPER = 36


def _reap(children: set[int], events: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in children:
            children.discard(pid)
            _tell(events, {"op": "exit", "pid": pid, "status": status}, children)


def _tell(events: socket.socket, header: dict[str, object], children: set[int]) -> None:
    """Send Overcast an event; if it is gone, take the instances down now. Its death closes the
    channels before its parent-death signal reaches the zygote, so a vessel that saw its channel
    end may exit (and be reaped here) first: the take-down must not wait for that signal."""
    try:
        frames.send(events, header)
    except OSError:
        _take_down(children)


def _take_down(children: set[int]) -> None:
    """Kill every process of each instance's cgroup (in Overcast's `.../overcast/<name>`), thaw it, and exit."""
    for pid in children:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)  # each instance leads its own session
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        for directory in _instance_cgroups(pid):
            with contextlib.suppress(OSError), open(os.path.join(directory, "cgroup.procs")) as procs:
                for task in procs.read().split():
                    with contextlib.suppress(OSError):
                        os.kill(int(task), signal.SIGKILL)
            for name, thawed in (("freezer.state", "THAWED"), ("cgroup.freeze", "0")):
                with contextlib.suppress(OSError), open(os.path.join(directory, name), "w") as control:
                    control.write(thawed)
    os._exit(0)


def _instance_cgroups(pid: int) -> list[str]:
    """The cgroup directories (v1 freezer, v2) of an instance: only those Overcast made for instances."""
    found = []
    with contextlib.suppress(OSError), open(f"/proc/{pid}/cgroup") as lines:
        for line in lines.read().splitlines():
            _, controllers, path = line.split(":", 2)
            if os.path.basename(os.path.dirname(path)) != "overcast":
                continue
            if "freezer" in controllers.split(","):
                found.append("/sys/fs/cgroup/freezer" + path)
            elif not controllers:
                found.append("/sys/fs/cgroup" + path)
    return found


def _become_child(fds: list[int], closing: list[int]) -> None:
    """In the forked child: drop the zygote's plumbing, wire stdio, wait to be claimed."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the zygote's take-down is not the instance's
    for fd in closing:
        os.close(fd)
    channel, out, err = fds
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    for fd in (null, out, err):
        os.close(fd)
    confine.die_with_parent()
    child.main(channel)


def main(argument: int) -> None:
    """`argument` packs the command and event socket fds: command * 65536 + events."""
    commands = socket.socket(fileno=argument // 65536)
    events = socket.socket(fileno=argument % 65536)
    # uvloop's spawn (it has no close_fds) leaves copies of the zygote's stdio at higher numbers, and anything
    # else the server had not marked close-on-exec: every instance forked from here would hold them.
    confine.close_all_but({0, 1, 2, commands.fileno(), events.fileno()})
    children: set[int] = set()
    signal.signal(signal.SIGTERM, lambda *_: _take_down(children))
    confine.die_with_parent(signal.SIGTERM)
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    gc.collect()
    gc.freeze()  # objects made so far stay untouched by the collector: forked pages stay shared
    frames.send(events, {"op": "ready", "pid": os.getpid()})
    while True:
        try:
            readable, _, _ = select.select([commands.fileno(), wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in readable:
            os.read(wake_r, 512)
            _reap(children, events)
        if commands.fileno() not in readable:
            continue
        try:
            header, _body, fds = frames.recv(commands)
        except EOFError:
            _take_down(children)
        if header.get("op") != "fork" or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            try:
                _become_child(fds, [commands.fileno(), events.fileno(), wake_r, wake_w])
            finally:
                os._exit(1)
        for fd in fds:
            os.close(fd)
        children.add(pid)
        _tell(events, {"op": "forked", "id": header["id"], "pid": pid}, children)
