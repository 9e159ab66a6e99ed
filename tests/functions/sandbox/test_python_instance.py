"""A Python function runs through LocalSandboxes.start / Instance.invoke, as in AWS Lambda."""

from __future__ import annotations

import json
from collections.abc import Callable

from overcast.functions.instances import InstanceSpec
from overcast.functions.sandbox import LocalSandboxes
from tests.functions.sandbox.conftest import invocation

ECHO = """
import os
print("at init")

def handler(event, context):
    print("in handler", event["n"])
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "arn": context.invoked_function_arn,
        "env": dict(os.environ),
        "cwd": os.getcwd(),
    }
"""


async def test_handler_returns_payload_context_and_environment(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec({"app.py": ECHO}, environment={"GREETING": "hi", "AWS_REGION": "ignored"})
    instance = await sandboxes.start(spec)
    try:
        call = invocation(spec, b'{"n": 1}', trace_id="Root=1-abc-def")
        result = await instance.invoke(call)
        assert result.function_error is None, result.payload
        body = json.loads(result.payload)
        assert body["event"] == {"n": 1}
        assert body["request_id"] == call.request_id
        assert body["function_name"] == spec.function_name
        assert body["memory"] == "128"
        assert 0 < body["remaining"] <= 3000
        assert body["arn"] == spec.function_arn
        env = body["env"]
        assert env["GREETING"] == "hi"
        assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
        assert env["_HANDLER"] == "app.handler"
        assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{spec.runtime}"
        assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
        assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == spec.log_group
        assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == spec.log_stream
        assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
        assert env["TZ"] == ":UTC"
        assert env["_X_AMZN_TRACE_ID"] == "Root=1-abc-def"
        assert env["LAMBDA_TASK_ROOT"] == body["cwd"]
        assert "/opt/python" in env["PYTHONPATH"] and "/opt/lib" in env["LD_LIBRARY_PATH"]
        assert env["PATH"].startswith("/opt/bin")
        assert env["AWS_ACCESS_KEY_ID"] == spec.account_id and env["AWS_LAMBDA_RUNTIME_API"]
        messages = [line.message for line in result.log]
        assert "at init" in messages and "in handler 1" in messages
        assert result.init_duration_ms is not None and result.duration_ms > 0
        assert not result.instance_lost

        second = await instance.invoke(invocation(spec, b'{"n": 2}'))
        assert json.loads(second.payload)["event"] == {"n": 2}
        assert second.init_duration_ms is None
        assert [line.message for line in second.log] == ["in handler 2"]
        assert "_X_AMZN_TRACE_ID" not in json.loads(second.payload)["env"]
    finally:
        await instance.stop()


# A handler that bypasses the runtime's log capture and writes a frame of its own on the instance's channel
FORGED_FRAME = """
import os, stat, struct

def handler(event, context):
    for fd in range(3, 64):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, struct.pack("!II", 1 << 30, 0) + b"[" * 65536)
        except OSError:
            pass
    return "unreachable"
"""


async def test_a_forged_frame_larger_than_the_log_ceiling_loses_the_instance_not_the_servers_memory(
    sandboxes: LocalSandboxes, make_spec: Callable[..., InstanceSpec]
) -> None:
    spec = make_spec({"app.py": FORGED_FRAME})
    instance = await sandboxes.start(spec)
    try:
        result = await instance.invoke(invocation(spec))
        assert result.instance_lost and result.error_type == "Runtime.ExitError"
    finally:
        await instance.stop()
