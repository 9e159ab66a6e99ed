"""Without cgroups (not root, or no cgroup filesystem) instances run under rlimits and say so."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from overcast.config import Settings
from overcast.functions.instances import InstanceSpec
from overcast.functions.sandbox import LocalSandboxes
from overcast.host import Isolation
from tests.functions.sandbox.conftest import invocation


async def test_fallback_runs_under_rlimits_and_says_so(
    degraded: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    assert degraded.layout is None and not degraded.isolation.enforced
    assert degraded.isolation.describe().startswith("degraded to rlimits")
    assert "; seccomp: none (this kernel or architecture has no seccomp" in degraded.isolation.describe()
    code = """
import os, resource

def handler(event, context):
    if event.get("mb"):
        b"x" * (event["mb"] * 1024 * 1024)
    seccomp = next(line for line in open("/proc/self/status") if line.startswith("Seccomp:")).split()[1]
    return {
        "task_root": os.environ["LAMBDA_TASK_ROOT"],
        "data": resource.getrlimit(resource.RLIMIT_DATA)[0],
        "seccomp": seccomp,
    }
"""
    spec = make_spec({"app.py": code}, memory_mb=128)
    instance = await degraded.start(spec)
    try:
        result = await instance.invoke(invocation(spec))
        body = json.loads(result.payload)
        assert body["task_root"] == str(spec.code_dir)
        assert body["data"] == (128 + 32) * 1024 * 1024
        assert body["seccomp"] == "0"  # as the description says: no filter
        assert any("not kernel-enforced" in line.message for line in result.log)
        assert result.max_memory_used_mb is None  # measured when the REPORT line is written
        assert instance.max_memory_mb() > 0
        too_much = await instance.invoke(invocation(spec, b'{"mb": 400}'))
        assert too_much.function_error == "Unhandled" and too_much.error_type == "MemoryError"
    finally:
        await instance.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="the degraded path is the only one without root")
async def test_fallback_timeout_still_kills_the_process_group(
    degraded: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec({"app.py": "import time\ndef handler(e, c):\n    time.sleep(30)\n"}, timeout_s=1)
    instance = await degraded.start(spec)
    pid = instance.process.pid  # type: ignore[attr-defined]
    result = await instance.invoke(invocation(spec, timeout_s=0.5))
    assert result.error_type == "Sandbox.Timedout" and result.instance_lost
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_without_root_or_cgroups_syscalls_are_still_filtered(
    tmp_path: Path, make_spec: Callable[..., InstanceSpec]
) -> None:
    """seccomp needs no root: no_new_privs lets any process filter itself, so the fallback keeps it."""
    isolation = Isolation(root=False, cgroup_version=None, cgroup_writable=False, namespaces=("mnt",), seccomp=True)
    boxes = LocalSandboxes(Settings(data_dir=tmp_path), tmp_path, isolation=isolation, pool_size=1)
    assert "; seccomp: a syscall filter" in boxes.isolation.describe()
    code = """
import ctypes, errno

def handler(event, context):
    libc = ctypes.CDLL(None, use_errno=True)
    failed = libc.unshare(0x10000000) == -1  # CLONE_NEWUSER
    return errno.errorcode[ctypes.get_errno()] if failed else "made a user namespace"
"""
    spec = make_spec({"app.py": code})
    instance = await boxes.start(spec)
    try:
        result = await instance.invoke(invocation(spec))
        assert json.loads(result.payload) == "EPERM"
    finally:
        await instance.stop()
        await boxes.close()
