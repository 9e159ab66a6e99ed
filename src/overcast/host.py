"""Host capabilities: which kernel isolation features (cgroups v1/v2, namespaces, seccomp, root) exist here."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

_NAMESPACES = ("mnt", "pid", "net", "user", "uts", "ipc")


@dataclass(frozen=True, slots=True)
class Isolation:
    root: bool
    cgroup_version: int | None  # 2 (unified), 1 (legacy), or None
    cgroup_writable: bool
    namespaces: tuple[str, ...]
    seccomp: bool = False  # the kernel filters syscalls (and Overcast has this architecture's table)
    freezer: str | None = None  # how idle instances are frozen, once the sandboxes know (None: not said)

    @property
    def enforced(self) -> bool:
        """True when function limits can be enforced by the kernel, not only by rlimits."""
        return self.root and self.cgroup_version is not None and self.cgroup_writable and "mnt" in self.namespaces

    def describe(self) -> str:
        syscalls = "seccomp filter" if self.seccomp else "no seccomp filter (this kernel or architecture has none)"
        frozen = f"; idle instances frozen by {self.freezer}" if self.freezer else ""
        return f"{self._limits()}; {syscalls}{frozen}"

    def _limits(self) -> str:
        if self.enforced:
            return f"kernel-enforced: cgroups v{self.cgroup_version}, namespaces {', '.join(self.namespaces)}"
        missing = []
        if not self.root:
            missing.append("not running as root")
        if self.cgroup_version is None:
            missing.append("no cgroup filesystem")
        elif not self.cgroup_writable:
            missing.append("cgroups not writable")
        if "mnt" not in self.namespaces:
            missing.append("no mount namespaces")
        return "degraded to rlimits (" + "; ".join(missing) + ")"


def detect_isolation(cgroup_root: Path = Path("/sys/fs/cgroup")) -> Isolation:
    if (cgroup_root / "cgroup.controllers").exists():
        version: int | None = 2
    elif (cgroup_root / "memory").is_dir():
        version = 1
    else:
        version = None
    writable = version is not None and os.access(cgroup_root if version == 2 else cgroup_root / "memory", os.W_OK)
    namespaces = tuple(ns for ns in _NAMESPACES if Path(f"/proc/self/ns/{ns}").exists())
    return Isolation(os.geteuid() == 0, version, writable, namespaces, _seccomp())


def _seccomp(status: Path = Path("/proc/self/status")) -> bool:
    """Whether the kernel has seccomp (its status lists the field) and Overcast a syscall table for this machine."""
    from overcast.functions.sandbox.seccomp import supported

    try:
        offered = any(line.startswith("Seccomp:") for line in status.read_text().splitlines())
    except OSError:
        return False
    return offered and supported(platform.machine())
