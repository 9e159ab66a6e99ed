"""Failures as AWS reports them: handler loading errors, exceptions, timeouts, crashes, OOM."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import pytest

from overcast.functions.instances import InstanceSpec
from overcast.functions.sandbox import LocalSandboxes
from tests.functions.sandbox.conftest import invocation

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for cgroups")


async def _first_result(sandboxes: LocalSandboxes, spec: InstanceSpec, payload: bytes = b"{}") -> tuple:
    instance = await sandboxes.start(spec)
    try:
        return instance, await instance.invoke(invocation(spec, payload))
    finally:
        await instance.stop()


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {"app.py": "x = 1\n"},
            "nope.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'nope': No module named 'nope'",
        ),
        ({"app.py": "x = 1\n"}, "app.handler", "Runtime.HandlerNotFound", "Handler 'handler' missing on module 'app'"),
        (
            {"app.py": "def f(:\n"},
            "app.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'app': invalid syntax (app.py, line 1)",
        ),
        (
            {"app.py": "import requests_not_here\n"},
            "app.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'app': No module named 'requests_not_here'",
        ),
        (
            {"app.py": "x = 1\n"},
            "app",
            "Runtime.MalformedHandlerName",
            "Bad handler 'app': not enough values to unpack (expected 2, got 1)",
        ),
        ({"app.py": "raise ValueError('at import')\n"}, "app.handler", "ValueError", "at import"),
    ],
)
async def test_init_errors_are_reported_on_the_first_invoke(
    sandboxes: LocalSandboxes,
    make_spec: Callable[..., InstanceSpec],
    files: dict[str, str],
    handler: str,
    error_type: str,
    message: str,
) -> None:
    spec = make_spec(files, handler=handler)
    _instance, result = await _first_result(sandboxes, spec)
    document = json.loads(result.payload)
    assert result.function_error == "Unhandled"
    assert result.error_type == error_type == document["errorType"]
    assert document["errorMessage"] == message
    assert document["requestId"] == ""
    assert isinstance(document["stackTrace"], list)
    assert result.instance_lost
    assert any(line.message.startswith(f"[ERROR] {error_type}") for line in result.log)


async def test_nested_packages_with_slashes_and_dots(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    files = {"pkg/__init__.py": "", "pkg/sub/__init__.py": "", "pkg/sub/mod.py": "def go(e, c):\n    return 'deep'\n"}
    for handler in ("pkg/sub/mod.go", "pkg.sub.mod.go"):
        _instance, result = await _first_result(sandboxes, make_spec(files, handler=handler))
        assert result.payload == b'"deep"', result.payload


async def test_handler_exception_is_a_function_error_and_the_instance_lives(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    code = (
        "def handler(event, context):\n    if event.get('fail'):\n        raise KeyError('missing')\n    return 'ok'\n"
    )
    spec = make_spec({"app.py": code})
    instance = await sandboxes.start(spec)
    try:
        call = invocation(spec, b'{"fail": true}')
        result = await instance.invoke(call)
        document = json.loads(result.payload)
        assert result.function_error == "Unhandled" and result.error_type == "KeyError"
        assert document["errorMessage"] == "'missing'" and document["requestId"] == call.request_id
        assert any("raise KeyError" in frame for frame in document["stackTrace"])
        assert not any("_overcast_runtime" in frame or "/runtime/python/" in frame for frame in document["stackTrace"])
        assert not result.instance_lost
        assert (await instance.invoke(invocation(spec))).payload == b'"ok"'
    finally:
        await instance.stop()


async def test_unserializable_result_is_a_marshal_error(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    _instance, result = await _first_result(sandboxes, make_spec({"app.py": "def handler(e, c):\n    return {1, 2}\n"}))
    document = json.loads(result.payload)
    assert document["errorType"] == "Runtime.MarshalError"
    assert document["errorMessage"] == "Unable to marshal response: Object of type set is not JSON serializable"


async def test_crash_is_an_exit_error_and_loses_the_instance(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec({"app.py": "import os\ndef handler(e, c):\n    print('bye')\n    os._exit(1)\n"})
    _instance, result = await _first_result(sandboxes, spec)
    document = json.loads(result.payload)
    assert result.error_type == "Runtime.ExitError" and result.instance_lost
    assert document["errorMessage"].endswith("Error: Runtime exited with error: exit status 1")
    segv = make_spec({"app.py": "import ctypes\ndef handler(e, c):\n    ctypes.string_at(0)\n"})
    _instance, result = await _first_result(sandboxes, segv)
    assert json.loads(result.payload)["errorMessage"].endswith("Runtime exited with error: signal: segmentation fault")
    # Killed from inside its PID namespace: the relay Overcast tracks still reports the signal.
    killed = make_spec({"app.py": "import os, signal\ndef handler(e, c):\n    os.kill(os.getpid(), signal.SIGKILL)\n"})
    _instance, result = await _first_result(sandboxes, killed)
    assert json.loads(result.payload)["errorMessage"].endswith("Runtime exited with error: signal: killed")


ORPHANS = """
import os, time

def zombies():
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(") ", 1)[1].startswith("Z"):
                    found.append(pid)
        except (OSError, IndexError):
            pass
    return found

def handler(event, context):
    for _ in range(20):
        if os.fork() == 0:
            if os.fork() == 0:
                os._exit(0)  # the grandchild, orphaned: reaped by the instance's init, not left a zombie
            os._exit(0)
    for _ in range(20):
        os.wait()
    for _ in range(500):
        if not zombies():
            return 0
        time.sleep(0.01)
    return len(zombies())
"""


async def test_orphans_are_reaped_inside_the_instance(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec({"app.py": ORPHANS}, timeout_s=10)
    _instance, result = await _first_result(sandboxes, spec)
    assert result.function_error is None, result.payload
    assert json.loads(result.payload) == 0


TIMEOUT_WITH_FORKS = """
import os, time

def handler(event, context):
    for _ in range(3):
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
    if os.fork() == 0:           # double fork: the grandchild is orphaned at once
        os.setsid()
        if os.fork() == 0:
            open("/tmp/grandchild", "w").write(str(os.getpid()))
            time.sleep(60)
        os._exit(0)
    time.sleep(60)
"""


async def test_timeout_kills_the_whole_tree(sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]) -> None:
    spec = make_spec({"app.py": TIMEOUT_WITH_FORKS}, timeout_s=1)
    instance = await sandboxes.start(spec)
    process = instance.process  # type: ignore[attr-defined]
    cgroup = process.cgroup
    call = invocation(spec, timeout_s=1.0)
    result = await instance.invoke(call)
    document = json.loads(result.payload)
    assert result.error_type == "Sandbox.Timedout" and result.function_error == "Unhandled"
    assert document == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {call.request_id} Error: Task timed out after 1.00 seconds",
    }
    assert result.instance_lost
    assert any(line.message.endswith("Task timed out after 1.00 seconds") for line in result.log)
    assert cgroup is not None and not any(path.exists() for path in cgroup.dirs.values())
    uid_processes = _processes_of_uid(_uid_of(spec))
    assert uid_processes == [], uid_processes


def _uid_of(spec: InstanceSpec) -> int:
    from overcast.functions.sandbox.users import function_uid

    return function_uid(spec.account_id, spec.region, spec.function_name)


def _processes_of_uid(uid: int) -> list[int]:
    """Processes still running (not zombies) as `uid`, polled briefly while the kernel reaps."""
    deadline = time.monotonic() + 2
    while True:
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/status") as status:
                        fields = dict(line.split(":", 1) for line in status if ":" in line)
                except OSError:
                    continue
                if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith("Z"):
                    found.append(int(entry))
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)
