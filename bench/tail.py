"""The warm tail: a plain sequential loop of 1,000 `http.client` Invokes of a 1769 MB echo, as a user's script
sends them, beside the same loop on the minimal ASGI app: p50, p99 and p99.9 of each, and their ratios.

The raw-socket client of bench/invoke.py measures the server alone; this loop includes what a real client
does with Overcast's answer (http.client parses every header line), so both figures are printed. Each run
is a pair measured back to back with both servers up, the limit's loop then Overcast's: this VM's speed
drifts by 2x over minutes, and a limit measured minutes before Overcast's loop compared two machines.
The budget applies to each run's ratio.
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import time

from bench.invoke import ECHO, Overcast, _free_port, _line, _p, _wait_port

LOOP, WARMUP, RUNS = 1000, 300, 3
HEADERS = {"Content-Type": "application/json"}


def loop(port: int, path: str, count: int) -> list[float]:
    """Round-trip times of `count` sequential POSTs of `{}` on one keep-alive http.client connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    try:
        for _ in range(WARMUP):
            _post(connection, path)
        for _ in range(count):
            started = time.perf_counter()
            _post(connection, path)
            times.append(time.perf_counter() - started)
    finally:
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
            limits.append(loop(limit_port, "/", LOOP))
            runs.append(loop(oc.port, "/2015-03-31/functions/echo/invocations", LOOP))
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
