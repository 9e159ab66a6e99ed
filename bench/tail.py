"""The warm tail: a plain sequential loop of 1,000 `http.client` Invokes of a 1769 MB echo, as a user's script
sends them, beside the same loop on the minimal ASGI app: p50, p99 and p99.9 of each, and their ratios.

The raw-socket client of bench/invoke.py measures the server alone; this loop includes what a real client
does with Overcast's answer (http.client parses every header line), so both figures are printed. Each run
is a pair of loops with both servers up, taking turns every 100 requests: this VM's speed drifts by 2x over
minutes, and back-to-back loops of 1,000 saw the limit's p50 move from 0.17 to 0.35 ms between runs while
Overcast's stayed at 0.6-0.7 ms. Turns of one request each were tried and left: each server then ran
cold after the other, which slowed the limit's p50 by ~25 % and Overcast's by ~10 %, flattering the ratio.
The budget applies to each run's ratio.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import time

from bench.invoke import ECHO, Overcast, _free_port, _line, _p, _wait_port

LOOP, WARMUP, RUNS, BLOCK = 1000, 300, 3, 100
HEADERS = {"Content-Type": "application/json"}


def loops(targets: list[tuple[int, str]], count: int) -> list[list[float]]:
    """Round-trip times of `count` sequential POSTs of `{}` to each target, each on one keep-alive http.client
    connection, the targets taking turns every BLOCK requests: both loops see the same minutes of the machine,
    and each runs BLOCK requests in a row, warm, as a loop of its own would."""
    connections = [(http.client.HTTPConnection("127.0.0.1", port), path) for port, path in targets]
    times: list[list[float]] = [[] for _ in targets]
    try:
        for connection, path in connections:
            for _ in range(WARMUP):
                _post(connection, path)
        for _ in range(0, count, BLOCK):
            for (connection, path), measured in zip(connections, times, strict=True):
                for _ in range(BLOCK):
                    started = time.perf_counter()
                    _post(connection, path)
                    measured.append(time.perf_counter() - started)
    finally:
        for connection, _ in connections:
            connection.close()
    return times


def _post(connection: http.client.HTTPConnection, path: str) -> None:
    connection.request("POST", path, b"{}", HEADERS)
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, (response.status, body)


def run() -> None:
    print("\n== Lambda invoke: the warm tail of a sequential http.client loop ==")
    limit_port = _free_port()
    minimal = subprocess.Popen([sys.executable, "-m", "bench.minimal_asgi", str(limit_port)])
    oc = Overcast()
    limits, runs = [], []
    try:
        _wait_port(limit_port)
        oc.create("echo", ECHO, memory=1769)
        oc.invoke("echo", {})
        for _ in range(RUNS):
            limit, warm = loops([(limit_port, "/"), (oc.port, "/2015-03-31/functions/echo/invocations")], LOOP)
            limits.append(limit)
            runs.append(warm)
    finally:
        oc.stop()
        minimal.terminate()
        minimal.wait()
    budgets = {0.5: 2.5, 0.99: 8.0, 0.999: None}
    for index, (limit, warm) in enumerate(zip(limits, runs, strict=True), 1):
        print(
            f"run {index}: limit (minimal ASGI, same loop) p50 {_p(limit, 0.5) * 1e3:.3f} ms,"
            f" p99 {_p(limit, 0.99) * 1e3:.3f} ms, p99.9 {_p(limit, 0.999) * 1e3:.3f} ms"
        )
        for q, budget in budgets.items():
            ratio = _p(warm, q) / _p(limit, q)
            label = f"  {LOOP} http.client Invokes p{q * 100:g}"
            value = f"{_p(warm, q) * 1e3:.3f} ms"
            if budget is None:
                print(f"{label:<46} {value:>14}  = {ratio:6.2f} x limit")
            else:
                _line(label, value, ratio, f"<= {budget:g} x", ratio <= budget)


if __name__ == "__main__":
    run()
