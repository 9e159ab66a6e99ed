"""Kernel-enforced limits: memory, CPU share proportional to memory, pids, isolation between functions.

These run real processes in real cgroups; they need root and writable cgroups (skipped otherwise).
Measurements (CPU ratio, cold start, USS) assert only loose bounds and print the figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from overcast.config import Settings
from overcast.functions.instances import InstanceSpec
from overcast.functions.sandbox import LocalSandboxes
from tests.functions.sandbox.conftest import invocation
from tests.functions.sandbox.test_failures import _processes_of_uid, _uid_of

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/sys/fs/cgroup").is_dir(), reason="needs root and cgroups"
)

ALLOCATE = """
blocks = []

def handler(event, context):
    blocks.append(b"\\x01" * (event["mb"] * 1024 * 1024))
    return len(blocks)
"""


async def test_memory_limit_kills_the_instance_and_spares_its_neighbour(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    assert sandboxes.layout is not None, sandboxes.isolation.describe()
    neighbour_spec = make_spec({"app.py": "def handler(e, c):\n    return 'still here'\n"})
    neighbour = await sandboxes.start(neighbour_spec)
    spec = make_spec({"app.py": ALLOCATE}, memory_mb=128, timeout_s=20)
    instance = await sandboxes.start(spec)
    try:
        call = invocation(spec, b'{"mb": 300}')
        result = await instance.invoke(call)
        document = json.loads(result.payload)
        assert result.instance_lost and result.function_error == "Unhandled"
        assert result.error_type == "Runtime.OutOfMemory", document
        assert (
            document["errorMessage"] == f"RequestId: {call.request_id} Error: Runtime exited with error: signal: killed"
        )
        assert 100 <= result.max_memory_used_mb <= 129
        assert (await neighbour.invoke(invocation(neighbour_spec))).payload == b'"still here"'
    finally:
        await instance.stop()
        await neighbour.stop()


async def test_max_memory_used_reports_what_the_handler_allocated(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec({"app.py": ALLOCATE}, memory_mb=512, timeout_s=20)
    instance = await sandboxes.start(spec)
    try:
        result = await instance.invoke(invocation(spec, b'{"mb": 200}'))
        assert result.payload == b"1", result.payload
        used = instance.max_memory_mb()  # what the REPORT line shows (result.max_memory_used_mb is None)
        print(f"\nMax Memory Used after allocating 200 MB: {used} MB")
        assert 200 <= used <= 230
    finally:
        await instance.stop()


CPU_BOUND = """
import time

def handler(event, context):
    started = time.process_time()
    total = 0
    while time.process_time() - started < event["cpu_s"]:
        total += sum(range(1000))
    return total
"""


async def test_cpu_share_follows_memory(sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]) -> None:
    durations = {}
    for memory in (1024, 128):
        spec = make_spec({"app.py": CPU_BOUND}, memory_mb=memory, timeout_s=30)
        instance = await sandboxes.start(spec)
        try:
            result = await instance.invoke(invocation(spec, b'{"cpu_s": 0.1}'))
            assert result.function_error is None, result.payload
            durations[memory] = result.duration_ms
        finally:
            await instance.stop()
    ratio = durations[128] / durations[1024]
    print(
        f"\nCPU-bound 0.1 s of CPU: {durations[128]:.0f} ms at 128 MB, {durations[1024]:.0f} ms at 1024 MB,"
        f" ratio {ratio:.2f}"
    )
    assert ratio > 3


@pytest.fixture
async def small_pids(tmp_path: Path) -> AsyncIterator[LocalSandboxes]:
    boxes = LocalSandboxes(Settings(data_dir=tmp_path), tmp_path, pids_max=64, pool_size=1)
    try:
        yield boxes
    finally:
        await boxes.close()


FORK_BOMB = """
import os, time

def handler(event, context):
    if os.fork() == 0:
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(0.001)
    time.sleep(0.5)
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat("/proc/" + entry).st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count
"""


async def test_fork_bomb_stops_at_the_pids_limit(
    small_pids: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec({"app.py": FORK_BOMB}, timeout_s=10)
    instance = await small_pids.start(spec)
    try:
        result = await instance.invoke(invocation(spec))
        assert result.function_error is None, result.payload
        assert 2 <= json.loads(result.payload) <= 64
    finally:
        await instance.stop()
    assert _processes_of_uid(_uid_of(spec)) == []


SNOOP = """
import os

