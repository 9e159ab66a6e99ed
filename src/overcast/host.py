"""Host capabilities and the isolation layers in force: cgroups, namespaces, uid, seccomp, freezer.

`Isolation` is what this host offers (`detect_isolation`) and, once the sandboxes have set up, what
instances really get: `layers()` lists every layer `overcast status` names (cgroup, mount, ipc,
pid, network, user, seccomp, freezer), each in force or not, and why not.
"""

from __future__ import annotations

import ctypes
import errno
import os
from dataclasses import dataclass
from pathlib import Path

_NAMESPACES = ("mnt", "pid", "net", "user", "uts", "ipc")


@dataclass(frozen=True, slots=True)
class Layer:
    """One isolation layer of function instances: in force or not, and what it does or what is missing."""

    name: str  # cgroup, mount, ipc, pid, network, user, seccomp, freezer
    in_force: bool
    detail: str

    def describe(self) -> str:
        return f"{self.name}: {self.detail}"

    def as_dict(self) -> dict[str, object]:
        return {"layer": self.name, "in_force": self.in_force, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Isolation:
    root: bool
    cgroup_version: int | None  # 2 (unified), 1 (legacy), or None
    cgroup_writable: bool
    namespaces: tuple[str, ...]
    seccomp: bool = False  # the kernel has seccomp (and, as the sandboxes report it, Overcast a table for this machine)
    freezer: str | None = None  # how idle instances are frozen, once the sandboxes know (None: not said)
    internet: bool = True  # whether instances with a network namespace reach the internet (by the proxy)
    readonly_mounts: bool = False  # mount_setattr(2) (Linux >= 5.12): a mount tree made read-only at once

    @property
    def confined(self) -> bool:
        """Whether instances get a mount namespace and a uid of their own (root, and mount namespaces)."""
        return self.root and "mnt" in self.namespaces

    @property
    def instance_namespaces(self) -> tuple[str, ...]:
        """The namespaces a confined instance takes besides its mount namespace, where the host has them."""
        return tuple(ns for ns in ("ipc", "pid", "net") if self.confined and ns in self.namespaces)

    @property
    def readonly_root(self) -> bool:
        """Whether a confined instance sees everything but /tmp and /dev/shm read-only."""
        return self.confined and self.readonly_mounts

    @property
    def enforced(self) -> bool:
        """True when function limits can be enforced by the kernel, not only by rlimits."""
        return self.root and self.cgroup_version is not None and self.cgroup_writable and "mnt" in self.namespaces

    def layers(self) -> tuple[Layer, ...]:
        """Every layer, in the order `overcast status` lists them."""
        cgroup = (
            Layer("cgroup", True, f"memory, CPU share and pids of each instance (cgroups v{self.cgroup_version})")
            if self.enforced
            else Layer("cgroup", False, f"none, {self._limits()}")
        )
        user = (
            Layer("user", True, "each function runs as its own unprivileged uid")
            if self.root
            else Layer("user", False, "none (not running as root): functions run as Overcast's own user")
        )
        seccomp = (
            Layer("seccomp", True, "a syscall filter at least as strict as Docker's default profile")
            if self.seccomp
            else Layer("seccomp", False, "none (this kernel or architecture has no seccomp Overcast can use)")
        )
        if self.freezer:
            freezer = Layer("freezer", True, f"idle instances frozen by {self.freezer}")
        else:  # the sandboxes say how, once they have set up
            freezer = Layer("freezer", False, "not known until Overcast sets up its sandboxes")
        return (cgroup, *self._namespaces(), self._network(), user, seccomp, freezer)

    def _network(self) -> Layer:
        if "net" not in self.instance_namespaces:
            missing = "no network namespaces" if self.confined else "needs root and mount namespaces"
            shared = "instances share the host's network and its loopback ports"
            return Layer("network", False, f"none ({missing}): {shared}")
        reach = "the internet through Overcast's proxy" if self.internet else "no internet (function_internet off)"
        inside = "only its loopback (its Runtime API), Overcast's endpoint and"
        return Layer("network", True, f"own namespace: {inside} {reach}")

    def _namespaces(self) -> tuple[Layer, ...]:
        """The mount, IPC and PID layers: the sandboxes use each namespace the host has, given root."""
        if not self.confined:
            shared = "none (needs root and mount namespaces): /tmp, /dev/shm and the host are shared"
            return (Layer("mount", False, shared), Layer("ipc", False, "none"), Layer("pid", False, "none"))
        rest = "read-only" if self.readonly_root else "writable (no mount_setattr: Linux < 5.12)"
        mount = Layer("mount", True, f"/tmp + /dev/shm one private tmpfs of EphemeralStorage, the rest {rest}")
        ipc = (
            Layer("ipc", True, "own namespace")
            if "ipc" in self.instance_namespaces
            else Layer("ipc", False, "shared with the host (no IPC namespaces)")
        )
        pid = (
            Layer("pid", True, "own namespace and /proc")
            if "pid" in self.instance_namespaces
            else Layer("pid", False, "none (no PID namespaces); /proc shows only the function's own uid")
        )
        return (mount, ipc, pid)

    def describe(self) -> str:
        """One line: kernel-enforced or degraded, then each layer."""
        head = "kernel-enforced" if self.enforced else self._limits()
        return "; ".join([head, *(layer.describe() for layer in self.layers())])

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
    """Whether the kernel has seccomp (its status lists the field). Whether Overcast has a syscall table
    for this machine is the sandboxes' to say (functions/sandbox/seccomp.py `supported`)."""
    try:
        return any(line.startswith("Seccomp:") for line in status.read_text().splitlines())
    except OSError:
        return False


def _has_mount_setattr() -> bool:
    """Whether the kernel has mount_setattr(2): asked with a bad descriptor, it answers EBADF (or
    EINVAL) if it exists, ENOSYS if not (EPERM where a seccomp filter refuses it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall(ctypes.c_long(442), ctypes.c_int(-1), ctypes.c_char_p(b""), ctypes.c_uint(0), None, ctypes.c_size_t(0))
    return ctypes.get_errno() not in (errno.ENOSYS, errno.EPERM)
