"""Server start-up: time from `overcast up` to ready, and idle RSS of the whole process tree.

Budgets from ARCHITECTURE ("Performance budgets"): ready in < 0.5 s, an idle tree under 100 MB,
nothing started before it is needed. Each run starts a fresh server on a fresh data dir; the
spread across runs is printed with the median, because other work on the machine moves the wall
time (the CPU time the server spent until ready moves much less, so it is printed too).

Overcast's bytecode is compiled first, as any run does for the next one, or a wheel's install:
where PYTHONDONTWRITEBYTECODE is set (this VM sets it), nothing else would, and every start would
compile each module of the package again (~0.2 s here), which is not a cost a user's start pays.
"""

from __future__ import annotations

import compileall
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

import overcast
from bench.limits import python_startup_seconds

READY_BUDGET_SECONDS = 0.5
RSS_BUDGET_BYTES = 100 * 1024 * 1024
SETTLE_SECONDS = 1.0  # idle time before the tree's RSS is read


def _start(data_dir: Path) -> tuple[subprocess.Popen[str], float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "overcast", "up", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    if not line.startswith("Overcast ready on "):
        process.kill()
        raise SystemExit(f"overcast up failed to start: {line!r}")
    return process, elapsed


def tree_rss(pid: int) -> tuple[int, int]:
    root = psutil.Process(pid)
    processes = [root, *root.children(recursive=True)]
    return sum(p.memory_info().rss for p in processes), len(processes)


def _spread(values: list[float], scale: float, unit: str) -> str:
    return f"{min(values) * scale:.0f}-{max(values) * scale:.0f} {unit}"


def run(runs: int = 7) -> None:
    compileall.compile_dir(str(Path(overcast.__file__).parent), quiet=1)
    limit = python_startup_seconds()
    ready: list[float] = []
    cpu: list[float] = []
    rss: list[float] = []
    count = 0
    with tempfile.TemporaryDirectory(prefix="overcast-bench-") as tmp:
        for index in range(runs):
            process, elapsed = _start(Path(tmp) / f"data{index}")
            times = psutil.Process(process.pid).cpu_times()
            ready.append(elapsed)
            cpu.append(times.user + times.system)
            time.sleep(SETTLE_SECONDS)
            size, count = tree_rss(process.pid)
            rss.append(size)
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
    median, idle = statistics.median(ready), statistics.median(rss)
    print("== server start-up ==")
    print(f"limit: python -I -S -c pass          {limit * 1000:8.1f} ms")
    print(
        f"overcast up -> ready (median of {runs})   {median * 1000:8.1f} ms"
        f"  = {median / limit:5.1f} x limit   budget < {READY_BUDGET_SECONDS * 1000:.0f} ms:"
        f" {'OK' if median < READY_BUDGET_SECONDS else 'OVER'}   (runs: {_spread(ready, 1000, 'ms')})"
    )
    print(
        f"  CPU time of the server until ready   {statistics.median(cpu) * 1000:8.1f} ms"
        f"  (runs: {_spread(cpu, 1000, 'ms')})"
    )
    print(
        f"idle RSS, whole tree ({count} processes)   {idle / 2**20:8.1f} MB"
        f"  budget < {RSS_BUDGET_BYTES / 2**20:.0f} MB: {'OK' if idle < RSS_BUDGET_BYTES else 'OVER'}"
        f"   (runs: {_spread(rss, 2**-20, 'MB')})"
    )
