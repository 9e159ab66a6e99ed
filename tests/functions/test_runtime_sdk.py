"""Functions that call AWS: the SDK the runtime ships (boto3, the AWS SDK for JavaScript v3), with no
configuration in the function's code, reaches Overcast; a function's own packaged SDK wins over it;
and the runtime's SDK is read-only inside the instance."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from overcast.functions.sandbox.sdks import RuntimeSdks
from tests.conftest import ClientFactory
from tests.functions.hostile import ROLE, create, invoke

SDKS = RuntimeSdks.find()

CALLS_AWS = """
import boto3

def handler(event, context):
    pages = boto3.client("lambda").get_paginator("list_functions").paginate()
    names = [f["FunctionName"] for page in pages for f in page["Functions"]]
    started = boto3.client("stepfunctions").start_execution(stateMachineArn=event["machine"], input="{}")
    return {"functions": names, "execution": started["executionArn"], "boto3": boto3.__version__,
            "from": boto3.__file__}
"""

WRITES_SDK = """
import errno, os, boto3

def handler(event, context):
    directory = os.path.dirname(boto3.__file__)
    attempts = {}
    for path in (os.path.join(directory, "planted.py"), os.path.join(directory, "__init__.py")):
        try:
            with open(path, "a") as handle:
                handle.write("x = 1\\n")
            attempts[path] = "written"
        except OSError as exc:
            attempts[path] = errno.errorcode[exc.errno]
    with open("/proc/self/mountinfo") as mounts:
        options = [line.split()[5] for line in mounts if line.split()[4] == "/var/runtime"]
    return {"attempts": attempts, "mount": options}
"""

# What both Node.js handlers do once their module system has imported the SDK's clients: list every function (page
# by page) and start an execution.
NODE_BODY = """
  const lambda = new LambdaClient({});
  const functions = [];
  let Marker;
  do {
    const page = await lambda.send(new ListFunctionsCommand({ Marker }));
    functions.push(...page.Functions.map((f) => f.FunctionName));
    Marker = page.NextMarker;
  } while (Marker);
  const started = await new SFNClient({}).send(
    new StartExecutionCommand({ stateMachineArn: event.machine, input: "{}" }));
  return { functions, execution: started.executionArn, from: %s };
};
"""
NODE_CALLS_AWS = (
    """
const { LambdaClient, ListFunctionsCommand } = require("@aws-sdk/client-lambda");
const { SFNClient, StartExecutionCommand } = require("@aws-sdk/client-sfn");

