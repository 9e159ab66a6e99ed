"""Limits measured in the same run as the benchmarks, so ratios hold on any machine."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def python_startup_seconds(runs: int = 20) -> float:
    """Median wall time of `python -I -S -c pass` on the interpreter Overcast runs on."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)
