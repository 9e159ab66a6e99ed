"""Confinement: a freshly forked instance process applies its sandbox plan to itself.

The plan (computed by Overcast's functions/sandbox/) is plain JSON: a new mount namespace with
its mounts, resource limits, the unprivileged uid/gid the function runs as, and the seccomp
filter (functions/sandbox/seccomp.py, as hex). Order matters: mounts and limits first (they need
root), then the uid, and the syscall filter very last (it forbids mount, and what follows it).
"""

from __future__ import annotations

import ctypes
import os
import resource
from typing import Any

CLONE_NEWNS = 0x00020000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str, target: str, fstype: str, flags: int, data: str = "") -> None:
    _check(
        _libc.mount(source.encode(), target.encode(), fstype.encode(), ctypes.c_ulong(flags), data.encode() or None),
        f"mount {source or fstype} on {target}",
    )


def die_with_parent(sig: int = 9) -> None:
    _libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


def apply(plan: dict[str, Any]) -> None:
    os.setsid()
    mounts: list[dict[str, Any]] = plan.get("mounts") or []
    if mounts:
        _apply_mounts(mounts)
    for name, soft, hard in plan.get("rlimits") or []:
        resource.setrlimit(getattr(resource, name), (soft, hard))
    uid, gid = plan.get("uid"), plan.get("gid")
    if gid is not None:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
    if uid is not None:
        os.setresuid(uid, uid, uid)
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if plan.get("cwd"):
        os.chdir(plan["cwd"])
    if plan.get("seccomp"):
        _filter_syscalls(bytes.fromhex(plan["seccomp"]))


class _SockFprog(ctypes.Structure):
    # A char pointer, so the bytes are pointed at as they are: no ctypes type is made in the child.
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def _filter_syscalls(program: bytes) -> None:
    """From here on this process, its children and what it execs run under the filter (struct
    sock_filter entries, 8 bytes each). no_new_privs first: without CAP_SYS_ADMIN the kernel
    requires it, and it stops a setuid program from shedding the filter's purpose."""
    fprog = _SockFprog(len(program) // 8, program)
    zero = ctypes.c_ulong(0)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), zero, zero, zero), "prctl(PR_SET_NO_NEW_PRIVS)")
    _check(
        _libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(fprog), zero, zero),
        "seccomp filter",
    )


def _apply_mounts(mounts: list[dict[str, Any]]) -> None:
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount("", "/", "", MS_REC | MS_PRIVATE)
    # Sources are opened (inside the new namespace) before anything is mounted, so a later mask
    # cannot hide them.
    sources = {m["source"]: os.open(m["source"], os.O_PATH) for m in mounts if m["kind"] == "bind"}
    for m in mounts:
        target = m["target"]
        os.makedirs(target, exist_ok=True)
        kind = m["kind"]
        if kind == "bind":
            _mount("/proc/self/fd/{}".format(sources[m["source"]]), target, "", MS_BIND | MS_REC)
            if m.get("readonly"):
                _mount("", target, "", MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        elif kind == "tmpfs":
            options = "size={}m,mode={}".format(m.get("size_mb", 1), m.get("mode", "0755"))
            _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)
            for sub in m.get("dirs") or []:
                os.makedirs(os.path.join(target, sub.lstrip("/")), exist_ok=True)
            if m.get("readonly"):
                _mount("", target, "", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, options)
        elif kind == "overlay":
            # overlayfs lists the top layer first; with no upper dir the mount is read-only.
            options = "lowerdir=" + ":".join(m["lowers"])
            _mount("overlay", target, "overlay", MS_NOSUID | MS_NODEV | MS_RDONLY, options)
        else:
            raise ValueError(f"unknown mount kind {kind!r}")
    for fd in sources.values():
        os.close(fd)
