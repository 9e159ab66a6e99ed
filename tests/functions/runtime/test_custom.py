"""provided.* functions in real sandboxes: AWS's shell-tutorial bootstrap, awslambdaric, and failures."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.clock import FakeClock
from overcast.config import Settings
from overcast.functions.runtime.custom import CustomInstance, exit_status, start_custom_instance
from overcast.functions.sandbox import LocalSandboxes
from overcast.functions.sandbox.mounts import real_prefix

from .instances import TUTORIAL_BOOTSTRAP, invocation, is_root, make_spec, messages, processes_of

pytestmark = pytest.mark.skipif(not is_root(), reason="runs functions in root-made sandboxes")

TUTORIAL_FUNCTION = """
function handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2;
  RESPONSE="Echoing request: '$EVENT_DATA'"
  echo $RESPONSE
}
"""

RIC_APP = """
import os

def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom")
    print("handling", context.aws_request_id)
    return {
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "env": dict(os.environ),
        "cwd": os.getcwd(),
    }
"""


@pytest.fixture(scope="module")
async def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalSandboxes]:
    data = tmp_path_factory.mktemp("custom-sandboxes")
    boxes = LocalSandboxes(Settings(data_dir=data), data)
    try:
        yield boxes
    finally:
        await boxes.close()


# The interpreter's installation and the venv that holds awslambdaric, visible inside the sandbox.
VENV = [real_prefix(Path(sys.executable)), Path(sys.prefix)]


def ric_bootstrap() -> str:
    return f'#!/bin/sh\nexec {sys.executable} -m awslambdaric "$_HANDLER"\n'


async def test_aws_tutorial_shell_runtime(sandboxes: LocalSandboxes, tmp_path: Path) -> None:
    files = {"bootstrap": TUTORIAL_BOOTSTRAP, "function.sh": TUTORIAL_FUNCTION}
    spec = make_spec(tmp_path, "provided.al2023", files, "function.handler")
    instance = await sandboxes.start(spec)
    try:
        first = await instance.invoke(invocation(spec, b'{"a":1}'))
        assert first.payload == b"Echoing request: '{\"a\":1}'"
        assert first.function_error is None and not first.instance_lost
        assert first.init_duration_ms is not None and first.init_duration_ms > 0
        assert '{"a":1}' in messages(first)  # the handler's stderr, attributed to the invocation
        second = await instance.invoke(invocation(spec, b'"again"'))
        assert second.payload == b"Echoing request: '\"again\"'"
        assert second.init_duration_ms is None
        assert second.max_memory_used_mb > 0
    finally:
        await instance.stop()
    assert processes_of(spec) == []


async def test_awslambdaric_bootstrap_sees_aws_context_and_environment(
    sandboxes: LocalSandboxes, tmp_path: Path
) -> None:
    spec = make_spec(
        tmp_path, "provided.al2", {"bootstrap": ric_bootstrap(), "app.py": RIC_APP}, "app.handler",
        environment={"GREETING": "hello", "LD_LIBRARY_PATH": "/custom/lib"},
    )  # fmt: skip
    instance = await start_custom_instance(sandboxes, spec, reveal=VENV)
    try:
        call = invocation(spec, b'{"k": "v"}')
        result = await instance.invoke(call)
        assert result.function_error is None, result.payload
        body = json.loads(result.payload)
        assert body["context"] == {
            "function_name": spec.function_name,
            "function_version": "$LATEST",
            "memory_limit_in_mb": "1024",
            "invoked_function_arn": spec.function_arn,
            "aws_request_id": call.request_id,
            "log_group_name": spec.log_group,
            "log_stream_name": spec.log_stream,
            "remaining_ms": body["context"]["remaining_ms"],
        }
        assert 0 < body["context"]["remaining_ms"] <= 30_000
        env = body["env"]
        assert body["cwd"] == "/var/task"
        assert env["LAMBDA_TASK_ROOT"] == "/var/task" and env["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
        assert env["_HANDLER"] == "app.handler"
        assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
        assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
        assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024"
        assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == spec.log_group
        assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == spec.log_stream
        assert env["TZ"] == ":UTC"
        assert "AWS_EXECUTION_ENV" not in env  # OS-only runtimes have none
        assert env["PATH"] == "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
        assert env["LD_LIBRARY_PATH"] == "/custom/lib"  # the function's own value wins where AWS allows it
        assert env["GREETING"] == "hello"
        assert any(f"handling {call.request_id}" in line for line in messages(result))

        failed = await instance.invoke(invocation(spec, b'{"fail": true}'))
        assert (failed.function_error, failed.error_type) == ("Unhandled", "ValueError")
        assert json.loads(failed.payload)["errorMessage"] == "boom"
        assert not failed.instance_lost
        again = await instance.invoke(invocation(spec, b"{}"))
        assert again.function_error is None
    finally:
        await instance.stop()
    assert processes_of(spec) == []


async def test_runtime_init_error_is_reported_on_first_invoke(sandboxes: LocalSandboxes, tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "provided.al2023", {"bootstrap": ric_bootstrap(), "app.py": RIC_APP}, "nope.handler")
    instance = await start_custom_instance(sandboxes, spec, reveal=VENV)
    result = await instance.invoke(invocation(spec))
    assert (result.function_error, result.error_type) == ("Unhandled", "Runtime.ImportModuleError")
    document = json.loads(result.payload)
    assert document["errorType"] == "Runtime.ImportModuleError"
    assert document["errorMessage"] == "Unable to import module 'nope': No module named 'nope'"
    assert result.instance_lost and result.init_duration_ms is not None
    await instance.stop()
    assert processes_of(spec) == []


async def test_missing_bootstrap(sandboxes: LocalSandboxes, tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "provided.al2023", {"main.sh": "echo hi"}, "main.handler")
    instance = await sandboxes.start(spec)
    call = invocation(spec)
    result = await instance.invoke(call)
    assert json.loads(result.payload) == {
        "errorMessage": f"RequestId: {call.request_id} Error: Couldn't find valid bootstrap(s): "
        "[/var/task/bootstrap /opt/bootstrap]",
        "errorType": "Runtime.InvalidEntrypoint",
    }
    assert (result.function_error, result.error_type, result.instance_lost) == (
        "Unhandled",
        "Runtime.InvalidEntrypoint",
        True,
    )
    assert f"RequestId: {call.request_id} Error: Couldn't find valid bootstrap(s): " in messages(result)[-2]
    assert messages(result)[-1] == "Runtime.InvalidEntrypoint"
    await instance.stop()


async def test_bootstrap_that_is_not_executable(sandboxes: LocalSandboxes, tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "provided.al2", {"bootstrap": "#!/bin/sh\n"}, "x.y", executable=())
    instance = await sandboxes.start(spec)
    call = invocation(spec)
    result = await instance.invoke(call)
    assert json.loads(result.payload) == {
        "errorMessage": f"RequestId: {call.request_id} Error: fork/exec /var/task/bootstrap: permission denied",
        "errorType": "Runtime.InvalidEntrypoint",
    }
    await instance.stop()


async def test_bootstrap_that_exits_before_next(sandboxes: LocalSandboxes, tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "provided.al2023", {"bootstrap": "#!/bin/sh\necho starting up\nexit 1\n"}, "x.y")
    instance = await sandboxes.start(spec)
    call = invocation(spec)
    result = await instance.invoke(call)
    assert json.loads(result.payload) == {
        "errorMessage": f"RequestId: {call.request_id} Error: Runtime exited with error: exit status 1",
        "errorType": "Runtime.ExitError",
    }
    assert result.instance_lost and result.init_duration_ms is not None
    assert messages(result) == [
        "starting up",
        f"RequestId: {call.request_id} Error: Runtime exited with error: exit status 1",
        "Runtime.ExitError",
    ]
    await instance.stop()


async def test_bootstrap_from_a_layer(sandboxes: LocalSandboxes, tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "bootstrap").write_text(TUTORIAL_BOOTSTRAP.lstrip("\n"))
    (layer / "bootstrap").chmod(0o755)
    layer.chmod(0o755)
    spec = make_spec(
        tmp_path, "provided.al2023", {"function.sh": TUTORIAL_FUNCTION}, "function.handler", layer_dirs=(layer,)
    )
    instance = await sandboxes.start(spec)
    try:
        result = await instance.invoke(invocation(spec, b"1"))
        assert result.payload == b"Echoing request: '1'"
    finally:
        await instance.stop()


async def test_runtime_that_exits_mid_invocation(sandboxes: LocalSandboxes, tmp_path: Path) -> None:
    bootstrap = (
        "#!/bin/sh\n"
        'curl -sS "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next" >/dev/null\n'
        "echo dying\nexit 3\n"
    )
    spec = make_spec(tmp_path, "provided.al2023", {"bootstrap": bootstrap}, "x.y")
    instance = await sandboxes.start(spec)
    call = invocation(spec)
    result = await instance.invoke(call)
    assert json.loads(result.payload) == {
        "errorMessage": f"RequestId: {call.request_id} Error: Runtime exited with error: exit status 3",
        "errorType": "Runtime.ExitError",
    }
    assert result.instance_lost
    assert "dying" in messages(result)
    await instance.stop()
    assert processes_of(spec) == []


async def test_timeout_kills_the_whole_tree(sandboxes: LocalSandboxes, tmp_path: Path) -> None:
    bootstrap = (
        "#!/bin/sh\n"
        "sleep 600 &\n"  # a child that must die too
        'curl -sS "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next" >/dev/null\n'
        "echo working\nsleep 600\n"
    )
    spec = make_spec(tmp_path, "provided.al2023", {"bootstrap": bootstrap}, "x.y", timeout_s=3)
    clock = FakeClock()
    instance = CustomInstance(sandboxes, spec, clock)
    await instance.boot()
    call = invocation(spec, clock=clock)
    running = asyncio.ensure_future(instance.invoke(call))
    while clock.sleepers == 0 and not running.done():  # the invocation's deadline timer is set
        await asyncio.sleep(0)
    await clock.advance(3)
    result = await running
    assert json.loads(result.payload) == {
        "errorMessage": f"RequestId: {call.request_id} Error: Task timed out after 3.00 seconds",
        "errorType": "Sandbox.Timedout",
    }
    assert (result.function_error, result.error_type, result.instance_lost) == (
        "Unhandled",
        "Sandbox.Timedout",
        True,
    )
    assert messages(result)[-1].endswith(f"Z {call.request_id} Task timed out after 3.00 seconds")
    assert processes_of(spec) == []
    await instance.stop()


def test_exit_status_reads_like_go() -> None:
    assert exit_status(0) == "exit status 0"
    assert exit_status(2) == "exit status 2"
    assert exit_status(-9) == "signal: killed"
    assert exit_status(-11) == "signal: segmentation fault"
    assert exit_status(-6) == "signal: aborted"
