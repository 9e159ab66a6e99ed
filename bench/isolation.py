"""Isolation layers: what each one costs an instance, and where that cost is paid.

Each layer is set up as a real instance sets it up (functions/runtime/python/confine.py, the
sandbox's cgroups), in a fresh process per round, timed by the process doing it. The layers made
while a vessel waits in the pool (its cgroup, its network and PID namespaces) are off the cold
start; those applied when it is claimed (the mount and IPC namespaces with the mount plan, the uid,
the seccomp filter) are on it; the freezer is paid on every warm invoke (a thaw before, a freeze
after). Figures are ratios to `python -I -S -c pass`, the cold start's limit, measured in the same
run (the freezer's to the minimal ASGI round trip would need a server: it is printed in us and as a
share of the cold-start limit only). Needs root; prints why not otherwise.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.limits import python_startup_seconds

ROUNDS = 25
POOL, COLD, WARM = "in the pool", "on the cold start", "on every warm invoke"


def _rounds_in_children(code_dir: Path, data_dir: Path) -> list[dict[str, float]]:
    from overcast.functions.runtime.python import confine
    from overcast.functions.sandbox import seccomp
    from overcast.functions.sandbox.mounts import mount_plan
    from overcast.host import detect_isolation

    isolation = detect_isolation()
    program = seccomp.program(platform.machine()).hex() if seccomp.supported(platform.machine()) else None
    mounts = mount_plan(code_dir, (), 512, (data_dir,), readonly_root=isolation.readonly_mounts, pid_namespace=True)
    results = []
    for _ in range(ROUNDS):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the vessel: becomes the relay; the runtime (its grandchild) reports
            try:
                os.close(read_end)
                times: dict[str, float] = {}
                started = time.perf_counter()
                os.setsid()
                listeners = confine._enter_net_namespace([9001, 4566, 3128])
                times["network"] = time.perf_counter() - started
                started = time.perf_counter()
                confine._become_init(confine._enter_pid_namespace())
                times["pid"] = time.perf_counter() - started  # the runtime, pid 2, runs here
                for listener in listeners:
                    listener.close()
                started = time.perf_counter()
                confine._apply_mounts(mounts, confine.CLONE_NEWIPC)
                times["mount + ipc"] = time.perf_counter() - started
                started = time.perf_counter()
                os.setgroups([])
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
                times["user"] = time.perf_counter() - started
                if program is not None:
                    started = time.perf_counter()
                    confine._filter_syscalls(bytes.fromhex(program))
                    times["seccomp"] = time.perf_counter() - started
                os.write(write_end, json.dumps(times).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as answer:
            data = answer.read()
        os.waitpid(pid, 0)
        if data:
            results.append(json.loads(data))
    return results


def _cgroup_placements() -> list[float]:
    """A fresh cgroup made and a process moved into it, as the pool does for each vessel."""
    from overcast.functions.sandbox.cgroups import Cgroup, CgroupLayout

    layout = CgroupLayout.detect()
    if layout is None:
        return []
    layout.prepare()
    costs = []
    for _ in range(ROUNDS):
        sleeper = subprocess.Popen(["sleep", "60"])
        try:
            started = time.perf_counter()
            cgroup = Cgroup.create(layout)
            cgroup.add(sleeper.pid)
            costs.append(time.perf_counter() - started)
            cgroup.remove(kill=True)
        finally:
            sleeper.kill()
            sleeper.wait()
    return costs


def run() -> None:
    print("\n== Isolation layers: each one's cost per instance ==")
    if os.geteuid() != 0:
        print("skipped: instances are confined only when Overcast runs as root")
        return
    from bench.invoke import _freeze_thaw_seconds

    python_limit = python_startup_seconds()
    print(f"limit: python -I -S -c pass {python_limit * 1e3:.1f} ms")
    with tempfile.TemporaryDirectory() as scratch:
        code_dir, data_dir = Path(scratch, "code"), Path(scratch, "data")
        code_dir.mkdir()
        data_dir.mkdir()
        rounds = _rounds_in_children(code_dir, data_dir)
    costs: dict[str, tuple[str, float]] = {}
    placements = _cgroup_placements()
    if placements:
        costs["cgroup"] = (POOL, statistics.median(placements))
    for layer, where in (("network", POOL), ("pid", POOL), ("mount + ipc", COLD), ("user", COLD), ("seccomp", COLD)):
        values = [r[layer] for r in rounds if layer in r]
        if values:
            costs[layer] = (where, statistics.median(values))
    freezing = _freeze_thaw_seconds()
    if freezing is not None:
        costs["freezer"] = (WARM, freezing)
    print(f"{'layer':<14} {'paid':<22} {'median':>10}   {'x limit':>8}")
    for layer, (where, seconds) in costs.items():
        print(f"{layer:<14} {where:<22} {seconds * 1e3:>7.3f} ms   {seconds / python_limit:>8.3f}")
    cold = sum(seconds for where, seconds in costs.values() if where == COLD)
    pool = sum(seconds for where, seconds in costs.values() if where == POOL)
    print(f"{'on the cold start, all layers':<37} {cold * 1e3:>7.3f} ms   {cold / python_limit:>8.3f}")
    print(f"{'in the pool, all layers':<37} {pool * 1e3:>7.3f} ms   {pool / python_limit:>8.3f}")


if __name__ == "__main__":
    sys.exit(run())
