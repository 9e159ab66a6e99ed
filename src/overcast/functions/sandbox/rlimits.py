"""Resource limits: the fallback when the kernel's cgroups are out of reach (not root, no cgroups).

RLIMIT_DATA bounds a process's private writable memory (heap and anonymous mmaps, Linux >= 4.7),
the closest per-process stand-in for a memory cgroup; RLIMIT_NPROC bounds processes of the
function's uid (only when it has one of its own); CPU share cannot be enforced this way.
"""

from __future__ import annotations

MB = 1024 * 1024
# Room for the interpreter's own heap, which a fork inherits before the handler allocates anything.
RUNTIME_ALLOWANCE_MB = 32


def fallback_rlimits(memory_mb: int, pids_max: int, own_uid: bool) -> list[tuple[str, int, int]]:
    data = (memory_mb + RUNTIME_ALLOWANCE_MB) * MB
    limits = [("RLIMIT_DATA", data, data), ("RLIMIT_CORE", 0, 0)]
    if own_uid:
        limits.append(("RLIMIT_NPROC", pids_max, pids_max))
    return limits


def enforced_rlimits() -> list[tuple[str, int, int]]:
    """Limits set even when cgroups enforce memory and pids: no core dumps, AWS's 1024 open files."""
    # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (file descriptors: 1,024)
    return [("RLIMIT_CORE", 0, 0), ("RLIMIT_NOFILE", 1024, 1024)]
