"""Cgroup layout and limit files, for v1 and v2 (v2 on a directory tree shaped like cgroupfs)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from overcast.config import Settings
from overcast.functions.instances import InstanceSpec
from overcast.functions.sandbox import LocalSandboxes
from overcast.functions.sandbox.cgroups import Cgroup, CgroupLayout, CpuLimit, cpu_limit, limit_writes, new_name
from tests.functions.sandbox.conftest import invocation


def test_cpu_quota_is_memory_over_mb_per_cpu_of_one_core_over_the_period() -> None:
    assert cpu_limit(1769, 1769, 5_000) == CpuLimit(5_000, 5_000)
    assert cpu_limit(1024, 1769, 5_000) == CpuLimit(2_894, 5_000)
    assert cpu_limit(1024, 1769, 100_000) == CpuLimit(57_885, 100_000)
    assert cpu_limit(10240, 1769, 5_000) == CpuLimit(28_942, 5_000)  # more than one core: AWS gives up to 6


def test_a_quota_under_the_kernels_floor_lengthens_the_period_instead() -> None:
    # 128 MB is 7.2 % of a core: 0.36 ms of a 5 ms period, under the kernel's 1 ms floor for a quota.
    # Raising the quota to 1 ms would give 128 MB 20 % of a core; the period grows until 1 ms is its share.
    assert cpu_limit(128, 1769, 5_000) == CpuLimit(1_000, 13_821)
    assert cpu_limit(256, 1769, 5_000) == CpuLimit(1_000, 6_911)
    assert cpu_limit(512, 1769, 5_000) == CpuLimit(1_447, 5_000)  # already over the floor: as configured
    assert cpu_limit(128, 1769, 100_000) == CpuLimit(7_235, 100_000)
    for memory in (128, 129, 200, 256, 300, 1000):
        limit = cpu_limit(memory, 1769, 1_000)
        assert limit.quota_us >= 1_000 and abs(limit.quota_us / limit.period_us - memory / 1769) < 0.001
    assert cpu_limit(1, 1769, 5_000) == CpuLimit(1_000, 1_000_000)  # the period's ceiling: the floor wins


def test_v1_limits_turn_swap_off_after_setting_memory() -> None:
    writes = limit_writes(1, 128, 1769, 1024, 5_000)
    assert writes == [
        ("memory", "memory.limit_in_bytes", str(128 * 1024 * 1024)),
        ("memory", "memory.memsw.limit_in_bytes", str(128 * 1024 * 1024)),
        ("memory", "memory.swappiness", "0"),
        ("cpu", "cpu.cfs_period_us", "13821"),
        ("cpu", "cpu.cfs_quota_us", "1000"),
        ("pids", "pids.max", "1024"),
    ]


def test_v2_limits() -> None:
    assert limit_writes(2, 1024, 1769, 64, 5_000) == [
        ("memory", "memory.max", str(1024 * 1024 * 1024)),
        ("memory", "memory.swap.max", "0"),
        ("cpu", "cpu.max", "2894 5000"),
        ("pids", "pids.max", "64"),
    ]


def _kernel_cpu_limit(cgroup: Cgroup) -> CpuLimit:
    """The CFS bandwidth the kernel holds for a real cgroup, read back from its files."""
    if cgroup.layout.version == 1:
        directory = cgroup.dirs["cpu"]
        quota, period = (directory / "cpu.cfs_quota_us").read_text(), (directory / "cpu.cfs_period_us").read_text()
    else:
        quota, period = (cgroup.dirs[""] / "cpu.max").read_text().split()
    return CpuLimit(int(quota), int(period))


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/sys/fs/cgroup").is_dir(), reason="needs root and cgroups")
async def test_the_configured_period_reaches_each_instances_cgroup(
    tmp_path: Path, make_spec: Callable[..., InstanceSpec]
) -> None:
    """Settings.cpu_period_us, passed from the composition root to the sandboxes, is what the kernel holds for
    an instance; a 128 MB instance gets the longer period its 1 ms quota needs, and runs a handler under it."""
    boxes = LocalSandboxes(Settings(data_dir=tmp_path, cpu_period_us=2_000), tmp_path, pool_size=1)
    try:
        if boxes.layout is None:
            pytest.skip(boxes.isolation.describe())
        for memory, expected in ((1024, CpuLimit(1_157, 2_000)), (128, CpuLimit(1_000, 13_821))):
            spec = make_spec({"app.py": "def handler(e, c):\n    return sum(range(100_000))\n"}, memory_mb=memory)
            instance = await boxes.start(spec)
            try:
                assert instance.process.cgroup is not None
                assert _kernel_cpu_limit(instance.process.cgroup) == expected
                assert (await instance.invoke(invocation(spec))).payload == b"4999950000"
            finally:
                await instance.stop()
    finally:
        await boxes.close()


V1_SELF = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n1:cpu,cpuacct:/\n0::/\n"


def test_v1_layout_lives_under_our_own_cgroup(tmp_path: Path) -> None:
    for controller in ("memory", "cpu", "pids"):
        (tmp_path / controller).mkdir()
    layout = CgroupLayout.detect(tmp_path, V1_SELF)
    assert layout is not None and layout.version == 1
    assert layout.bases == {
        "memory": tmp_path / "memory/process_api/abc/overcast",
        "cpu": tmp_path / "cpu/overcast",
        "pids": tmp_path / "pids/overcast",
    }
    assert CgroupLayout.detect(tmp_path / "nothing", V1_SELF) is None
    assert not layout.freezes  # no freezer hierarchy mounted: idle instances are stopped by signals


def test_v1_freezer_is_used_where_mounted(tmp_path: Path) -> None:
    for controller in ("memory", "cpu", "pids", "freezer"):
        (tmp_path / controller).mkdir()
    layout = CgroupLayout.detect(tmp_path, V1_SELF + "6:freezer:/\n")
    assert layout is not None and layout.freezes
    assert layout.bases["freezer"] == tmp_path / "freezer/overcast"
    layout.prepare()
    cgroup = Cgroup.create(layout, "1-1")
    state = tmp_path / "freezer/overcast/1-1/freezer.state"
    state.write_text("THAWED\n")
    cgroup.freeze()
    assert state.read_text().startswith("FROZEN")
    state.write_text("FREEZING\n")  # the kernel's word until every task is frozen
    assert not cgroup.frozen()
    state.write_text("FROZEN\n")
    assert cgroup.frozen()
    cgroup.thaw()
    assert state.read_text().startswith("THAWED")


def _fake_v2(root: Path) -> Path:
    (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    own = root / "system.slice/overcast.service"
    own.mkdir(parents=True)
    return own


def test_v2_layout_and_cgroup_files(tmp_path: Path) -> None:
    own = _fake_v2(tmp_path)
    layout = CgroupLayout.detect(tmp_path, "0::/system.slice/overcast.service\n")
    assert layout is not None and layout.version == 2
    assert layout.bases == {"": own / "overcast"}
    layout.prepare()
    assert (own / "overcast/cgroup.subtree_control").read_text() == "+memory +cpu +pids"
    cgroup = Cgroup.create(layout, "123-1")
    path = own / "overcast/123-1"
    assert cgroup.dirs == {"": path}
    cgroup.set_limits(256, 1769, 100, 5_000)
    assert (path / "memory.max").read_text() == str(256 * 1024 * 1024)
    assert (path / "memory.swap.max").read_text() == "0"
    assert (path / "cpu.max").read_text() == "1000 6911"
    assert (path / "pids.max").read_text() == "100"
    (path / "memory.peak").write_text("5242880\n")
    (path / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert cgroup.peak_memory_bytes() == 5 * 1024 * 1024
    assert cgroup.oom_kills() == 1
    (path / "cgroup.procs").write_text("")
    assert cgroup.procs() == set()
    assert not layout.freezes  # no cgroup.freeze (Linux < 5.2)
    (own / "overcast/cgroup.freeze").write_text("0\n")
    assert layout.freezes
    (path / "cgroup.freeze").write_text("0\n")
    (path / "cgroup.events").write_text("populated 1\nfrozen 0\n")
    cgroup.freeze()
    assert (path / "cgroup.freeze").read_text().startswith("1") and not cgroup.frozen()
    (path / "cgroup.events").write_text("populated 1\nfrozen 1\n")
    assert cgroup.frozen()
    cgroup.thaw()
    assert (path / "cgroup.freeze").read_text().startswith("0")


def test_v1_cgroup_statistics_files(tmp_path: Path) -> None:
    for controller in ("memory", "cpu", "pids"):
        (tmp_path / controller).mkdir()
    layout = CgroupLayout.detect(tmp_path, V1_SELF)
    assert layout is not None
    layout.prepare()
    cgroup = Cgroup.create(layout, "1-1")
    memory = cgroup.dirs["memory"]
    (memory / "memory.max_usage_in_bytes").write_text("209715200\n")
    (memory / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    assert cgroup.peak_memory_bytes() == 200 * 1024 * 1024
    assert cgroup.oom_kills() == 2


def test_names_do_not_repeat_those_an_earlier_process_with_our_pid_left(tmp_path: Path) -> None:
    own = _fake_v2(tmp_path)
    layout = CgroupLayout.detect(tmp_path, "0::/system.slice/overcast.service\n")
    assert layout is not None
    layout.prepare()
    for n in range(1, 4):  # what an earlier process with our pid would have named its first cgroups
        (own / "overcast" / f"{os.getpid()}-{n}").mkdir()
    name = new_name()
    assert name.split("-", 1)[0] == str(os.getpid())  # whose it is, for sweep_stale
    Cgroup.create(layout, name)
    assert (own / "overcast" / name).is_dir()


def test_sweep_removes_only_cgroups_of_dead_owners(tmp_path: Path) -> None:
    own = _fake_v2(tmp_path)
    layout = CgroupLayout.detect(tmp_path, "0::/system.slice/overcast.service\n")
    assert layout is not None
    layout.prepare()
    dead_pid = 2**22 + 12345  # above any pid_max default: never alive
    ours = new_name()
    live_other = f"{os.getppid()}-0123abcd-7"  # a live process's: not ours to remove
    before_us = (f"{os.getpid()}-7", f"{os.getpid()}-0123abcd-7")  # an earlier process's with our pid
    for name in (f"{dead_pid}-1", f"{dead_pid}-0123abcd-1", ours, live_other, *before_us):
        (own / "overcast" / name).mkdir()
    assert layout.sweep_stale() == 4
    assert sorted(p.name for p in (own / "overcast").iterdir() if p.is_dir()) == sorted([ours, live_other])


@pytest.mark.skipif(not Path("/sys/fs/cgroup/unified/cgroup.controllers").exists(), reason="no v2 mount")
def test_the_hybrid_hosts_v2_mount_is_detected_as_v2() -> None:
    layout = CgroupLayout.detect(Path("/sys/fs/cgroup/unified"), "0::/\n")
    assert layout is not None and layout.version == 2


@pytest.mark.skipif(
    os.geteuid() != 0 or not Path("/sys/fs/cgroup/unified/cgroup.controllers").exists(), reason="no v2 mount of ours"
)
def test_a_real_v2_cgroup_freezes_thaws_and_is_killed_frozen() -> None:
    """On the hybrid host's v2 mount (no controllers there, but the freezer is v2's core): a spinning process
    frozen uses no CPU (cpu.stat's usage_usec stays put while real time passes), thaws, and a frozen cgroup
    is killed and removed."""
    layout = CgroupLayout.detect(Path("/sys/fs/cgroup/unified"), "0::/\n")
    assert layout is not None
    layout.bases[""].mkdir(exist_ok=True)
    assert layout.freezes
    cgroup = Cgroup.create(layout)
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        cgroup.add(spinner.pid)
        usage = cgroup.dirs[""] / "cpu.stat"

        def used() -> int:
            return int(usage.read_text().split("\n")[0].removeprefix("usage_usec "))

        cgroup.freeze()
        deadline = time.monotonic() + 30
        while not cgroup.frozen():
            assert time.monotonic() < deadline, "never frozen"
            time.sleep(0.001)
        frozen_at = used()
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            time.sleep(0.05)
            assert used() == frozen_at
        cgroup.thaw()
        assert not cgroup.frozen()
        deadline = time.monotonic() + 30
        while used() == frozen_at:  # it runs again
            assert time.monotonic() < deadline, "never ran again once thawed"
            time.sleep(0.01)
        cgroup.freeze()
    finally:
        cgroup.remove()  # kills the frozen process
        assert spinner.wait(timeout=30) == -9
    assert not cgroup.dirs[""].exists()


def test_the_init_phase_runs_on_a_full_vcpu_then_at_the_functions_share(tmp_path: Path) -> None:
    """On AWS an on-demand function's init runs on a full vCPU, unthrottled; then at its memory's share."""
    for controller in ("memory", "cpu", "pids"):
        (tmp_path / controller).mkdir()
    layout = CgroupLayout.detect(tmp_path, V1_SELF)
    assert layout is not None
    layout.prepare()
    cgroup = Cgroup.create(layout, "2-1")
    cpu = tmp_path / "cpu/overcast/2-1"
    cgroup.set_limits(128, 1769, 1024, 5000, init_burst=True)
    assert ((cpu / "cpu.cfs_quota_us").read_text(), (cpu / "cpu.cfs_period_us").read_text()) == ("5000", "5000")
    assert (tmp_path / "memory/process_api/abc/overcast/2-1/memory.limit_in_bytes").read_text() == str(128 << 20)
    cgroup.set_cpu(128, 1769, 5000)
    assert ((cpu / "cpu.cfs_quota_us").read_text(), (cpu / "cpu.cfs_period_us").read_text()) == ("1000", "13821")
    cgroup.set_limits(3008, 1769, 1024, 5000, init_burst=True)  # above one vCPU: its own share from the start
    assert (cpu / "cpu.cfs_quota_us").read_text() == "8501"
