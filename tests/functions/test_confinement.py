"""Hostile functions against their instance's filesystem and process view, through the real server.

Each tries one escape and the test asserts it failed: writing outside /tmp (1 GB to /var/tmp, more
than EphemeralStorage to /dev/shm), leaving anything on the host or in the next instance, seeing or
signalling processes that are not its own. As a Python, a Node.js and a shell provided.al2023 function
(the latter two only where the host has node and curl)."""

from __future__ import annotations

import base64
import os
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ClientFactory, RunningServer
from tests.functions.hostile import create, invoke

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="instances are confined only when Overcast runs as root")

WRITER = """
import ctypes, errno, os

MB = b"x" * (1 << 20)


def fill(path, mb):
    written = 0
    try:
        with open(path, "wb", buffering=0) as f:
            for _ in range(mb):
                f.write(MB)
                written += 1
    except OSError as exc:
        return [written, errno.errorcode[exc.errno]]
    return [written, None]


def handler(event, context):
    mark = event["mark"]
    if event.get("look"):  # a later instance: is anything of the earlier one left?
        return {"tmp": os.path.exists("/tmp/" + mark), "shm": os.path.exists("/dev/shm/" + mark)}
    outside = {place: fill(os.path.join(place, mark), 1024) for place in event["outside"]}
    tmp = fill("/tmp/" + mark, 300)
    shm = fill("/dev/shm/" + mark, 400)
    libc = ctypes.CDLL(None, use_errno=True)
    shm_id = libc.shmget(int(event["sysv_key"]), 1 << 20, 0o1000 | 0o600)  # IPC_CREAT: a SysV segment
    tmp_stat, shm_stat = os.statvfs("/tmp"), os.statvfs("/dev/shm")
    return {
        "outside": outside,
        "tmp": tmp,
        "shm": shm,
        "sysv": shm_id >= 0,
        "tmp_mb": tmp_stat.f_blocks * tmp_stat.f_frsize >> 20,
        "same_fs": os.stat("/tmp").st_dev == os.stat("/dev/shm").st_dev,
    }
"""

VICTIM = """
import os, subprocess

def handler(event, context):
    if event.get("start"):
        subprocess.Popen(["/bin/sh", "-c", "sleep 300", event["mark"]])
    return {"answer": event["n"] * 2}
"""

SNOOP = """
import os, signal, subprocess


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\\0", b" ").decode(errors="replace")
    except OSError as exc:
        return type(exc).__name__


def attempt(pid, sig):
    try:
        os.kill(pid, sig)
        return "sent"
    except OSError as exc:
        return type(exc).__name__


def handler(event, context):
    own = subprocess.Popen(["/bin/sleep", "30"])
    pids = sorted(int(d) for d in os.listdir("/proc") if d.isdigit())
    seen = {pid: cmdline(pid) for pid in pids}
    own.kill()
    own.wait()
    return {
        "me": os.getpid(),
        "child": own.pid,
        "pids": pids,
        "cmdlines": seen,
        "kill_victim": attempt(event["victim_host_pid"], signal.SIGKILL),
        "kill_server": attempt(event["server_pid"], 0),
        "kill_init": attempt(1, signal.SIGKILL),
    }
"""

NODE_SNOOP = """
const fs = require("fs");
exports.handler = async (event) => {
  const attempt = (path) => { try { fs.writeFileSync(path, "x"); return "written"; } catch (e) { return e.code; } };
  const pids = fs.readdirSync("/proc").filter((d) => /^[0-9]+$/.test(d)).map(Number);
  const cmdline = (p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, "latin1"); } catch (e) { return e.code; }
  };
  const cmdlines = pids.map(cmdline);
  let victim;
  try { process.kill(event.victim_host_pid, 0); victim = "sent"; } catch (e) { victim = e.code; }
  return {
    var_tmp: attempt(`/var/tmp/${event.mark}`),
    shm: attempt(`/dev/shm/${event.mark}`),
    tmp: attempt(`/tmp/${event.mark}`),
    pid: process.pid,
    pids,
    cmdlines: cmdlines.join("\\n"),
    kill_victim: victim,
  };
};
"""

