"""Deploy: how long a stack takes, beside making the same resources with direct API calls in the same run.

Two templates: `sam init`'s hello app (python3.13/hello from ../shared/conformance/sam-apps, when it is
there), deployed with `overcast deploy` as a user runs it (build, upload, change set, execute, wait),
and a 30-resource CloudFormation template (10 roles, 10 functions with inline code, 10 log groups)
created with CreateStack and the stack_create_complete waiter. The limit for each is the time boto3
takes to create the same resources one call after another on the same server. Budget (ARCHITECTURE,
"Performance budgets"): a 30-resource template in under 2 s without dependency installs.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.invoke import Overcast, _zip_files

HELLO = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "sam-apps" / "python3.13" / "hello"
GROUPS = 10
RUNS = 3
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
CODE = "def handler(event, context):\n    return event\n"


def thirty_resources() -> dict[str, Any]:
    """10 x (a role, a function using it, its log group): 30 resources, in two waves."""
    resources: dict[str, Any] = {}
    for i in range(GROUPS):
        resources[f"Role{i}"] = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}}
        resources[f"Fn{i}"] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": [f"Role{i}", "Arn"]},
                "Code": {"ZipFile": CODE},
            },
        }
        resources[f"Logs{i}"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": {"Fn::Sub": f"/bench/${{AWS::StackName}}/{i}"}, "RetentionInDays": 7},
        }
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def _direct(oc: Overcast, run: int) -> float:
    """The same 30 resources through their own APIs, one call after another."""
    code = _zip_files({"index.py": CODE})
    iam, logs = oc.client("iam"), oc.client("logs")
    started = time.perf_counter()
    for i in range(GROUPS):
        role = iam.create_role(RoleName=f"direct-{run}-{i}", AssumeRolePolicyDocument=json.dumps(TRUST))
        oc.lam.create_function(
            FunctionName=f"direct-{run}-{i}", Runtime="python3.12", Handler="index.handler",
            Role=role["Role"]["Arn"], Code={"ZipFile": code},
        )  # fmt: skip
        logs.create_log_group(logGroupName=f"/bench/direct-{run}/{i}")
        logs.put_retention_policy(logGroupName=f"/bench/direct-{run}/{i}", retentionInDays=7)
    return time.perf_counter() - started


def _stack(oc: Overcast, run: int) -> float:
    cloudformation = oc.client("cloudformation")
    body = json.dumps(thirty_resources())
    started = time.perf_counter()
    cloudformation.create_stack(StackName=f"bench-{run}", TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
    cloudformation.get_waiter("stack_create_complete").wait(
        StackName=f"bench-{run}", WaiterConfig={"Delay": 0.05, "MaxAttempts": 2400}
    )
    return time.perf_counter() - started


def _hello(oc: Overcast, run: int) -> float | None:
    if not (HELLO / "template.yaml").exists():
        return None
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "overcast", "deploy", "--stack-name", f"hello-{run}", "--endpoint-url", oc.url],
        cwd=HELLO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"overcast deploy of the hello app failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def _hello_direct(oc: Overcast, run: int) -> float:
    """What the hello app makes, by API: a role, a function, a REST API with a GET method and a stage."""
    code = _zip_files({"app.py": (HELLO / "hello_world" / "app.py").read_text()})
    started = time.perf_counter()
    role = oc.client("iam").create_role(RoleName=f"hello-direct-{run}", AssumeRolePolicyDocument=json.dumps(TRUST))
    function = oc.lam.create_function(
        FunctionName=f"hello-direct-{run}", Runtime="python3.13", Handler="app.lambda_handler",
        Role=role["Role"]["Arn"], Code={"ZipFile": code}, Timeout=3,
    )  # fmt: skip
    oc.lam.add_permission(
        FunctionName=f"hello-direct-{run}", StatementId="api", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )  # fmt: skip
    api = oc.client("apigateway")
    rest = api.create_rest_api(name=f"hello-direct-{run}")
    root = api.get_resources(restApiId=rest["id"])["items"][0]["id"]
    resource = api.create_resource(restApiId=rest["id"], parentId=root, pathPart="hello")
    api.put_method(restApiId=rest["id"], resourceId=resource["id"], httpMethod="GET", authorizationType="NONE")
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function['FunctionArn']}/invocations"
    api.put_integration(
        restApiId=rest["id"], resourceId=resource["id"], httpMethod="GET", type="AWS_PROXY",
        integrationHttpMethod="POST", uri=uri,
    )  # fmt: skip
    api.create_deployment(restApiId=rest["id"], stageName="Prod")
    return time.perf_counter() - started


def run() -> None:
    print("\n== Deploy: a stack against the same resources made with direct API calls ==")
    oc = Overcast()
    try:
        oc.create("warm", CODE)  # the server's Lambda part up before anything is timed
        stack = [_stack(oc, run) for run in range(RUNS)]
        direct = [_direct(oc, run) for run in range(RUNS)]
        s50, d50 = statistics.median(stack), statistics.median(direct)
        ok = s50 < 2.0
        print(
            f"{'30-resource template, CreateStack to complete':<46} {s50:>11.2f} s  = {s50 / d50:6.2f} x direct calls"
            f" ({d50:.2f} s)   budget < 2 s: {'OK' if ok else 'OVER'}"
        )
        # The first deploy installs the app's requirements into the build cache; the timed ones reuse it.
        hello = [_hello(oc, run) for run in range(RUNS + 1)][1:]
        if hello[0] is None:
            print(f"hello app: skipped, {HELLO} is not there")
            return
        hello_direct = [_hello_direct(oc, run) for run in range(RUNS)]
        h50, hd50 = statistics.median([h for h in hello if h is not None]), statistics.median(hello_direct)
        print(
            f"{'hello app, overcast deploy (build, change set)':<46} {h50:>11.2f} s  = {h50 / hd50:6.2f} x direct calls"
            f" ({hd50:.2f} s)   budget < 2 s: {'OK' if h50 < 2.0 else 'OVER'}"
        )
    finally:
        oc.stop()


if __name__ == "__main__":
    run()
