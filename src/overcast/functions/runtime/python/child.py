"""An instance process before it is claimed: get ready, wait for the setup frame, confine, run or exec."""

from __future__ import annotations

import os
import socket
import sys
import traceback

from . import confine, frames, loop


def main(channel_fd: int) -> None:
    """Never returns: the process becomes the Python runtime loop or the exec'd program, or exits."""
    sock = socket.socket(fileno=channel_fd)
    confine.close_all_but({0, 1, 2, channel_fd})  # what a spawn without close_fds (uvloop's) left it
    unprepared: Exception | None = None
    try:
        header, _body, _fds = frames.recv(sock)
        if header["op"] == "prepare":  # placed in its cgroup, the vessel is told to get ready
            listeners = []
            try:
                listeners = confine.prepare(header["namespaces"], header.get("ports") or [])
            except Exception as exc:  # told when claimed
                unprepared = exc
            if "ports" in header:  # Overcast waits for the listeners of the instance's network
                failure = None if unprepared is None else str(unprepared)
                frames.send(sock, {"op": "prepared", "error": failure}, fds=[s.fileno() for s in listeners])
                for listener in listeners:
                    listener.close()
            header, _body, _fds = frames.recv(sock)
    except EOFError:
        os._exit(0)  # never claimed: the pool was closed
    try:
        if unprepared is not None:
            raise unprepared
        confine.apply(header.get("confine") or {})
    except Exception as exc:
        frames.send(sock, {"op": "failed", "message": f"sandbox setup failed: {exc}"})
        os._exit(126)
    if header["op"] == "exec":
        argv = header["argv"]
        # The channel ends here: a custom or Node.js runtime speaks the Runtime API, and nothing reads the channel
        # after the claim, so the program (and what it runs) is not handed a socket to Overcast it has no use for.
        os.set_inheritable(sock.fileno(), False)
        try:
            os.execve(argv[0], argv, header["environment"])
        except OSError as exc:
            os.write(2, f"exec {argv[0]}: {exc.strerror}\n".encode())
            os._exit(127)
    try:
        loop.serve(sock, header["init"])
    except BaseException:
        traceback.print_exc(file=sys.__stderr__)
        os._exit(1)
    os._exit(0)
