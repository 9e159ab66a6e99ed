"""Idle instances are frozen: code a function leaves running (a thread, a shell's background loop) uses no CPU
between invocations, and runs on once the next invocation thaws the instance, as on AWS
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).

Each test is a hostile function trying to run while idle; it asserts, from outside (the kernel's view in
/proc and the cgroup's own files), that the attempt failed, and that the function still answers correctly.
Freezing completes asynchronously, so the tests poll for it; "uses no CPU" is a counter that stays put while
real time passes (a second of it, polled), never a bound on speed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from overcast.clock import FakeClock
from overcast.config import Settings
from overcast.functions.instances import InstanceSpec
from overcast.functions.pool import Pool, PoolKey
from overcast.functions.sandbox import LocalSandboxes
from overcast.functions.sandbox.cgroups import CgroupLayout
from overcast.functions.sandbox.users import function_uid
from tests.conftest import ClientFactory, RunningServer, start_server
from tests.functions.deployed import python_function
from tests.functions.sandbox.conftest import invocation

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="runs functions in root-made sandboxes")

IDLE_S = 1.0  # real time an idle instance is watched for CPU use
# A thread that spins forever, started by the first invocation; each invocation waits until it has
# spun some more (it runs while the instance is thawed) and says how far it got.
SPINNER = """
import threading, time

spun = [0]

def spin():
    while True:
        spun[0] += 1

def handler(event, context):
    if not any(t.name == "spinner" for t in threading.enumerate()):
        threading.Thread(target=spin, name="spinner", daemon=True).start()
    start = spun[0]
    while spun[0] < start + 100_000:
        time.sleep(0.001)
    return {"spun": spun[0]}
"""
# A thread spinning from the function's init on.
SPINNING_AT_INIT = """
import threading

def spin():
    while True:
        pass

threading.Thread(target=spin, daemon=True).start()

def handler(event, context):
    return "up"
"""
# provided.al2023: a bootstrap that leaves a busy loop running in the background, then serves events.
LOOPING_BOOTSTRAP = """#!/bin/bash
( while :; do :; done ) &
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -LD "$HEADERS" "$API/next")
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  curl -sS "$API/$ID/response" -d "{\\"echo\\": $EVENT}"
done
"""


# Node.js: a worker thread spinning on a shared counter, started by the first invocation; each invocation
# waits until it has counted some more.
NODE_WORKER = """
const { Worker } = require("worker_threads");
const counter = new BigInt64Array(new SharedArrayBuffer(8));
let worker;
const SPIN = "const c = new BigInt64Array(require('worker_threads').workerData); while (true) Atomics.add(c, 0, 1n);";