# A shell runtime as AWS's custom runtime tutorial writes one
# (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-walkthrough.html), whose handler is hostile.
SHELL_BOOTSTRAP = """#!/bin/sh
set -u
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS="$(mktemp)"
  MARK=$(curl -sS -LD "$HEADERS" "$API/invocation/next" | tr -d '"')
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  VAR_TMP=$( { echo x > "/var/tmp/$MARK"; } 2>&1 | base64 | tr -d '\\n')
  ETC=$( { echo x > "/etc/$MARK"; } 2>&1 | base64 | tr -d '\\n')
  echo x > "/tmp/$MARK" && TMP=written || TMP=refused
  PROCS=$(for p in /proc/[0-9]*; do printf '%s: ' "${p#/proc/}"; tr '\\0' ' ' < "$p/cmdline"; echo; done 2>/dev/null \\
    | base64 | tr -d '\\n')
  RESPONSE="{\\"var_tmp\\": \\"$VAR_TMP\\", \\"etc\\": \\"$ETC\\", \\"tmp\\": \\"$TMP\\", \\"procs\\": \\"$PROCS\\"}"
  curl -sS -X POST "$API/invocation/$REQUEST_ID/response" -d "$RESPONSE" > /dev/null
done
"""


def _host_pids_with(text: str) -> list[int]:
    """Host pids whose command line holds `text` (as the host sees them)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _victim(lam: Any) -> tuple[str, str, int]:
    """A function running a marked background process: its name, the mark, the process's host pid."""
    name, mark = create(lam, "python3.12", {"index.py": VICTIM}), f"victim-{uuid.uuid4().hex}"
    assert invoke(lam, name, {"n": 1, "start": True, "mark": mark}) == {"answer": 2}
    deadline = time.monotonic() + 10
    while not (pids := _host_pids_with(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)  # the victim's background process is being exec'd
    assert pids, "the victim's marked process is not running"
    return name, mark, pids[0]


def _attack(
    lam: Any, runtime: str, files: dict[str, bytes | str], event: Callable[[str, int], Any]
) -> tuple[Any, str, str]:
    """Make a victim, then invoke a hostile function with `event(mark, the victim's process's host pid)`:
    its answer, the victim's name and the victim's mark. Nothing the hostile one wrote is on the host."""
    victim, victim_mark, victim_pid = _victim(lam)
    mark = f"escape-{uuid.uuid4().hex}"
    seen = invoke(lam, create(lam, runtime, files), event(mark, victim_pid))
    _assert_not_on_host(mark)
    return seen, victim, victim_mark


def _assert_not_on_host(mark: str) -> None:
    for place in ("/var/tmp", "/dev/shm", "/tmp", "/etc", "/"):
        assert not (Path(place) / mark).exists(), place


def _sysv_keys() -> set[int]:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {int(line.split()[0]) for line in lines}


def test_writes_outside_tmp_fail_and_nothing_reaches_the_host_or_outlives_the_instance(aws: ClientFactory) -> None:
    lam = aws("lambda")
    name = create(lam, "python3.12", {"index.py": WRITER}, MemorySize=1024, EphemeralStorage={"Size": 512})
    mark, key = f"escape-{uuid.uuid4().hex}", int.from_bytes(os.urandom(3), "big") + 1
    outside = ["/var/tmp", "/etc", "/", "/var/task", "/opt", "/usr/local", "/home"]
    result = invoke(lam, name, {"mark": mark, "sysv_key": key, "outside": outside})

    assert result["outside"]["/var/tmp"] == [0, "EROFS"]  # 1 GB to /var/tmp: refused at once
    for place, (written, error) in result["outside"].items():
        assert written == 0 and error in ("EROFS", "EACCES", "ENOENT"), (place, written, error)
    # /tmp and /dev/shm are one tmpfs of EphemeralStorage: 300 MB in /tmp leave at most 212 for /dev/shm.
    assert result["tmp"] == [300, None]
    written_shm, error_shm = result["shm"]
    assert error_shm == "ENOSPC" and 150 < written_shm <= 212, result["shm"]
    assert result["tmp_mb"] == 512 and result["same_fs"]
    assert result["sysv"]

    _assert_not_on_host(mark)
    assert key not in _sysv_keys()  # the SysV segment lives in the instance's own IPC namespace

    # A configuration change starts a new instance: nothing of the earlier one's /tmp or /dev/shm is there.
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"AGAIN": "1"}})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert invoke(lam, name, {"mark": mark, "look": True}) == {"tmp": False, "shm": False}
    lam.delete_function(FunctionName=name)
    assert key not in _sysv_keys()


