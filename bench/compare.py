"""Two source trees of Overcast compared on warm invokes, in alternating rounds: `python -m bench.compare OLD NEW`.

OLD and NEW are `src` directories, e.g. of a worktree at the commit to compare against (`git worktree
add /tmp/base <commit>`, then `python -m bench.compare /tmp/base/src src`); a third argument sets the
number of rounds (5). Both
servers run at once and are measured in alternating rounds (latency on one keep-alive client,
then throughput with 8 clients), so the drift of this VM's speed, which moves single
measurements by 20-40 %, hits both alike. A change worth a few percent needs this: measured one
after the other, it is lost in the noise.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile

import boto3
from botocore.config import Config

from bench.invoke import ECHO, Overcast, _invoke_raw, _p, _throughput, interleaved


class TreeOvercast(Overcast):
    """`overcast up` importing Overcast from the source tree `src` (PYTHONPATH), not the installed one."""

    def __init__(self, src: str) -> None:
        self.tmp = tempfile.mkdtemp(prefix="overcast-compare-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "overcast", "up", "--port", "0", "--data-dir", f"{self.tmp}/data"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONPATH": os.path.abspath(src)},
            cwd=tempfile.gettempdir(),  # so that the working directory's packages do not shadow it
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("Overcast ready on "):
            raise SystemExit(f"overcast up from {src} failed: {line!r}")
        self.url = line.removeprefix("Overcast ready on ").strip()
        self.port = int(self.url.rsplit(":", 1)[1])
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        self.lam = boto3.client(
            "lambda", endpoint_url=self.url, region_name="us-east-1", config=Config(retries={"max_attempts": 1})
        )


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    trees = {"old": sys.argv[1], "new": sys.argv[2]}
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    servers: dict[str, TreeOvercast] = {}
    try:
        for name, src in trees.items():
            servers[name] = TreeOvercast(src)
            servers[name].create("echo", ECHO, memory=1769)
            servers[name].invoke("echo", {})
        targets = {name: (server.port, _invoke_raw("echo")) for name, server in servers.items()}
        latency = interleaved(targets, rounds, 500)
        throughput: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(rounds):
            for name, target in targets.items():
                throughput[name].append(_throughput(*target))
        for name, src in trees.items():
            p50, p99 = _p(latency[name], 0.5), _p(latency[name], 0.99)
            print(
                f"{name} ({src}): warm invoke p50 {p50 * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms,"
                f" throughput median {statistics.median(throughput[name]):,.0f} req/s"
                f" ({', '.join(f'{x:,.0f}' for x in throughput[name])})"
            )
    finally:
        for server in servers.values():
            server.stop()


if __name__ == "__main__":
    main()
