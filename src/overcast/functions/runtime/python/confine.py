"""Confinement: a freshly forked instance process applies its sandbox plan to itself.

The plan (computed by Overcast's functions/sandbox/) is plain JSON: new namespaces (mount, and IPC
and PID where asked) with its mounts, resource limits, the unprivileged uid/gid the function runs
as, and the seccomp filter (functions/sandbox/seccomp.py, as hex). Order matters: namespaces,
mounts and limits first (they need root), then the uid, and the syscall filter very last (it
forbids mount, and what follows it).

With a PID namespace an instance is three processes, because unshare(CLONE_NEWPID) moves only the
caller's children into the new namespace:
- the relay, the process Overcast forked and tracks (its pid, its exit status, its session): it
  waits outside the namespace and dies as the runtime died (the same exit status, or the same signal);
- the init, pid 1 inside: it forks the runtime, reaps the orphans the function leaves, and once the
  runtime has ended hands its wait status to the relay and exits, which kills whatever the function
  left running;
- the runtime, pid 2: it waits to be claimed, then applies the plan (its procfs shows the namespace),
  drops to the function's uid and runs.
A pid 1 cannot be killed by a signal sent from inside its namespace, itself included: the relay
outside is what lets a runtime killed by SIGKILL still be reported "signal: killed", as AWS does.
The three are made by `prepare`, while the vessel waits in the pool (after it is placed in its
cgroup, so that the two forks land there too), not on the cold start's path: a fork is ~1 ms on a
quiet host, and a new process may wait far longer for a CPU on a busy one.

With "net", `prepare` first enters a new network namespace (0.5-15 ms, so in the pool too), brings
its loopback up and binds the listeners Overcast asked for on 127.0.0.1 inside it (the Runtime API
at 9001, Overcast's endpoint, the internet proxy): it hands them to Overcast (functions/sandbox/
network.py), which serves them. Nothing else is reachable from the namespace: it has no other
interface, and the abstract Unix sockets of the host are in the host's namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import resource
import signal
import socket
import struct
from typing import Any, NoReturn

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 1
IFREQ = struct.Struct("16sH14x")  # struct ifreq: the interface's name, then (here) its flags
NAMESPACE_FLAGS = {"ipc": CLONE_NEWIPC}
MS_NOEXEC = 8
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
# mount_setattr(2), Linux >= 5.12: one number on every architecture (added after the tables were unified).
SYS_MOUNT_SETATTR = 442
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 1
STATUS = struct.Struct("i")  # a wait status, from the init to the relay

_libc = ctypes.CDLL(None, use_errno=True)


class _MountAttr(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in ("attr_set", "attr_clr", "propagation", "userns_fd")]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str, target: str, fstype: str, flags: int, data: str = "") -> None:
    _check(
        _libc.mount(source.encode(), target.encode(), fstype.encode(), ctypes.c_ulong(flags), data.encode() or None),
        f"mount {source or fstype} on {target}",
    )


def _mount_setattr(path: str, *, recursive: bool, attr_set: int = 0, attr_clr: int = 0) -> None:
    attr = _MountAttr(attr_set, attr_clr, 0, 0)
    flags = AT_RECURSIVE if recursive else 0
    result = _libc.syscall(
        ctypes.c_long(SYS_MOUNT_SETATTR),
        ctypes.c_int(AT_FDCWD),
        ctypes.c_char_p(path.encode()),
        ctypes.c_uint(flags),
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
    )
    _check(result, f"mount_setattr {path}")


def die_with_parent(sig: int = 9) -> None:
    _libc.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)


_prepared = False  # whether `prepare` made this process's session (and its PID namespace)


def prepare(namespaces: list[str], ports: list[int] | None = None) -> list[socket.socket]:
    """Before the vessel is claimed: lead a new session; with "net", enter a new network namespace and
    listen on 127.0.0.1:`ports` inside it; with "pid", enter a new PID namespace. Returns the
    listeners, in the process that is to be claimed (with a PID namespace, a grandchild)."""
    global _prepared
    os.setsid()
    _prepared = True
    listeners = _enter_net_namespace(ports or []) if "net" in namespaces else []
    if "pid" in namespaces:
        _become_init(_enter_pid_namespace())
    return listeners


def _enter_net_namespace(ports: list[int]) -> list[socket.socket]:
    """A network namespace of this process's own, its loopback up, a listener on each port in it."""
    _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
        _name, flags = IFREQ.unpack(fcntl.ioctl(control, SIOCGIFFLAGS, IFREQ.pack(b"lo", 0)))
        fcntl.ioctl(control, SIOCSIFFLAGS, IFREQ.pack(b"lo", flags | IFF_UP))
    listeners = []
    for port in ports:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(128)
        listeners.append(listener)
    return listeners