def test_an_instance_sees_and_signals_only_its_own_processes(aws: ClientFactory, server: RunningServer) -> None:
    lam = aws("lambda")
    victim, victim_mark, victim_pid = _victim(lam)
    snoop = create(lam, "python3.12", {"index.py": SNOOP})
    seen = invoke(lam, snoop, {"victim_host_pid": victim_pid, "server_pid": server.process.pid})

    # Its own PID namespace: its runtime is pid 2 under Overcast's init (pid 1), and it sees its own
    # child, nothing else: not the victim's process, not the server, not the test runner.
    assert seen["me"] == 2
    assert set(seen["pids"]) == {1, 2, seen["child"]}, seen["cmdlines"]
    assert not any(victim_mark in line or "pytest" in line for line in seen["cmdlines"].values())
    assert seen["kill_victim"] == "ProcessLookupError"  # no such process in its namespace
    assert seen["kill_server"] == "ProcessLookupError"
    assert seen["kill_init"] == "PermissionError"  # pid 1 is root's
    assert victim_pid in _host_pids_with(victim_mark)  # the victim's process still runs
    assert invoke(lam, victim, {"n": 21}) == {"answer": 42}


def test_a_nodejs_function_cannot_write_outside_tmp_nor_see_other_processes(aws: ClientFactory) -> None:
    lam = aws("lambda")

    def event(mark: str, victim_pid: int) -> dict[str, Any]:
        return {"mark": mark, "victim_host_pid": victim_pid}

    seen, victim, victim_mark = _attack(lam, "nodejs20.x", {"index.js": NODE_SNOOP}, event)
    assert seen["var_tmp"] == "EROFS"
    assert seen["shm"] == seen["tmp"] == "written"
    assert seen["pid"] == 2 and len(seen["pids"]) <= 3, seen  # Overcast's init, node, at most a helper of node's
    assert victim_mark not in seen["cmdlines"]
    assert seen["kill_victim"] == "ESRCH"
    assert invoke(lam, victim, {"n": 4}) == {"answer": 8}


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell runtime's bootstrap needs curl")
def test_a_shell_runtime_cannot_write_outside_tmp_nor_see_other_processes(aws: ClientFactory) -> None:
    lam = aws("lambda")
    seen, victim, victim_mark = _attack(lam, "provided.al2023", {"bootstrap": SHELL_BOOTSTRAP}, lambda mark, _: mark)
    assert "Read-only file system" in base64.b64decode(seen["var_tmp"]).decode()
    assert base64.b64decode(seen["etc"]).decode().strip()  # refused (read-only, or not its directory)
    assert seen["tmp"] == "written"
    processes = base64.b64decode(seen["procs"]).decode()
    assert victim_mark not in processes and "pytest" not in processes
    assert any(line.startswith("2: ") and "/var/task/bootstrap" in line for line in processes.splitlines()), processes
    assert invoke(lam, victim, {"n": 5}) == {"answer": 10}
