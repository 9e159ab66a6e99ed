"""`spawn`: any program in a sandbox (the primitive custom runtimes are built on)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from overcast.functions.instances import InstanceSpec
from overcast.functions.sandbox import LocalSandboxes
from tests.functions.sandbox.test_failures import _processes_of_uid, _uid_of

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for cgroups")


async def test_spawned_program_runs_confined_and_reports_its_exit(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec({"bootstrap": "#!/bin/sh\necho from-bootstrap\n"})
    script = 'echo "$GREETING"; id -u; pwd; cat /var/task/bootstrap; echo oops >&2; exit 3'
    process = await sandboxes.spawn(
        spec, ["/bin/sh", "-c", script], {"GREETING": "hello", "PATH": "/usr/bin:/bin"}, Path("/var/task")
    )
    out = (await process.stdout.read()).decode().splitlines()
    assert await process.wait() == 3
    assert out[0] == "hello" and int(out[1]) == _uid_of(spec) and out[2] == "/var/task"
    assert out[3:] == ["#!/bin/sh", "echo from-bootstrap"]
    assert (await process.stderr.read()) == b"oops\n"
    assert process.max_memory_bytes() > 0 and not process.oom_killed()
    await process.release()


async def test_kill_takes_the_whole_tree(sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]) -> None:
    spec = make_spec({"x": ""})
    script = "(setsid sleep 60 &) ; sleep 60 & sleep 60 & echo started; wait"
    process = await sandboxes.spawn(spec, ["/bin/sh", "-c", script], {"PATH": "/usr/bin:/bin"}, Path("/tmp"))
    assert await process.stdout.readline() == b"started\n"
    assert process.cgroup is not None and len(process.cgroup.procs()) >= 3
    await process.kill()
    assert await process.wait() == -9
    assert _processes_of_uid(_uid_of(spec)) == []
    await process.release()
    assert process.cgroup is None