def apply(plan: dict[str, Any]) -> None:
    if not _prepared:
        os.setsid()
    namespaces: list[str] = plan.get("namespaces") or []
    mounts: list[dict[str, Any]] = plan.get("mounts") or []
    if mounts:
        flags = 0
        for name in namespaces:
            flags |= NAMESPACE_FLAGS.get(name, 0)
        _apply_mounts(mounts, flags)
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


def _enter_pid_namespace() -> int:
    """Fork the init of a new PID namespace, this process staying outside as the relay (it never
    returns here). Returns, in the init, the pipe it hands the runtime's wait status to the relay on."""
    _check(_libc.unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)")
    status_r, status_w = os.pipe()
    init = os.fork()
    if init:
        os.close(status_w)
        _relay(init, status_r)
    os.close(status_r)
    die_with_parent()  # the relay killed (Overcast's kill without a cgroup): the namespace goes too
    return status_w


def _relay(init: int, status_r: int) -> NoReturn:
    _hold_nothing(status_r)
    data = b""
    while len(data) < STATUS.size and (chunk := os.read(status_r, STATUS.size - len(data))):
        data += chunk
    _pid, init_status = os.waitpid(init, 0)
    _die_as(STATUS.unpack(data)[0] if len(data) == STATUS.size else init_status)


def _die_as(status: int) -> NoReturn:
    """Exit with the status a runtime ended with: its exit code, or the signal that killed it."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the runtime has dumped already, if it could
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [number])
        os.kill(os.getpid(), number)
        os._exit(128 + number)  # a signal whose default is not to terminate
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _become_init(status_w: int) -> None:
    """As pid 1: fork the runtime (it returns from here) and reap until it ends."""
    runtime = os.fork()
    if runtime == 0:
        os.close(status_w)
        return
    _hold_nothing(status_w)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(1)
        if pid == runtime:
            os.write(status_w, STATUS.pack(status))
            os._exit(0)  # the kernel kills what is left in the namespace


def _hold_nothing(keep: int) -> None:
    """Close every descriptor but `keep`: the channel and the output pipes end with the runtime's."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    close_all_but({0, 1, 2, keep})


def close_all_but(keep: set[int]) -> None:
    """Close every descriptor of this process but those in `keep`."""
    for name in os.listdir("/proc/self/fd"):
        if int(name) not in keep:
            with contextlib.suppress(OSError):
                os.close(int(name))


def _apply_mounts(mounts: list[dict[str, Any]], flags: int) -> None:
    _check(_libc.unshare(CLONE_NEWNS | flags), "unshare(CLONE_NEWNS)")
    _mount("", "/", "", MS_REC | MS_PRIVATE)
    # Sources are opened (inside the new namespace) before anything is mounted, so a later mask
    # cannot hide them.
    sources = {m["source"]: os.open(m["source"], os.O_PATH) for m in mounts if m["kind"] == "bind"}
    for m in mounts:
        kind = m["kind"]
        target = m.get("target", "")
        if target:
            os.makedirs(target, exist_ok=True)
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
        elif kind == "scratch":
            _mount_scratch(m["targets"], m["size_mb"], int(m["mode"], 8))
        elif kind == "readonly":
            _mount_setattr(target, recursive=True, attr_set=MOUNT_ATTR_RDONLY)
            for path in m.get("except") or []:
                _mount_setattr(path, recursive=False, attr_clr=MOUNT_ATTR_RDONLY)
        elif kind == "proc":
            _mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, m.get("options", ""))
        else:
            raise ValueError(f"unknown mount kind {kind!r}")
    for fd in sources.values():
        os.close(fd)


def _mount_scratch(targets: list[str], size_mb: int, mode: int) -> None:
    """One tmpfs of `size_mb`, mounted at the first target; one directory of it bound at each
    target, so that together they hold at most `size_mb`. The first is bound last: it covers the
    tmpfs's own root (where the other directories are), which nothing can reach after."""
    first = targets[0]
    _mount("tmpfs", first, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_mb}m,mode=0700")
    directories = []
    for n, target in enumerate(targets):
        directory = os.path.join(first, f".{n}")
        os.mkdir(directory)
        os.chmod(directory, mode)
        directories.append((directory, target))
    for directory, target in reversed(directories):
        os.makedirs(target, exist_ok=True)
        _mount(directory, target, "", MS_BIND)
