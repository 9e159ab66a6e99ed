"""Host capabilities: which kernel isolation features (cgroups v1/v2, namespaces, seccomp, root) exist here."""

from __future__ import annotations

import ctypes
import errno
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
    readonly_mounts: bool = False  # mount_setattr(2) (Linux >= 5.12): a mount tree made read-only at once
    layers: tuple[str, ...] = ()  # the isolation layers the sandboxes apply, as `overcast status` lists them

    @property
    def enforced(self) -> bool:
        """True when function limits can be enforced by the kernel, not only by rlimits."""
        return self.root and self.cgroup_version is not None and self.cgroup_writable and "mnt" in self.namespaces

    def describe(self) -> str:
        syscalls = "seccomp filter" if self.seccomp else "no seccomp filter (this kernel or architecture has none)"
        frozen = f"; idle instances frozen by {self.freezer}" if self.freezer else ""
        layers = "".join(f"; {layer}" for layer in self.layers)
        return f"{self._limits()}{layers}; {syscalls}{frozen}"

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
    return Isolation(os.geteuid() == 0, version, writable, namespaces, _seccomp(), readonly_mounts=_has_mount_setattr())


def _seccomp(status: Path = Path("/proc/self/status")) -> bool:
    """Whether the kernel has seccomp (its status lists the field) and Overcast a syscall table for this machine."""
    from overcast.functions.sandbox.seccomp import supported

    try:
        offered = any(line.startswith("Seccomp:") for line in status.read_text().splitlines())
    except OSError:
        return False
    return offered and supported(platform.machine())


def _has_mount_setattr() -> bool:
    """Whether the kernel has mount_setattr(2): asked with a bad descriptor, it answers EBADF (or
    EINVAL) if it exists, ENOSYS if not (EPERM where a seccomp filter refuses it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall(ctypes.c_long(442), ctypes.c_int(-1), ctypes.c_char_p(b""), ctypes.c_uint(0), None, ctypes.c_size_t(0))
    return ctypes.get_errno() not in (errno.ENOSYS, errno.EPERM)
