"""Server start-up: time from `overcast up` to ready, and idle RSS of the whole process tree."""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.limits import python_startup_seconds

READY_BUDGET_SECONDS = 1.0
RSS_BUDGET_BYTES = 150 * 1024 * 1024


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


def run(runs: int = 5) -> None:
    limit = python_startup_seconds()
    ready: list[float] = []
    rss = count = 0
    with tempfile.TemporaryDirectory(prefix="overcast-bench-") as tmp:
        for index in range(runs):
            process, elapsed = _start(Path(tmp) / f"data{index}")
            ready.append(elapsed)
            if index == runs - 1:
                time.sleep(1.0)  # let it settle to idle
                rss, count = tree_rss(process.pid)
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
    median = statistics.median(ready)
    print("== server start-up ==")
    print(f"limit: python -I -S -c pass          {limit * 1000:8.1f} ms")
    print(
        f"overcast up -> ready (median of {runs})   {median * 1000:8.1f} ms"
        f"  = {median / limit:5.1f} x limit   budget < {READY_BUDGET_SECONDS * 1000:.0f} ms:"
        f" {'OK' if median < READY_BUDGET_SECONDS else 'OVER'}"
    )
    print(
        f"idle RSS, whole tree ({count} processes)   {rss / 2**20:8.1f} MB"
        f"  budget < {RSS_BUDGET_BYTES / 2**20:.0f} MB: {'OK' if rss < RSS_BUDGET_BYTES else 'OVER'}"
    )
