"""Cgroups: one cgroup per instance, on cgroup v1 (a directory per controller) or v2 (one tree).

Limits follow AWS's model: memory = MemorySize with no swap, CPU quota = MemorySize / mb_per_cpu
of one core (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html) over a short
CFS period (see `cpu_limit`), and a pids limit so a fork bomb stops. Overcast's cgroups live under
the cgroup Overcast itself runs in (its own delegated subtree), in `overcast/<owner pid>-<n>`, so
stale ones can be swept by owner.
Between invocations an instance's cgroup is frozen, as AWS freezes an idle execution environment
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html): v2's `cgroup.freeze`,
or v1's freezer controller where it is mounted. Everything here is blocking file I/O: callers run it
in a thread, except freezing and thawing (one write to a file kept open, a few microseconds).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

V1_CONTROLLERS = ("memory", "cpu", "pids")
V1_OPTIONAL = ("freezer",)  # used where mounted; without it idle instances are stopped by signals
V2_CONTROLLERS = ("memory", "cpu", "pids")
MIN_PERIOD_US, MAX_PERIOD_US = 1_000, 1_000_000  # the kernel's bounds for cpu.cfs_period_us / cpu.max
MIN_QUOTA_US = 1_000  # the kernel's floor for cpu.cfs_quota_us / cpu.max
SUBTREE = "overcast"
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class CpuLimit:
    """An instance's CFS bandwidth: `quota_us` of CPU time in every `period_us`."""

    quota_us: int
    period_us: int


