"""Mounts: the mount namespace plan of an instance (code at /var/task, layers at /opt, private /tmp).

The plan is data, applied inside the new process by runtime/python/confine.py:
- the code, read-only at /var/task;
- layers merged read-only at /opt, later layers overriding earlier ones as in AWS
  (https://docs.aws.amazon.com/lambda/latest/dg/adding-layers.html); overlayfs lists the top first;
- the runtime's AWS SDK (sandbox/sdks.py), read-only at /var/runtime, where there is one;
- one private tmpfs of EphemeralStorage MB ("scratch") whose two directories are bound at /tmp and
  /dev/shm: both are writable and together hold at most EphemeralStorage, as /tmp alone does on AWS
  (https://docs.aws.amazon.com/lambda/latest/dg/configuration-ephemeral-storage.html). AWS has no
  /dev/shm at all; a private one, counted against /tmp, keeps POSIX shared memory working without
  letting it reach the host's;
- every other mount read-only (the whole tree, recursively, where the kernel has mount_setattr):
  /var/tmp, /dev/shm of the host, /home... refuse writes with EROFS;
- a fresh procfs at /proc, mounted from inside the instance's PID namespace (only its own processes);
  without one, with hidepid=2: a function sees only processes of its own uid (and not its own forked
  children either, which setresuid made non-dumpable: the lesser evil than seeing every host process).
- Overcast's data dir masked, so no function sees another's code or the store;
- directories only root can traverse (e.g. /root holding a pyenv interpreter) masked, with the
  revealed paths (the interpreter's prefix) bound read-only inside, so the function's uid can import the stdlib.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

TASK_ROOT = Path("/var/task")
OPT = Path("/opt")
RUNTIME_DIR = Path("/var/runtime")
TMP = Path("/tmp")
SHM = Path("/dev/shm")
PROC = Path("/proc")


def _blocking_ancestor(path: Path) -> Path | None:
    """The outermost ancestor of `path` that others cannot traverse, if any."""
    for parent in reversed(path.parents):
        if parent == Path("/"):
            continue
        try:
            mode = parent.stat().st_mode
        except OSError:
            return None
        if not mode & stat.S_IXOTH:
            return parent
    return None


def mount_plan(
    code_dir: Path,
    layer_dirs: tuple[Path, ...],
    ephemeral_storage_mb: int,
    masked: tuple[Path, ...],
    reveal: tuple[Path, ...] = (),
    *,
    readonly_root: bool = False,
    pid_namespace: bool = False,
    runtime_dir: Path | None = None,
) -> list[dict[str, Any]]:
    """The mounts, in order. `readonly_root`: end by making every mount but the scratch read-only
    (needs mount_setattr, Linux >= 5.12). `pid_namespace`: the instance has its own. `runtime_dir`: the
    host directory seen read-only at /var/runtime (the runtime's SDK)."""
    scratch = [str(TMP), str(SHM)] if SHM.parent.is_dir() else [str(TMP)]
    plan: list[dict[str, Any]] = [
        {"kind": "bind", "source": str(code_dir), "target": str(TASK_ROOT), "readonly": True},
        {"kind": "scratch", "targets": scratch, "size_mb": ephemeral_storage_mb, "mode": "1777"},
    ]
    if len(layer_dirs) == 1:
        plan.append({"kind": "bind", "source": str(layer_dirs[0]), "target": str(OPT), "readonly": True})
    elif layer_dirs:
        plan.append({"kind": "overlay", "lowers": [str(d) for d in reversed(layer_dirs)], "target": str(OPT)})
    else:
        plan.append({"kind": "tmpfs", "target": str(OPT), "size_mb": 1, "mode": "0755", "readonly": True})
    if runtime_dir is not None:
        plan.append({"kind": "bind", "source": str(runtime_dir), "target": str(RUNTIME_DIR), "readonly": True})
    for path in masked:
        covered = path in (TMP, SHM, OPT) or TMP in path.parents or SHM in path.parents  # by the scratch
        if path.is_dir() and not covered:
            plan.append({"kind": "tmpfs", "target": str(path), "size_mb": 1, "mode": "0755", "readonly": True})
    masks: dict[Path, list[str]] = {}
    for path in reveal:
        blocking = _blocking_ancestor(path)
        if blocking is not None:
            masks.setdefault(blocking, []).append(str(path.relative_to(blocking)))
    for blocking, inside in masks.items():
        plan.append({"kind": "tmpfs", "target": str(blocking), "size_mb": 1, "mode": "0755", "dirs": inside})
    for path in reveal:
        # Revealed paths under /tmp (Overcast installed or cloned there) are hidden by the private
        # /tmp like everything else there, so they are bound back too.
        if _blocking_ancestor(path) is not None or TMP in path.parents:
            plan.append({"kind": "bind", "source": str(path), "target": str(path), "readonly": True})
    if readonly_root:
        plan.append({"kind": "readonly", "target": "/", "except": scratch})
    # Last, so that it stays writable where procfs allows it (/proc/self/...) and nothing covers it.
    plan.append({"kind": "proc", "target": str(PROC), "options": "" if pid_namespace else "hidepid=2"})
    return plan


def real_prefix(interpreter: Path) -> Path:
    """The installation prefix of an interpreter binary (…/bin/python3.X -> …)."""
    return Path(os.path.realpath(interpreter)).parent.parent
