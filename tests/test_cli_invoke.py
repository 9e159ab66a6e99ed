"""`overcast invoke FUNCTION [--event FILE]`: one invocation through the running server, its answer on stdout and
its log's tail on stderr; a function error exits 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function

ECHO = "def handler(event, context):\n    print('got', event)\n    return {'echo': event}\n"
FAILS = "def handler(event, context):\n    raise ValueError('no')\n"
GREETER = "def handler(event, context):\n    print('greeting', event)\n    return 'hi'\n"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def overcast(server: RunningServer, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "overcast", *args, "--endpoint-url", server.url],
        capture_output=True, text=True, timeout=60, input=stdin, check=False,
    )  # fmt: skip


def test_invoke_prints_the_answer_and_the_logs_tail(aws: ClientFactory, server: RunningServer, tmp_path: Path) -> None:
    name = python_function(aws("lambda"), "cli-echo", ECHO).rsplit(":", 1)[1]
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"a": 1}))
    done = overcast(server, "invoke", name, "--event", str(event))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"echo": {"a": 1}}
    assert "got {'a': 1}" in done.stderr and "REPORT RequestId" in done.stderr
    from_stdin = overcast(server, "invoke", name, "--event", "-", stdin='{"b": 2}')
    assert json.loads(from_stdin.stdout) == {"echo": {"b": 2}}
    assert json.loads(overcast(server, "invoke", name).stdout) == {"echo": {}}


def test_a_failing_function_exits_1_and_bad_input_is_named(
    aws: ClientFactory, server: RunningServer, tmp_path: Path
) -> None:
    name = python_function(aws("lambda"), "cli-fails", FAILS).rsplit(":", 1)[1]
    failed = overcast(server, "invoke", name)
    assert failed.returncode == 1 and json.loads(failed.stdout)["errorType"] == "ValueError"
    missing = overcast(server, "invoke", "no-such-function")
    assert missing.returncode == 1 and "ResourceNotFoundException: Function not found" in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert "is not JSON" in overcast(server, "invoke", name, "--event", str(bad)).stderr


def test_a_stacks_function_is_named_by_its_logical_id(aws: ClientFactory, server: RunningServer) -> None:
    """`overcast invoke Fn --stack app`, `overcast logs --stack app` and `overcast stacks`, on a stack made with
    CloudFormation's API."""
    template = {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}},
            "Greeter": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12", "Handler": "index.handler", "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": GREETER},
                },
            },
        }
    }  # fmt: skip
    cloudformation = aws("cloudformation")
    cloudformation.create_stack(StackName="cli-app", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    cloudformation.get_waiter("stack_create_complete").wait(StackName="cli-app", WaiterConfig={"Delay": 0.2})
    try:
        done = overcast(server, "invoke", "Greeter", "--stack", "cli-app")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == "hi"
        unknown = overcast(server, "invoke", "Nope", "--stack", "cli-app")
        assert (
            unknown.returncode == 1 and "Stack cli-app has no function Nope (its functions: Greeter)" in unknown.stderr
        )
        logs = overcast(server, "logs", "--stack", "cli-app")
        assert logs.returncode == 0 and "greeting {}" in logs.stdout
        listed = overcast(server, "stacks")
        assert listed.returncode == 0 and "cli-app" in listed.stdout and "CREATE_COMPLETE" in listed.stdout
    finally:
        cloudformation.delete_stack(StackName="cli-app")