def cpu_limit(memory_mb: int, mb_per_cpu: int, period_us: int) -> CpuLimit:
    """MemorySize / mb_per_cpu of one core, enforced over `period_us`, or over the shortest longer period
    whose quota reaches the kernel's 1 ms floor (128 MB at 1769 MB a core: 13.8 ms), so that the quota
    stays proportional to memory.

    The period sets the time scale at which the share holds: an idle instance starts an invocation with
    a whole quota, which it runs at a full core's speed, so a handler needing less CPU than one quota
    is not slowed at all (with 100 ms, a 1024 MB instance ran 58 ms of CPU unthrottled, and a 20 ms
    handler took as long at 1024 MB as at 1769 MB). docs/ARCHITECTURE.md says why 5 ms is the default.
    """
    period = min(MAX_PERIOD_US, max(period_us, -(-MIN_QUOTA_US * mb_per_cpu // memory_mb)))
    return CpuLimit(max(MIN_QUOTA_US, period * memory_mb // mb_per_cpu), period)


def limit_writes(
    version: int, memory_mb: int, mb_per_cpu: int, pids_max: int, cpu_period_us: int
) -> list[tuple[str, str, str]]:
    """(controller, file, value) to write, in order, to set an instance's limits.

    On v1 the memory+swap limit may not be below the memory limit, so memory goes first on a
    fresh cgroup (both start unlimited); setting memsw to the same value turns swap off. The CFS
    period goes before the quota: a fresh cgroup's quota is unlimited, so any period is accepted.
    """
    memory = str(memory_mb * MB)
    cpu = cpu_limit(memory_mb, mb_per_cpu, cpu_period_us)
    if version == 1:
        return [
            ("memory", "memory.limit_in_bytes", memory),
            ("memory", "memory.memsw.limit_in_bytes", memory),
            ("memory", "memory.swappiness", "0"),
            ("cpu", "cpu.cfs_period_us", str(cpu.period_us)),
            ("cpu", "cpu.cfs_quota_us", str(cpu.quota_us)),
            ("pids", "pids.max", str(pids_max)),
        ]
    return [
        ("memory", "memory.max", memory),
        ("memory", "memory.swap.max", "0"),
        ("cpu", "cpu.max", f"{cpu.quota_us} {cpu.period_us}"),
        ("pids", "pids.max", str(pids_max)),
    ]


def _own_paths(proc_self_cgroup: str) -> dict[str, str]:
    """controller (or "" for the v2 tree) -> our cgroup path, from /proc/self/cgroup's text."""
    paths: dict[str, str] = {}
    for line in proc_self_cgroup.splitlines():
        _hier, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


@dataclass(frozen=True, slots=True)
class CgroupLayout:
    """Where this Overcast process creates instance cgroups: a base directory per controller."""

    version: int
    bases: dict[str, Path]  # v1: controller -> base dir; v2: {"": base dir}

    @classmethod
    def detect(cls, root: Path = Path("/sys/fs/cgroup"), proc_self_cgroup: str | None = None) -> CgroupLayout | None:
        text = proc_self_cgroup if proc_self_cgroup is not None else Path("/proc/self/cgroup").read_text()
        own = _own_paths(text)
        if (root / "cgroup.controllers").exists():
            return cls(2, {"": root / own.get("", "/").lstrip("/") / SUBTREE})
        bases = {}
        for controller in V1_CONTROLLERS + V1_OPTIONAL:
            mount = root / controller
            if not mount.is_dir() or controller not in own:
                if controller in V1_OPTIONAL:
                    continue
                return None
            bases[controller] = mount / own[controller].lstrip("/") / SUBTREE
        return cls(1, bases)

    @property
    def freezes(self) -> bool:
        """Whether instance cgroups can be frozen: v2 from Linux 5.2 (`cgroup.freeze`), v1 with a freezer."""
        if self.version == 1:
            return "freezer" in self.bases
        return (self.bases[""] / "cgroup.freeze").exists()

    def prepare(self) -> None:
        """Create the base directories (and on v2 delegate the controllers into them)."""
        for base in self.bases.values():
            base.mkdir(parents=True, exist_ok=True)
        if self.version == 2:
            base = self.bases[""]
            enable = " ".join(f"+{c}" for c in V2_CONTROLLERS)
            # A v2 cgroup with processes cannot hand controllers to children ("no internal
            # processes"): the parent must already delegate them; then the base can too.
            with contextlib.suppress(OSError):
                (base.parent / "cgroup.subtree_control").write_text(enable)
            (base / "cgroup.subtree_control").write_text(enable)

    def dirs(self, name: str) -> dict[str, Path]:
        return {controller: base / name for controller, base in self.bases.items()}

    def hold_freezer(self) -> Cgroup | None:
        """On v1, an empty cgroup kept frozen while Overcast runs (remove it at the end), or None.

        v1's freezer turns a kernel static key on when the first cgroup starts freezing and off when
        the last one thaws, and each switch patches kernel code: ~300 us, for a freeze and for a thaw,
        against ~10 us with the key held on by this one (Linux 6.x here). Without it, an instance alone
        on a host paid both on every warm invoke. v2's freezer has no such key."""
        if self.version != 1 or not self.freezes:
            return None
        cgroup = Cgroup(self, f"{new_name()}-held")
        cgroup.dirs = {"freezer": cgroup.dirs["freezer"]}  # in the freezer hierarchy only
        cgroup.dirs["freezer"].mkdir()
        try:
            cgroup.freeze()
        except OSError:
            cgroup.remove(kill=False)
            raise
        return cgroup

    def sweep_stale(self) -> int:
        """Remove cgroups left by Overcast processes that no longer exist: their owner pid is dead, or it
        is ours and the token is not (an earlier process had our pid: a restarted container's Overcast
        often runs as pid 1 again). Returns how many."""
        removed = 0
        names: set[str] = set()
        for base in self.bases.values():
            if base.is_dir():
                names.update(p.name for p in base.iterdir() if p.is_dir())
        for name in names:
            owner, _, rest = name.partition("-")
            if not owner.isdigit():
                continue
            ours_before = int(owner) == os.getpid() and not rest.startswith(f"{_RUN}-")
            if ours_before or not _alive(int(owner)):
                Cgroup(self, name).remove(kill=True)
                removed += 1
        return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_names = itertools.count(1)
# Drawn once per process. Names are "<owner pid>-<this token>-<n>": the pid says whose a cgroup is (for
# sweep_stale), the token keeps a process whose pid an earlier Overcast had from colliding with the
# cgroups that one left behind (killed, it removed none; alive now, that pid is no longer swept).
# Without it, a long test run with hundreds of servers hit "[Errno 17] File exists" on a cold start.
_RUN = secrets.token_hex(4)


def new_name() -> str:
    return f"{os.getpid()}-{_RUN}-{next(_names)}"


class Cgroup:
    """One instance's cgroup (one directory per controller on v1)."""

    def __init__(self, layout: CgroupLayout, name: str) -> None:
        self.layout = layout
        self.name = name
        self.dirs = layout.dirs(name)
        self._peak_fd: int | None = None  # the high-water mark file, open while the cgroup lives
        self._freeze_fd: int | None = None  # the freezer's control file, open once used

    @classmethod
    def create(cls, layout: CgroupLayout, name: str | None = None) -> Cgroup:
        cgroup = cls(layout, name or new_name())
        for path in cgroup.dirs.values():
            path.mkdir()
        return cgroup

    def _dir(self, controller: str) -> Path:
        return self.dirs[controller if self.layout.version == 1 else ""]

    def add(self, pid: int) -> None:
        """Move a process in (costly: keep it off the cold path)."""
        for path in self.dirs.values():
            (path / "cgroup.procs").write_text(str(pid))

    def set_limits(
        self, memory_mb: int, mb_per_cpu: int, pids_max: int, cpu_period_us: int, *, init_burst: bool = False
    ) -> None:
        """The function's limits; with `init_burst`, a CPU share of at least one full vCPU until `set_cpu`
        gives the function its own (its init phase: see LocalSandboxes._claim)."""
        writes = limit_writes(self.layout.version, memory_mb, mb_per_cpu, pids_max, cpu_period_us)
        if init_burst and memory_mb < mb_per_cpu:
            burst = limit_writes(self.layout.version, mb_per_cpu, mb_per_cpu, pids_max, cpu_period_us)
            writes = [w for w in writes if w[0] != "cpu"] + [w for w in burst if w[0] == "cpu"]
        self._write(writes)

    def set_cpu(self, memory_mb: int, mb_per_cpu: int, cpu_period_us: int) -> None:
        """The CPU share of `memory_mb` (the init phase's burst ends)."""
        writes = limit_writes(self.layout.version, memory_mb, mb_per_cpu, 0, cpu_period_us)
        self._write([w for w in writes if w[0] == "cpu"])

    def _write(self, writes: list[tuple[str, str, str]]) -> None:
        for controller, filename, value in writes:
            target = self._dir(controller) / filename
            try:
                target.write_text(value)
            except FileNotFoundError:
                if filename not in ("memory.memsw.limit_in_bytes", "memory.swap.max", "memory.swappiness"):
                    raise  # swap accounting may be compiled out; then there is no swap to turn off

    def procs(self) -> set[int]:
        pids: set[int] = set()
        for path in self.dirs.values():
            with contextlib.suppress(FileNotFoundError):
                pids.update(int(p) for p in (path / "cgroup.procs").read_text().split())
        return pids

    def has_processes(self) -> bool:
        return bool(self.procs())

    # --- the freezer ---

    def _freezer_file(self) -> tuple[Path, bytes, bytes]:
        """The freezer's control file, and what to write to it to freeze and to thaw."""
        if self.layout.version == 1:
            return self._dir("freezer") / "freezer.state", b"FROZEN", b"THAWED"
        return self._dir("") / "cgroup.freeze", b"1", b"0"

    def _write_freezer(self, freeze: bool) -> None:
        path, frozen, thawed = self._freezer_file()
        if self._freeze_fd is None:
            self._freeze_fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        os.pwrite(self._freeze_fd, frozen if freeze else thawed, 0)

    def freeze(self) -> None:
        """Ask the kernel to stop every task of the cgroup. It completes asynchronously (see `frozen`);
        a thaw meanwhile cancels it. Raises OSError where the cgroup has no freezer."""
        self._write_freezer(True)

    def thaw(self) -> None:
        """Let the cgroup's tasks run again (at once: nothing to wait for)."""
        self._write_freezer(False)

    def frozen(self) -> bool:
        """Whether every task of the cgroup is frozen (v2: `frozen 1` in cgroup.events; v1: FROZEN)."""
        try:
            if self.layout.version == 1:
                return (self._dir("freezer") / "freezer.state").read_text().strip() == "FROZEN"
            events = (self._dir("") / "cgroup.events").read_text().split("\n")
        except OSError:
            return False
        return "frozen 1" in events

    def _close_freezer(self) -> None:
        if self._freeze_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._freeze_fd)
            self._freeze_fd = None

    def kill_all(self, timeout: float = 5.0) -> bool:
        """SIGKILL every process until the cgroup is empty; True when it is. A frozen cgroup is thawed: on
        v1 a frozen task stays frozen, killed or not, until it is thawed."""
        kill_file = self.dirs.get("", Path("/nonexistent")) / "cgroup.kill"  # v2, Linux >= 5.14
        if kill_file.exists():
            with contextlib.suppress(OSError):
                kill_file.write_text("1")
        deadline = time.monotonic() + timeout
        while True:
            pids = self.procs()
            if not pids:
                return True
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if self.layout.freezes:
                with contextlib.suppress(OSError):
                    self.thaw()
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)

    def peak_memory_bytes(self) -> int:
        """The memory high-water mark. It is read after every invocation (Max Memory Used), so its file
        stays open: a read at offset 0 returns the current value, and costs ~1 us where opening the
        file each time cost tens of microseconds (more than the rest of the invoke's bookkeeping)."""
        if self._peak_fd is None:
            names = ("memory.max_usage_in_bytes",) if self.layout.version == 1 else ("memory.peak", "memory.current")
            for filename in names:
                with contextlib.suppress(OSError):
                    self._peak_fd = os.open(self._dir("memory") / filename, os.O_RDONLY | os.O_CLOEXEC)
                    break
            else:
                return 0
        assert self._peak_fd is not None
        with contextlib.suppress(OSError, ValueError):
            return int(os.pread(self._peak_fd, 64, 0))
        return 0

    def _close_peak(self) -> None:
        if self._peak_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._peak_fd)
            self._peak_fd = None

    def oom_kills(self) -> int:
        filename = "memory.oom_control" if self.layout.version == 1 else "memory.events"
        with contextlib.suppress(OSError):
            for line in (self._dir("memory") / filename).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def remove(self, kill: bool = True, timeout: float = 5.0) -> None:
        """Kill what is left and remove the directories (retrying while exiting tasks drain)."""
        self._close_peak()
        if kill:
            self.kill_all(timeout)
        self._close_freezer()
        deadline = time.monotonic() + timeout
        for path in self.dirs.values():
            while True:
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise
                    time.sleep(0.002)
