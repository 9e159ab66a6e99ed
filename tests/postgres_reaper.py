"""Stops every PostgreSQL server under a directory and deletes the directory: now, or when a process dies.

Run as a script (`python postgres_reaper.py PID HOME`) it is the test session's watchdog: it waits
for the pytest process PID to end, however it ends (a failed session, Ctrl-C, SIGTERM, SIGKILL),
and then makes sure no server is left behind.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import time
from contextlib import suppress
from pathlib import Path

import psutil


def stop_servers_in(home: Path) -> None:
    """Immediate shutdown (SIGQUIT) of every postmaster under `home`, SIGKILL for stragglers, then delete it."""
    servers = [p for p in _postgres_processes(home) if _is_postmaster(p)]
    for proc in servers:
        with suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGQUIT)  # postgres' immediate shutdown: children go too, memory is freed
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in _postgres_processes(home)):
        time.sleep(0.05)
    for proc in _postgres_processes(home):
        with suppress(psutil.NoSuchProcess):
            proc.kill()
    shutil.rmtree(home, ignore_errors=True)


def _postgres_processes(home: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        if proc.info["name"] == "postgres" and proc.info["status"] != psutil.STATUS_ZOMBIE:
            cmdline = proc.info["cmdline"] or ()
            if any(str(home) in arg for arg in cmdline) or _has_cwd_in(proc, home):
                found.append(proc)
    return found


def _has_cwd_in(proc: psutil.Process, home: Path) -> bool:
    """Backends carry no data dir on their command line, but they run in it."""
    try:
        return Path(proc.cwd()).is_relative_to(home)
    except (psutil.Error, OSError):
        return False


def _is_postmaster(proc: psutil.Process) -> bool:
    try:
        parent = proc.parent()
        return parent is None or parent.name() != "postgres"
    except psutil.Error:
        return False


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for_exit(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd (old kernel): poll
        while psutil.pid_exists(pid):
            time.sleep(0.5)
        return
    select.select([fd], [], [])


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C for pytest is not for its watchdog
    watched, directory = int(sys.argv[1]), Path(sys.argv[2])
    _wait_for_exit(watched)
    stop_servers_in(directory)
