"""The order workflow: Map, JSONata, Choice, Parallel, Retry and Catch around two Lambda tasks.

Run by examples/demo.py against a running Overcast: creates the functions and the state machine,
runs one order that succeeds (after one retried gateway error) and one that is declined, and
prints the path each execution took through the states (`aws stepfunctions get-execution-history`
shows every event).
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "orders"
ROLE = "arn:aws:iam::000000000000:role/orders"


def _package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(HERE / "functions.py", "functions.py")
    return buffer.getvalue()


def deploy(lam: Any, sfn: Any) -> str:
    arns = {}
    for name, handler in (("price-item", "functions.price_item"), ("charge", "functions.charge")):
        created = lam.create_function(
            FunctionName=name, Runtime="python3.12", Role=ROLE, Handler=handler, Code={"ZipFile": _package()}
        )
        lam.get_waiter("function_active_v2").wait(FunctionName=name)
        arns[name] = created["FunctionArn"]
    definition = (HERE / "order.asl.json").read_text()
    definition = definition.replace("${PriceItemArn}", arns["price-item"]).replace("${ChargeArn}", arns["charge"])
    return str(sfn.create_state_machine(name="orders", definition=definition, roleArn=ROLE)["stateMachineArn"])


def run(sfn: Any, machine: str, name: str, order: dict[str, Any]) -> None:
    execution = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(order))["executionArn"]
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} did not finish in 60 s")
        time.sleep(0.2)
    print(f"  {name}: {described['status']}", end="  ")
    if described["status"] == "SUCCEEDED":
        print(f"output {described['output']}")
    else:
        print(f"error {described.get('error')}: {described.get('cause')}")
    events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    entered: dict[str, int] = {}  # what a reader needs from a history of a few dozen events
    failed = 0
    for event in events:
        if event["type"].endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            entered[name] = entered.get(name, 0) + 1
        elif event["type"] in ("TaskFailed", "LambdaFunctionFailed"):
            failed += 1
    print("    states: " + " > ".join(name + (f" x{n}" if n > 1 else "") for name, n in entered.items()))
    print(f"    {failed} task attempt{'s' if failed != 1 else ''} failed; {len(events)} history events in all")
