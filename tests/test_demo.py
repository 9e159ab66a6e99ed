"""`make demo` end to end: it deploys the two SAM apps with `overcast deploy`, uses them, deletes them, and
cleans up after itself however it ends (finished, or Ctrl-C in the middle)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).parent.parent
# The command `make demo` runs, with the interpreter this suite runs in (the same .venv).
DEMO = [sys.executable, "examples/demo.py"]
STARTED = re.compile(r"Overcast is up at (http://\S+) after \d+ ms, data dir (\S+)")


def test_make_demo_runs_the_demo_script() -> None:
    assert "demo: install\n\t$(PY) examples/demo.py\n" in (ROOT / "Makefile").read_text()


def _gone(url: str, data_dir: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.TransportError:
        return not Path(data_dir).exists()
    return False


def test_the_demo_deploys_both_apps_exercises_them_and_leaves_nothing() -> None:
    done = subprocess.run(DEMO, cwd=ROOT, capture_output=True, text=True, timeout=170)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    # Both apps deployed by `overcast deploy`, its change set, progress and Outputs shown.
    assert "$ overcast deploy -t" in out and "--stack-name greetings" in out and "--stack-name orders" in out
    assert out.count("CloudFormation stack changeset") == 2
    assert "AWS::ApiGatewayV2::Api" in out and "AWS::StepFunctions::StateMachine" in out
    assert "Successfully created/updated stack - greetings" in out
    assert "Successfully created/updated stack - orders" in out
    assert "GreetingUrl" in out and "OrderStateMachineArn" in out
    # The API: the authorizer refuses no token (401) and a wrong one (403), and lets the right one in.
    assert re.search(r"no Authorization header +-> 401 \{\"message\":\"Unauthorized\"\}", out)
    assert re.search(r"Bearer guess +-> 403 \{\"message\":\"Forbidden\"\}", out)
    assert re.search(r"Bearer let-me-in +-> 200 \{\"message\": \"Hello, me!\".*\"caller\": \"demo-user\"", out)
    assert re.search(r"Bearer let-me-in +-> 200 \{\"message\": \"Hello, path!\"", out)
    # 30 requests back to back against 10/s with a burst of 5: most are throttled, as the stage says.
    throttle = re.search(r"(\d+) answered 200, (\d+) answered 429 \{\"message\":\"Too Many Requests\"\}", out)
    assert throttle is not None and int(throttle[1]) + int(throttle[2]) == 30 and int(throttle[2]) > 0
    # The orders: one succeeds after a retried gateway error, one is declined.
    assert "order-1" in out and 'SUCCEEDED  output [{"charged":30' in out
    shipped = "PriceLines > PriceItem x2 > AddUp > IsEmpty > ChargeAndReserve > Charge > Reserve > Shipped"
    assert f"{shipped}\n    1 task attempt failed" in out  # the busy gateway's error, retried
    assert "FAILED  error OrderDeclined: The card was declined." in out
    assert "> Declined" in out
    # Both stacks deleted by `overcast delete`, and nothing they made remains.
    assert "Deleted successfully: stack greetings" in out and "Deleted successfully: stack orders" in out
    assert "left: 0 stacks, 0 functions, 0 HTTP APIs, 0 state machines, 0 roles" in out
    # Only the log groups Lambda made at the functions' first invocations stay, as on AWS.
    assert "kept, as AWS keeps it: the log group /aws/lambda/orders-ChargeFunction-" in out
    # The Lambda API with boto3, then the server stopped and its data dir removed.
    assert 'StatusCode=200  Payload={"message": "Hello, Overcast!"}' in out
    assert "ResourceNotFoundException: Function not found" in out
    started = STARTED.search(out)
    assert started is not None and _gone(started[1], started[2])


def test_ctrl_c_during_a_deploy_stops_overcast_and_removes_its_data_dir() -> None:
    # Ctrl-C in a terminal reaches its whole process group: the demo and the `overcast deploy` it runs.
    demo = subprocess.Popen(
        DEMO, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        assert demo.stdout is not None
        lines = []
        for line in demo.stdout:
            lines.append(line)
            if re.match(r"CREATE_IN_PROGRESS +AWS::CloudFormation::Stack +orders ", line):  # mid second deploy
                break
        os.killpg(demo.pid, signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
    out = "".join(lines) + rest
    assert demo.returncode == 130, out
    assert "Interrupted." in rest and "Overcast stopped; its throw-away data dir is removed." in rest
    started = STARTED.search(out)
    assert started is not None and _gone(started[1], started[2])
