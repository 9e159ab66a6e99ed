"""`make demo`: start Overcast, then create, list, update, version, alias and delete a function with boto3.

Then an order workflow on Step Functions, and an HTTP API in front of a function called with httpx,
with its stage throttle and a Lambda authorizer at work.

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
        print(f"Overcast is up at {url} after {(time.perf_counter() - started) * 1000:.0f} ms")
        run(url)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        print("\nOvercast stopped; its throw-away data dir is removed.")
    return 0


def run(url: str) -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    lam = boto3.client(
        "lambda", endpoint_url=url, region_name="us-east-1", config=Config(retries={"max_attempts": 1})
    )
    source = (HERE / "hello" / "app.py").read_text()
    role = "arn:aws:iam::000000000000:role/demo-role"

    step("CreateFunction hello (python3.12, 128 MB)")
    created = lam.create_function(
        FunctionName="hello",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zipped(source)},
        Description="Greets whoever the event names",
    )
    print(f"  {created['FunctionArn']}  State={created['State']}  CodeSha256={created['CodeSha256']}")

    step("Invoke hello (RequestResponse, LogType=Tail)")
    lam.get_waiter("function_active_v2").wait(FunctionName="hello")
    response = lam.invoke(FunctionName="hello", Payload=json.dumps({"name": "Overcast"}), LogType="Tail")
    print(f"  StatusCode={response['StatusCode']}  Payload={response['Payload'].read().decode()}")
    for line in base64.b64decode(response["LogResult"]).decode().splitlines():
        print(f"  | {line}")

    step("ListFunctions")
    for function in lam.list_functions()["Functions"]:
        print(f"  {function['FunctionName']:<12} {function['Runtime']:<12} {function['MemorySize']} MB")

    step("UpdateFunctionConfiguration: 512 MB, 10 s, an environment variable")
    lam.update_function_configuration(
        FunctionName="hello", MemorySize=512, Timeout=10, Environment={"Variables": {"GREETING": "Hello"}}
    )
    config = lam.get_function_configuration(FunctionName="hello")
    print(f"  MemorySize={config['MemorySize']} Timeout={config['Timeout']}", end=" ")
    print(f"LastUpdateStatus={config['LastUpdateStatus']}")

    step("PublishVersion 1, then update the code and publish version 2")
    v1 = lam.publish_version(FunctionName="hello", Description="first")
    lam.update_function_code(FunctionName="hello", ZipFile=zipped(source.replace("Hello", "Hi")))
    v2 = lam.publish_version(FunctionName="hello", Description="second")
    for version in lam.list_versions_by_function(FunctionName="hello")["Versions"]:
        print(f"  version {version['Version']:<8} CodeSha256={version['CodeSha256']}")

    step("CreateAlias live -> 1, sending 10 % of traffic to 2")
    alias = lam.create_alias(
        FunctionName="hello",
        Name="live",
        FunctionVersion=v1["Version"],
        RoutingConfig={"AdditionalVersionWeights": {v2["Version"]: 0.1}},
    )
    print(f"  {alias['AliasArn']} -> {alias['FunctionVersion']} {alias['RoutingConfig']}")

    step("GetFunction of a missing function: AWS's error")
    try:
        lam.get_function(FunctionName="nope")
    except lam.exceptions.ResourceNotFoundException as error:
        print(f"  {error.response['Error']['Code']}: {error.response['Error']['Message']}")

    step("DeleteFunction hello")
    lam.delete_function(FunctionName="hello")
    print(f"  functions left: {len(lam.list_functions()['Functions'])}")

    step("Step Functions: an order workflow (Map, Choice, Parallel, Retry/Catch, Lambda tasks)")
    sfn = boto3.client(
        "stepfunctions", endpoint_url=url, region_name="us-east-1", config=Config(retries={"max_attempts": 1})
    )
    machine = orders_demo.deploy(lam, sfn)
    print(f"  {machine}")
    orders_demo.run(sfn, machine, "order-1", {"lines": [{"sku": "book", "qty": 2}, {"sku": "pen", "qty": 4}]})
    orders_demo.run(sfn, machine, "order-2", {"lines": [{"sku": "lamp", "qty": 40}]})

    v2 = boto3.client(
        "apigatewayv2", endpoint_url=url, region_name="us-east-1", config=Config(retries={"max_attempts": 1})
    )
    gateway_demo.run(url, lam, v2, step)


if __name__ == "__main__":
    raise SystemExit(main())