exports.handler = async () => {
  if (!worker) worker = new Worker(SPIN, { eval: true, workerData: counter.buffer });
  const start = Atomics.load(counter, 0);
  while (Atomics.load(counter, 0) < start + 100000n) await new Promise((done) => setTimeout(done, 1));
  return { spun: Number(Atomics.load(counter, 0)) };
};
"""


# --- the kernel's view ---------------------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name: state, ppid, pgrp, ... utime at 11, stime at 12."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rpartition(")")[2].split()


def gone(pid: int) -> bool:
    """The process has exited: no /proc entry, or a zombie (the entry can vanish between a check and a read)."""
    try:
        return _stat(pid)[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def cpu_ticks(pids: set[int]) -> int:
    """CPU time (user + system, clock ticks) the processes have used, their threads included, as /proc shows it."""
    total = 0
    for pid in pids:
        try:
            fields = _stat(pid)
        except OSError:
            continue  # gone: it used no more
        total += int(fields[11]) + int(fields[12])
    return total


def cgroup_dir(pid: int) -> Path:
    """The directory of `pid`'s cgroup holding its freezer: v1's freezer hierarchy, else the v2 tree."""
    paths = {}
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    if "freezer" in paths:
        return Path("/sys/fs/cgroup/freezer") / paths["freezer"].lstrip("/")
    return Path("/sys/fs/cgroup") / paths[""].lstrip("/")


def cgroup_frozen(directory: Path) -> bool:
    state = directory / "freezer.state"
    if state.exists():
        return state.read_text().strip() == "FROZEN"
    return "frozen 1" in (directory / "cgroup.events").read_text().splitlines()


def cgroup_cpu(directory: Path) -> tuple[int, int]:
    """The cgroup's processes' CPU ticks, and on v2 its own cpu.stat usage_usec (0 on v1)."""
    pids = {int(p) for p in (directory / "cgroup.procs").read_text().split()}
    usage = 0
    stat = directory / "cpu.stat"
    if (directory / "cgroup.events").exists() and stat.exists():
        for line in stat.read_text().splitlines():
            if line.startswith("usage_usec "):
                usage = int(line.split()[1])
    return cpu_ticks(pids), usage


def group_stopped(pgid: int) -> bool:
    """Every thread of every process in process group `pgid` is stopped (state T)."""
    states = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if int(_stat(int(entry.name))[2]) != pgid:
                continue
            for task in os.listdir(f"/proc/{entry.name}/task"):
                with open(f"/proc/{entry.name}/task/{task}/stat") as stat:
                    states.append(stat.read().rpartition(")")[2].split()[0])
        except (OSError, IndexError):
            continue
    return bool(states) and all(state in ("T", "t") for state in states)


def group_cpu(pgid: int) -> int:
    members = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[2]) == pgid:
                    members.add(int(entry.name))
            except (OSError, IndexError):
                continue
    return cpu_ticks(members)


def owned_by(uid: int) -> list[int]:
    """Processes running as `uid` (a function's own uid)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def processes_of(spec: InstanceSpec) -> list[int]:
    return owned_by(function_uid(spec.account_id, spec.region, spec.function_name))


async def until(condition: Callable[[], bool], what: str, limit_s: float = 30.0) -> None:
    """Poll until `condition` holds (freezing completes asynchronously); fail after `limit_s`."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"never saw: {what}"
        await asyncio.sleep(0.01)


async def stays_put(read: Callable[[], Any], seconds: float = IDLE_S) -> Any:
    """Read `read()` every 50 ms for `seconds` of real time; it must never change. Its value."""
    first = read()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        assert read() == first, "an idle instance used CPU"
    return first


# --- fixtures --------------------------------------------------------------------------------------------


@pytest.fixture
async def sandboxes(tmp_path: Path) -> AsyncIterator[LocalSandboxes]:
    data = tmp_path / "data"
    data.mkdir()
    boxes = LocalSandboxes(Settings(data_dir=data), data, pool_size=1)
    try:
        yield boxes
    finally:
        await boxes.close()


def key_of(spec: InstanceSpec) -> PoolKey:
    return PoolKey(spec.account_id, spec.region, spec.function_name, spec.version, spec.code_sha256, "rev-1")


def source(spec: InstanceSpec) -> Callable[[], Any]:
    async def make() -> InstanceSpec:
        return spec

    return make


def answer(result: Any) -> Any:
    assert result.function_error is None and not result.instance_lost, result.payload
    return json.loads(result.payload)


# --- Python: a thread left spinning ------------------------------------------------------------------------


@dataclass(frozen=True)
class Freezer:
    """One way an idle instance is frozen, and how the test sees it from outside, by the instance's pid."""

    sandboxes: str  # which fixture's sandboxes
    named: str  # as the isolation summary names it
    frozen: Callable[[int], bool]
    cpu: Callable[[int], Any]


CGROUP = Freezer(
    "sandboxes", "the cgroup v", lambda pid: cgroup_frozen(cgroup_dir(pid)), lambda pid: cgroup_cpu(cgroup_dir(pid))
)
# Without cgroups (as where Overcast is not root): SIGSTOP of the instance's process group.
SIGNALS = Freezer("degraded", "SIGSTOP of each instance's process group", group_stopped, group_cpu)


@pytest.mark.parametrize("freezer", [CGROUP, SIGNALS], ids=["cgroup", "sigstop"])
async def test_a_thread_left_spinning_uses_no_cpu_while_idle(
    freezer: Freezer,
    sandboxes: LocalSandboxes,
    degraded: LocalSandboxes,
    make_spec: Callable[..., InstanceSpec],
) -> None:
    sandboxes = {"sandboxes": sandboxes, "degraded": degraded}[freezer.sandboxes]
    assert f"idle instances frozen by {freezer.named}" in sandboxes.isolation.describe()
    pool = Pool(sandboxes, FakeClock(), 600)
    spec = make_spec({"app.py": SPINNER}, memory_mb=512)
    try:
        lease = await pool.acquire(key_of(spec), source(spec))
        first = answer(await lease.instance.invoke(invocation(spec)))
        pool.release(lease)
        pid = lease.instance.process.pid  # type: ignore[attr-defined]
        await until(lambda: freezer.frozen(pid), "the idle instance frozen")
        await stays_put(lambda: freezer.cpu(pid))

        again = pool.take_idle(key_of(spec))
        assert again is lease and not freezer.frozen(pid)  # thawed before it is handed out
        second = answer(await again.instance.invoke(invocation(spec)))
        assert second["spun"] > first["spun"]  # the thread runs again, and the function answers
        pool.release(again)
        await until(lambda: freezer.frozen(pid), "frozen again after the second invocation")
    finally:
        await pool.close()
    assert gone(pid)  # thawed and killed at shutdown


async def test_an_instance_back_from_an_invocation_is_frozen_after_the_pools_delay_not_before(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    """Pool(freeze_after_s): the freeze waits that long, so back-to-back invocations skip a freeze and a thaw;
    an instance handed out within it is never frozen, and one left idle past it is frozen as at once."""
    spec = make_spec({"app.py": SPINNER}, memory_mb=512)
    pool = Pool(sandboxes, FakeClock(), 600, freeze_after_s=0.5)
    try:
        lease = await pool.acquire(key_of(spec), source(spec))
        answer(await lease.instance.invoke(invocation(spec)))
        pid = lease.instance.process.pid  # type: ignore[attr-defined]
        pool.release(lease)
        again = pool.take_idle(key_of(spec))  # at once: within the delay
        assert again is lease and not lease.frozen and not cgroup_frozen(cgroup_dir(pid))
        answer(await again.instance.invoke(invocation(spec)))
        pool.release(again)
        ticks = cgroup_cpu(cgroup_dir(pid))[0]
        await until(lambda: cgroup_cpu(cgroup_dir(pid))[0] > ticks, "the idle thread running during the delay")
        await until(lambda: cgroup_frozen(cgroup_dir(pid)), "the instance frozen once the delay passed")
        assert lease.frozen
        await stays_put(lambda: cgroup_cpu(cgroup_dir(pid)))
        assert pool.take_idle(key_of(spec)) is lease and not cgroup_frozen(cgroup_dir(pid))
        pool.release(lease)
    finally:
        await pool.close()


async def test_on_v1_one_empty_cgroup_stays_frozen_while_the_sandboxes_run(tmp_path: Path) -> None:
    """It keeps the v1 freezer's kernel switch on, so freezing an instance does not flip it (see hold_freezer)."""
    data = tmp_path / "data"
    data.mkdir()
    layout = CgroupLayout.detect()
    if layout is None or "freezer" not in layout.bases:
        pytest.skip("no cgroup v1 freezer on this host")
    base = layout.bases["freezer"]
    before = set(base.iterdir()) if base.is_dir() else set()
    boxes = LocalSandboxes(Settings(data_dir=data), data)
    held = [d for d in set(base.iterdir()) - before if d.is_dir()]
    try:
        assert any(cgroup_frozen(d) and not (d / "cgroup.procs").read_text().strip() for d in held)
    finally:
        await boxes.close()
    assert not any(d.exists() for d in held)


async def test_a_frozen_instance_is_reaped_and_a_timed_out_one_killed(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    clock = FakeClock()
    pool = Pool(sandboxes, clock, 600)
    spec = make_spec({"app.py": SPINNER}, memory_mb=512, timeout_s=1)
    try:
        lease = await pool.acquire(key_of(spec), source(spec))
        answer(await lease.instance.invoke(invocation(spec)))
        pool.release(lease)
        pid = lease.instance.process.pid  # type: ignore[attr-defined]
        cgroup = cgroup_dir(pid)
        await until(lambda: cgroup_frozen(cgroup), "the idle instance's cgroup frozen")
        await clock.advance(600)
        assert await pool.reap() == 1
        await pool.settle()
        assert not Path(f"/proc/{pid}").exists() and not cgroup.exists()

        # Frozen, thawed, then timed out: the kill takes the whole (thawed) tree.
        sleeper = make_spec({"app.py": "import time\n\ndef handler(event, context):\n    time.sleep(event['s'])\n"})
        lease = await pool.acquire(key_of(sleeper), source(sleeper))
        answer(await lease.instance.invoke(invocation(sleeper, b'{"s": 0}')))
        pool.release(lease)
        cgroup = cgroup_dir(lease.instance.process.pid)  # type: ignore[attr-defined]
        await until(lambda: cgroup_frozen(cgroup), "the sleeper frozen")
        lease = pool.take_idle(key_of(sleeper)) or pytest.fail("the idle sleeper was not handed out")
        timed_out = await lease.instance.invoke(invocation(sleeper, b'{"s": 30}', timeout_s=0.5))
        assert timed_out.error_type == "Sandbox.Timedout" and timed_out.instance_lost
        pool.release(lease, lost=True)
        await pool.settle()
        assert not cgroup.exists()
    finally:
        await pool.close()


async def test_provisioned_instances_are_frozen_from_the_end_of_their_init(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec({"app.py": SPINNING_AT_INIT}, memory_mb=512)
    pool = Pool(sandboxes, FakeClock(), 600)
    try:
        await pool.provision("group", key_of(spec), 1, source(spec))
        # Its init started a spinning thread: the instance is frozen without ever having been invoked.
        (pid,) = processes_of(spec)
        cgroup = cgroup_dir(pid)
        await until(lambda: cgroup_frozen(cgroup), "the provisioned instance frozen after init")
        await stays_put(lambda: cgroup_cpu(cgroup))
        lease = pool.acquire_provisioned("group") or pytest.fail("no provisioned instance")
        assert not cgroup_frozen(cgroup)  # handed out: thawed
        assert (await lease.instance.invoke(invocation(spec))).payload == b'"up"'
        pool.release(lease)
        await until(lambda: cgroup_frozen(cgroup), "the provisioned instance frozen again")
    finally:
        await pool.close()
    assert processes_of(spec) == []


# --- provided.al2023 and Node.js: a shell's background loop, a worker thread ------------------------------------


@dataclass(frozen=True)
class Runtime:
    """A custom-runtime function leaving code running, and what it answers to {"n": n} (`spun`: it counts)."""

    runtime: str
    files: dict[str, str]
    handler: str = "index.handler"


SHELL = Runtime("provided.al2023", {"bootstrap": LOOPING_BOOTSTRAP}, "unused")
NODE = Runtime("nodejs20.x", {"index.js": NODE_WORKER})


@pytest.mark.parametrize("function", [SHELL, NODE], ids=["shell", "node"])
async def test_code_a_custom_runtime_leaves_running_uses_no_cpu_while_idle(
    function: Runtime, sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec(function.files, handler=function.handler, runtime=function.runtime, memory_mb=512)
    if "bootstrap" in function.files:
        (spec.code_dir / "bootstrap").chmod(0o755)
    pool = Pool(sandboxes, FakeClock(), 600)
    try:
        lease = await pool.acquire(key_of(spec), source(spec))
        first = answer(await lease.instance.invoke(invocation(spec, b'{"n": 1}')))
        assert first.get("echo", {"n": 1}) == {"n": 1}
        pool.release(lease)
        cgroup = cgroup_dir(min(processes_of(spec)))
        await until(lambda: cgroup_frozen(cgroup), "the instance frozen")
        await stays_put(lambda: cgroup_cpu(cgroup))
        again = pool.take_idle(key_of(spec)) or pytest.fail("the idle instance was not handed out")
        second = answer(await again.instance.invoke(invocation(spec, b'{"n": 2}')))
        assert second.get("echo", {"n": 2}) == {"n": 2} and second.get("spun", 1) > first.get("spun", 0)
        pool.release(again)
    finally:
        await pool.close()
    assert processes_of(spec) == []  # what it left running was thawed and killed with the rest


# --- through the server, as a user deploys it -------------------------------------------------------------------


def test_a_deployed_function_cannot_run_while_idle(aws: ClientFactory, server: RunningServer) -> None:
    lam = aws("lambda")
    arn = python_function(lam, "frozen", SPINNER)
    name = arn.rsplit(":", 1)[1]
    first = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    (pid,) = owned_by(function_uid("000000000000", "us-east-1", name))
    cgroup = cgroup_dir(pid)
    asyncio.run(until(lambda: cgroup_frozen(cgroup), "the deployed function's instance frozen"))
    asyncio.run(stays_put(lambda: cgroup_cpu(cgroup)))
    second = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert second["spun"] > first["spun"]
    status = subprocess.run(
        [sys.executable, "-m", "overcast", "status", "--json", "--data-dir", str(server.data_dir)],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert "idle instances frozen by" in json.loads(status.stdout)["isolation"]["summary"]
    lam.delete_function(FunctionName=name)


def test_a_killed_server_leaves_no_frozen_instance_behind(tmp_path: Path) -> None:
    """kill -9 of Overcast: its zygote thaws and kills the frozen instances (a v1-frozen task cannot die
    of any signal until thawed, and Overcast, which would thaw it, is gone)."""
    server = start_server(tmp_path / "data")
    try:
        lam = boto3.client("lambda", endpoint_url=server.url, region_name="us-east-1")
        name = python_function(lam, "killed", SPINNER).rsplit(":", 1)[1]
        lam.invoke(FunctionName=name, Payload=b"{}")
        (pid,) = owned_by(function_uid("000000000000", "us-east-1", name))
        asyncio.run(until(lambda: cgroup_frozen(cgroup_dir(pid)), "the instance frozen"))
    finally:
        server.stop(signal.SIGKILL)
    asyncio.run(until(lambda: gone(pid), "the instance gone"))
