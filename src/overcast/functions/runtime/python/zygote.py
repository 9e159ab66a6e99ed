"""The zygote: a warm interpreter that has imported the runtime and forks instance processes.

Protocol (frames on two sockets handed over by Overcast): on the command socket Overcast sends
`{"op": "fork", "id": n}` with three descriptors (the child's channel, stdout, stderr); on the
event socket the zygote answers `{"op": "forked", "id": n, "pid": p}`, and later
`{"op": "exit", "pid": p, "status": s}` when that child ends. The zygote is a child subreaper,
so processes a handler orphans (double forks) are reaped here instead of piling up as zombies.
"""

from __future__ import annotations

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
            frames.send(events, {"op": "exit", "pid": pid, "status": status})


def _become_child(fds: list[int], closing: list[int]) -> None:
    """In the forked child: drop the zygote's plumbing, wire stdio, wait to be claimed."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
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
    confine.die_with_parent()
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    children: set[int] = set()
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
            os._exit(0)
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
        frames.send(events, {"op": "forked", "id": header["id"], "pid": pid})