def handler(event, context):
    if event.get("write"):
        open("/tmp/secret", "w").write("mine")
        return {"pid": os.getpid(), "uid": os.getuid()}
    outcomes = {}
    for name, path in event["paths"].items():
        try:
            with open(path) as f:
                outcomes[name] = "read " + f.read(20)
        except OSError as exc:
            outcomes[name] = type(exc).__name__
    try:
        open("/var/task/new.py", "w")
        outcomes["write_task"] = "written"
    except OSError as exc:
        outcomes["write_task"] = type(exc).__name__
    outcomes["own_secret"] = os.path.exists("/tmp/secret")
    outcomes["uid"] = os.getuid()
    return outcomes
"""


async def test_functions_cannot_read_each_others_code_or_tmp(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    first_spec = make_spec({"app.py": SNOOP})
    second_spec = make_spec({"app.py": SNOOP})
    first = await sandboxes.start(first_spec)
    second = await sandboxes.start(second_spec)
    try:
        mine = json.loads((await first.invoke(invocation(first_spec, b'{"write": true}'))).payload)
        host_pid = _host_pid_of_uid(mine["uid"])  # not mine["pid"]: that is its pid in its own namespace
        paths = {
            "code": str(first_spec.code_dir / "app.py"),
            "tmp_via_proc": f"/proc/{host_pid}/root/tmp/secret",
            "code_via_proc": f"/proc/{host_pid}/root/var/task/app.py",
            "environ_via_proc": f"/proc/{host_pid}/environ",
        }
        theirs = json.loads(
            (await second.invoke(invocation(second_spec, json.dumps({"paths": paths}).encode()))).payload
        )
        assert theirs["uid"] != mine["uid"] and theirs["uid"] >= 1 << 30
        assert theirs["code"] in ("FileNotFoundError", "PermissionError")
        # Not there at all in its own PID namespace; there but refused without one.
        assert theirs["tmp_via_proc"] in ("FileNotFoundError", "PermissionError")
        assert theirs["code_via_proc"] in ("FileNotFoundError", "PermissionError")
        assert theirs["environ_via_proc"] in ("FileNotFoundError", "PermissionError")
        assert theirs["write_task"] in ("OSError", "PermissionError")  # EROFS
        assert theirs["own_secret"] is False
    finally:
        await first.stop()
        await second.stop()


def _host_pid_of_uid(uid: int) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.stat().st_uid == uid:
            return int(entry.name)
    raise AssertionError(f"no process of uid {uid}")


def _uss_mb(pid: int) -> float:
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as smaps:
        for line in smaps:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total / 1024


async def test_cold_start_figures(sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]) -> None:
    """A measurement, not a timing assertion: cold start p50 vs `python -I -S -c pass`, idle USS."""
    spec = make_spec({"app.py": "def handler(e, c):\n    return 1\n"})
    await sandboxes.warm([spec.runtime])
    cold, uss = [], []
    for _ in range(7):
        started = time.monotonic()
        instance = await sandboxes.start(spec)
        cold.append((time.monotonic() - started) * 1000)
        await instance.invoke(invocation(spec))
        uss.append(_uss_mb(instance.process.pid))  # type: ignore[attr-defined]
        await instance.stop()
        await asyncio.sleep(0.05)  # let the pool refill, as between real cold starts
    interpreter = os.path.realpath(sys.executable)
    bare = []
    for _ in range(7):
        started = time.monotonic()
        subprocess.run([interpreter, "-I", "-S", "-c", "pass"], check=True)
        bare.append((time.monotonic() - started) * 1000)
    print(
        f"\ncold start p50 {statistics.median(cold):.1f} ms vs python -I -S -c pass {statistics.median(bare):.1f} ms;"
        f" idle warm instance USS {statistics.median(uss):.1f} MB"
    )
    assert min(uss) > 0