exports.handler = async (event) => {"""
    + NODE_BODY % 'require.resolve("@aws-sdk/client-lambda")'
)

# The same, as an ES module (AWS's console makes index.mjs): ES modules do not read NODE_PATH, and the runtime
# client resolves what Node's own resolution cannot find from it (runtime/node/bootstrap.cjs).
NODE_ESM_CALLS_AWS = (
    """
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";

export const handler = async (event) => {"""
    + NODE_BODY % 'import.meta.resolve("@aws-sdk/client-lambda")'
)

OWN_CLIENT = {
    "node_modules/@aws-sdk/client-lambda/package.json": '{"name": "@aws-sdk/client-lambda", "main": "index.js"}',
    "node_modules/@aws-sdk/client-lambda/index.js": "exports.MARK = 'packaged with the function';\n",
}

needs_python_sdk = pytest.mark.skipif(SDKS.python is None, reason="make install has not installed the Python SDK")


def _machine(aws: ClientFactory) -> str:
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    return str(
        aws("stepfunctions").create_state_machine(
            name=f"sdk-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE
        )["stateMachineArn"]
    )


def _ran(aws: ClientFactory, execution: str) -> Any:
    return aws("stepfunctions").describe_execution(executionArn=execution)


@needs_python_sdk
@pytest.mark.parametrize(("runtime", "version"), [("python3.12", "1.44.8"), ("python3.9", "1.42.97")])
def test_a_python_function_calls_overcast_with_the_runtimes_boto3(
    aws: ClientFactory, runtime: str, version: str
) -> None:
    lam = aws("lambda")
    name = create(lam, runtime, {"index.py": CALLS_AWS}, prefix="sdk")
    machine = _machine(aws)
    result = invoke(lam, name, {"machine": machine})
    assert name in result["functions"]
    assert result["execution"].startswith(machine.replace(":stateMachine:", ":execution:") + ":")
    assert _ran(aws, result["execution"])["stateMachineArn"] == machine
    assert result["boto3"] == version  # the version pinned for the runtime (functions/runtime/sdk/)
    assert not result["from"].startswith("/var/task/")


@needs_python_sdk
def test_a_functions_own_boto3_wins_over_the_runtimes(aws: ClientFactory) -> None:
    lam = aws("lambda")
    files = {
        "index.py": "import boto3\n\ndef handler(event, context):\n    return [boto3.MARK, boto3.__file__]\n",
        "boto3/__init__.py": "MARK = 'packaged with the function'\n",
    }
    name = create(lam, "python3.12", files, prefix="own-sdk")
    assert invoke(lam, name, {}) == ["packaged with the function", "/var/task/boto3/__init__.py"]


@needs_python_sdk
def test_the_runtimes_sdk_is_read_only_inside_the_instance(aws: ClientFactory) -> None:
    lam = aws("lambda")
    name = create(lam, "python3.12", {"index.py": WRITES_SDK}, prefix="sdk-write")
    seen = invoke(lam, name, {})
    # A new file: the mount refuses it (EROFS comes before any permission check); an existing file is
    # also not writable by the function's uid (EACCES is checked first there).
    assert seen["attempts"] == {"/var/runtime/boto3/planted.py": "EROFS", "/var/runtime/boto3/__init__.py": "EACCES"}
    assert seen["mount"] and seen["mount"][-1].split(",")[0] == "ro", seen["mount"]


needs_node_sdk = pytest.mark.skipif(
    SDKS.nodejs is None, reason="needs npm at make install (which installs the AWS SDK for JavaScript)"
)


@pytest.mark.parametrize(
    ("runtime", "index", "source"),
    [
        ("nodejs20.x", "index.js", NODE_CALLS_AWS),
        ("nodejs20.x", "index.mjs", NODE_ESM_CALLS_AWS),  # module.register's hooks thread
        ("nodejs24.x", "index.mjs", NODE_ESM_CALLS_AWS),  # module.registerHooks, in-thread
    ],
)
@needs_node_sdk
def test_a_node_function_calls_overcast_with_the_runtimes_sdk(
    aws: ClientFactory, runtime: str, index: str, source: str
) -> None:
    lam = aws("lambda")
    name = create(lam, runtime, {index: source}, prefix="sdk-node")
    machine = _machine(aws)
    result = invoke(lam, name, {"machine": machine})
    assert name in result["functions"]
    assert _ran(aws, result["execution"])["stateMachineArn"] == machine
    assert result["from"].removeprefix("file://").startswith("/var/runtime/node_modules/@aws-sdk/client-lambda/")


@pytest.mark.parametrize(
    ("index", "source"),
    [
        ("index.js", "exports.handler = async () => require('@aws-sdk/client-lambda').MARK;\n"),
        ("index.mjs", "import { MARK } from '@aws-sdk/client-lambda';\nexport const handler = async () => MARK;\n"),
    ],
)
@pytest.mark.parametrize("runtime", ["nodejs20.x", "nodejs24.x"])
@needs_node_sdk
def test_a_node_functions_own_sdk_wins_over_the_runtimes(
    aws: ClientFactory, runtime: str, index: str, source: str
) -> None:
    lam = aws("lambda")
    name = create(lam, runtime, {index: source, **OWN_CLIENT}, prefix="own-node-sdk")
    assert invoke(lam, name, {}) == "packaged with the function"
