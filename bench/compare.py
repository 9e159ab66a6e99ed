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

import statistics
import sys

from bench.invoke import ECHO, Overcast, _invoke_raw, _p, _throughput, interleaved


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    trees = {"old": sys.argv[1], "new": sys.argv[2]}
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    servers: dict[str, Overcast] = {}
    try:
        for name, src in trees.items():
            servers[name] = Overcast(src)
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
