"""The order workflow in the demo, as `overcast deploy` made it from examples/orders/template.yaml.

Run by examples/demo.py against a running Overcast: runs one order that succeeds (after one retried
gateway error) and one that is declined, and prints the path each execution took through the states
(`aws stepfunctions get-execution-history` shows every event).
"""

from __future__ import annotations

import json
import time
from typing import Any


def run(sfn: Any, machine: str, name: str, order: dict[str, Any]) -> None:
    execution = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(order))["executionArn"]
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} did not finish in 60 s")
        time.sleep(0.2)
    print(f"  {name} {json.dumps(order)}: {described['status']}", end="  ")
    if described["status"] == "SUCCEEDED":
        print(f"output {described['output']}")
    else:
        print(f"error {described.get('error')}: {described.get('cause')}")
    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    entered: dict[str, int] = {}  # what a reader needs from a history of a few dozen events
    failed = 0
    for event in events:
        if event["type"].endswith("StateEntered"):
            state = event["stateEnteredEventDetails"]["name"]
            entered[state] = entered.get(state, 0) + 1
        elif event["type"] in ("TaskFailed", "LambdaFunctionFailed"):
            failed += 1
    print("    states: " + " > ".join(state + (f" x{n}" if n > 1 else "") for state, n in entered.items()))
    print(f"    {failed} task attempt{'s' if failed != 1 else ''} failed; {len(events)} history events in all")
