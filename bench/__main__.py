"""`python -m bench [NAME ...]` (`make bench`): run the benchmarks (all, or those named) and print their ratios."""

import sys

from bench import deploy, gateway, invoke, isolation, queues, startup, tail, workflows

BENCHMARKS = {
    "startup": startup.run,
    "invoke": invoke.run,
    "tail": tail.run,
    "isolation": isolation.run,
    "workflows": workflows.run,
    "gateway": gateway.run,
    "deploy": deploy.run,
    "queues": queues.run,
}

for name in sys.argv[1:] or list(BENCHMARKS):
    BENCHMARKS[name]()
