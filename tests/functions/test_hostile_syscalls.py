"""Hostile functions through the real server: each tries a syscall the sandbox's seccomp filter
forbids (new namespaces, mount, ptrace, keyrings, bpf, perf events), gets EPERM, and then still
answers an ordinary invocation. Python, Node.js and a shell `provided.al2023` bootstrap."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from overcast.host import detect_isolation
from tests.conftest import ClientFactory
from tests.functions.deployed import ROLE, python_function
from tests.functions.runtime.instances import TUTORIAL_BOOTSTRAP
from tests.functions.zips import make_zip

pytestmark = pytest.mark.skipif(not detect_isolation().seccomp, reason="no seccomp on this host (status says so)")

HOSTILE_PYTHON = """
import ctypes, errno, os, platform, subprocess

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
# Numbers of the calls glibc has no wrapper for, from the kernel's tables (x86_64, aarch64).
NUMBERS = {"keyctl": (250, 219), "bpf": (321, 280), "perf_event_open": (298, 241), "clone": (56, 220)}
CLONE_NEWUSER = 0x10000000


def outcome(result):
    return "ok" if result != -1 else errno.errorcode[ctypes.get_errno()]


def syscall(name, *args):
    number = NUMBERS[name][0 if platform.machine() == "x86_64" else 1]
    return libc.syscall(ctypes.c_long(number), *(ctypes.c_ulong(a & (2**64 - 1)) for a in args))


def handler(event, context):
    if event.get("plain"):
        return {"plain": event["plain"], "request_id": context.aws_request_id}
    tried = {}
    tried["unshare(CLONE_NEWUSER)"] = outcome(libc.unshare(CLONE_NEWUSER))
    if hasattr(os, "unshare"):  # Python 3.12+
        try:
            os.unshare(os.CLONE_NEWUSER)
            tried["os.unshare"] = "ok"
        except OSError as exc:
            tried["os.unshare"] = errno.errorcode[exc.errno]
    forked = syscall("clone", CLONE_NEWUSER | 17, 0, 0, 0, 0)  # fork() into a new user namespace
    if forked == 0:
        os._exit(0)  # the child: the attempt worked, and the parent says so
    tried["clone(CLONE_NEWUSER)"] = outcome(forked)
    shell = subprocess.run(["unshare", "-r", "id", "-u"], capture_output=True, text=True)
    tried["unshare -r"] = shell.stdout.strip() or shell.stderr.strip()
    tried["mount"] = outcome(libc.mount(b"none", b"/tmp", b"tmpfs", ctypes.c_ulong(0), None))
    tried["ptrace(TRACEME)"] = outcome(libc.ptrace(ctypes.c_long(0), 0, None, None))
    tried["ptrace(ATTACH parent)"] = outcome(libc.ptrace(ctypes.c_long(16), os.getppid(), None, None))
    tried["keyctl"] = outcome(syscall("keyctl", 0, -3, 0))  # KEYCTL_GET_KEYRING_ID of the session keyring
    tried["bpf"] = outcome(syscall("bpf", 0, 0, 0))  # BPF_MAP_CREATE
    tried["perf_event_open"] = outcome(syscall("perf_event_open", 0, 0, -1, -1, 0))
    with open("/proc/self/status") as status:
        tried["Seccomp"] = next(line.split()[1] for line in status if line.startswith("Seccomp:"))
    return tried
"""

HOSTILE_NODE = """
const { spawnSync } = require("child_process");
const fs = require("fs");

exports.handler = async (event) => {
  if (event.plain) return { plain: event.plain };
  const shell = spawnSync("unshare", ["-r", "id", "-u"], { encoding: "utf8" });
  const status = fs.readFileSync("/proc/self/status", "utf8");
  return {
    "unshare -r": (shell.stdout.trim() || shell.stderr.trim()),
    Seccomp: status.match(/^Seccomp:\\s+(\\d+)/m)[1],
  };
};
"""

HOSTILE_SHELL = """
function handler () {
  if echo "$1" | grep -q plain; then echo '{"plain": "still here"}'; return; fi
  TRIED="$(unshare -r id -u 2>&1)"
  SECCOMP="$(grep '^Seccomp:' /proc/self/status | cut -f2)"
  printf '{"unshare -r": "%s", "Seccomp": "%s"}' "$TRIED" "$SECCOMP"
}
"""


def _invoke(lam: Any, name: str, event: dict[str, Any]) -> Any:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    assert "FunctionError" not in response, (response["Payload"].read(), base64.b64decode(response["LogResult"]))
    return json.loads(response["Payload"].read())


def _create(lam: Any, runtime: str, handler: str, files: dict[str, bytes | str]) -> str:
    name = f"hostile-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
        Code={"ZipFile": make_zip(files, mode=0o755)}, Timeout=10,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def _refused(shell_answer: str) -> None:
    """`unshare -r id -u` printed unshare's error, not the uid 0 a user namespace would give."""
    assert shell_answer != "0"
    assert "Operation not permitted" in shell_answer


def test_python_function_cannot_make_namespaces_mount_trace_or_reach_the_kernel(aws: ClientFactory) -> None:
    lam = aws("lambda")
    name = python_function(lam, "hostile", HOSTILE_PYTHON)
    tried = _invoke(lam, name, {})
    _refused(tried.pop("unshare -r"))
    assert tried.pop("Seccomp") == "2"  # SECCOMP_MODE_FILTER
    assert tried == dict.fromkeys(tried, "EPERM") and len(tried) >= 9, tried
    assert _invoke(lam, name, {"plain": "still here"})["plain"] == "still here"


def test_nodejs_function_cannot_make_a_user_namespace(aws: ClientFactory) -> None:
    lam = aws("lambda")
    name = _create(lam, "nodejs20.x", "index.handler", {"index.js": HOSTILE_NODE})
    tried = _invoke(lam, name, {})
    _refused(tried["unshare -r"])
    assert tried["Seccomp"] == "2"
    assert _invoke(lam, name, {"plain": "still here"}) == {"plain": "still here"}


def test_shell_bootstrap_cannot_make_a_user_namespace(aws: ClientFactory) -> None:
    lam = aws("lambda")
    files = {"bootstrap": TUTORIAL_BOOTSTRAP.lstrip("\n"), "function.sh": HOSTILE_SHELL}
    name = _create(lam, "provided.al2023", "function.handler", files)
    tried = _invoke(lam, name, {})
    _refused(tried["unshare -r"])
    assert tried["Seccomp"] == "2"
    assert _invoke(lam, name, {"plain": True}) == {"plain": "still here"}
