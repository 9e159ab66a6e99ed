"""`make demo`: start Overcast, deploy two SAM apps with `overcast deploy`, use them, delete them.

The greeting API (examples/api: an HTTP API in front of a function, a Lambda authorizer, a stage
throttle) called with httpx; the order workflow (examples/orders: a state machine over two functions)
run twice; both stacks deleted with `overcast delete`, and nothing left. Then the Lambda API with
boto3: create, invoke, update, version, alias and delete a function.

Each step prints what it did and what Overcast answered. Overcast runs on a free port with a
throw-away data dir; both are gone when the demo ends, however it ends (an error, Ctrl-C).
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import gateway_demo
import orders_demo
from botocore.config import Config

HERE = Path(__file__).parent


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m")


def main() -> int:
    # Ctrl-C raises KeyboardInterrupt here; SIGTERM and SIGHUP end the demo as cleanly.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, frame: sys.exit(128 + number))
    data_dir = Path(tempfile.mkdtemp(prefix="overcast-demo-"))
    try:
        return demo(data_dir)
    except KeyboardInterrupt:
        print("\nInterrupted.")
        return 130
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def demo(data_dir: Path) -> int:
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "overcast", "up", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        # Its own session: a Ctrl-C reaches the demo only, which stops Overcast below, after its last
        # request (in the terminal's process group, Overcast stopped under the request in flight).
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().strip()
        if not line.startswith("Overcast ready on "):
            print(f"Overcast did not start: {line!r}")
            return 1
        url = line.removeprefix("Overcast ready on ")
        print(f"Overcast is up at {url} after {(time.perf_counter() - started) * 1000:.0f} ms, data dir {data_dir}")
        run(url, data_dir)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        print("\nOvercast stopped; its throw-away data dir is removed.")
    return 0


def overcast(url: str, data_dir: Path, *args: str) -> None:
    """Runs the `overcast` CLI against the demo's server, its output shown as a user sees it."""
    command = ["overcast", *args, "--endpoint-url", url]
    print(f"$ {' '.join(command)}", flush=True)
    # What a deploy builds is cached in the throw-away data dir, not ~/.cache (these two apps build nothing).
    env = {**os.environ, "XDG_CACHE_HOME": str(data_dir / "cache")}
    subprocess.run([sys.executable, "-m", *command], check=True, env=env)


def template(app: str) -> str:
    return os.path.relpath(HERE / app / "template.yaml")


def client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", config=Config(retries={"max_attempts": 1}))


def run(url: str, data_dir: Path) -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    cfn, sfn = client(url, "cloudformation"), client(url, "stepfunctions")

    step("overcast deploy: the greeting API (examples/api/template.yaml, an HTTP API with a Lambda authorizer)")
    overcast(url, data_dir, "deploy", "-t", template("api"), "--stack-name", "greetings")
    api = cfn.describe_stack_resource(StackName="greetings", LogicalResourceId="GreetingApi")
    gateway_demo.run(url, api["StackResourceDetail"]["PhysicalResourceId"], step)

    step("overcast deploy: the order workflow (examples/orders/template.yaml, a state machine over two functions)")
    overcast(url, data_dir, "deploy", "-t", template("orders"), "--stack-name", "orders")
    outputs = cfn.describe_stacks(StackName="orders")["Stacks"][0]["Outputs"]
    machine = next(o["OutputValue"] for o in outputs if o["OutputKey"] == "OrderStateMachineArn")

    step("Two orders through the state machine (Map, JSONata, Choice, Parallel, Retry/Catch, Lambda tasks)")
    orders_demo.run(sfn, machine, "order-1", {"lines": [{"sku": "book", "qty": 2}, {"sku": "pen", "qty": 4}]})
    orders_demo.run(sfn, machine, "order-2", {"lines": [{"sku": "lamp", "qty": 40}]})

    step("overcast delete: both stacks, and everything they made")
    for stack in ("greetings", "orders"):
        overcast(url, data_dir, "delete", stack, "--no-prompts")
    left = {
        "stacks": [s for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"],
        "functions": client(url, "lambda").list_functions()["Functions"],
        "HTTP APIs": client(url, "apigatewayv2").get_apis()["Items"],
        "state machines": sfn.list_state_machines()["stateMachines"],
        "roles": client(url, "iam").list_roles()["Roles"],
    }
    print("  left: " + ", ".join(f"{len(items)} {kind}" for kind, items in left.items()))
    # Lambda made these at the functions' first invocations, not the stacks, so they stay, as on AWS.
    for group in client(url, "logs").describe_log_groups()["logGroups"]:
        print(f"  kept, as AWS keeps it: the log group {group['logGroupName']}")

    control_plane(url)


def control_plane(url: str) -> None:
    """The Lambda API your scripts use, with boto3: create, invoke, list, update, version, alias, delete."""
    lam = client(url, "lambda")
    source = (HERE / "hello" / "app.py").read_text()
    role = "arn:aws:iam::000000000000:role/demo-role"

    step("boto3 CreateFunction hello (python3.12, 128 MB), then Invoke it (LogType=Tail)")
    created = lam.create_function(
        FunctionName="hello",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zipped(source)},
        Description="Greets whoever the event names",
    )
    print(f"  {created['FunctionArn']}  State={created['State']}  CodeSha256={created['CodeSha256']}")
    lam.get_waiter("function_active_v2").wait(FunctionName="hello")
    response = lam.invoke(FunctionName="hello", Payload=json.dumps({"name": "Overcast"}), LogType="Tail")
    print(f"  StatusCode={response['StatusCode']}  Payload={response['Payload'].read().decode()}")
    for line in base64.b64decode(response["LogResult"]).decode().splitlines():
        print(f"  | {line}")

    step("UpdateFunctionConfiguration: 512 MB, 10 s, an environment variable")
    lam.update_function_configuration(
        FunctionName="hello", MemorySize=512, Timeout=10, Environment={"Variables": {"GREETING": "Hello"}}
    )
    config = lam.get_function_configuration(FunctionName="hello")
    print(f"  MemorySize={config['MemorySize']} Timeout={config['Timeout']}", end=" ")
    print(f"LastUpdateStatus={config['LastUpdateStatus']}")

    step("PublishVersion 1, update the code, publish version 2, and an alias live -> 1 with 10 % to 2")
    v1 = lam.publish_version(FunctionName="hello", Description="first")
    lam.update_function_code(FunctionName="hello", ZipFile=zipped(source.replace("Hello", "Hi")))
    v2 = lam.publish_version(FunctionName="hello", Description="second")
    for version in lam.list_versions_by_function(FunctionName="hello")["Versions"]:
        print(f"  version {version['Version']:<8} CodeSha256={version['CodeSha256']}")
    alias = lam.create_alias(
        FunctionName="hello",
        Name="live",
        FunctionVersion=v1["Version"],
        RoutingConfig={"AdditionalVersionWeights": {v2["Version"]: 0.1}},
    )
    print(f"  {alias['AliasArn']} -> {alias['FunctionVersion']} {alias['RoutingConfig']}")

    step("DeleteFunction hello, then GetFunction of it: AWS's error")
    lam.delete_function(FunctionName="hello")
    try:
        lam.get_function(FunctionName="hello")
    except lam.exceptions.ResourceNotFoundException as error:
        print(f"  {error.response['Error']['Code']}: {error.response['Error']['Message']}")


if __name__ == "__main__":
    raise SystemExit(main())
