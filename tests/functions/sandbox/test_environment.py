"""The instance environment, as AWS Lambda sets it for each runtime."""

from __future__ import annotations

from pathlib import Path

from overcast.functions.instances import InstanceSpec
from overcast.functions.sandbox.environment import lambda_environment


def _spec(runtime: str, **env: str) -> InstanceSpec:
    return InstanceSpec(
        "123456789012", "eu-west-1", "orders", "arn:aws:lambda:eu-west-1:123456789012:function:orders", "7",
        runtime, "app.handler", 256, 3, Path("/code"), "sha", "/aws/lambda/orders", "2026/01/01/[7]abc",
        environment=env,
    )  # fmt: skip


def test_python_environment() -> None:
    env = lambda_environment(
        _spec("python3.12", MY_VAR="1", AWS_REGION="nope", AWS_ACCESS_KEY_ID="real"),
        task_root="/var/task",
        runtime_api="127.0.0.1:9001",
        network={"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
    )
    assert env["MY_VAR"] == "1"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ACCESS_KEY_ID"] == "123456789012"  # its account, never a real credential
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "7" and env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["PYTHONPATH"] == "/var/task:/opt/python:/opt/python/lib/python3.12/site-packages:/var/runtime"
    assert env["LD_LIBRARY_PATH"].startswith("/opt/lib") and env["PATH"].startswith("/opt/bin")
    assert env["LAMBDA_TASK_ROOT"] == "/var/task" and env["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
    assert env["TZ"] == ":UTC" and env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["_HANDLER"] == "app.handler" and env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:9001"


def test_custom_runtime_environment_has_no_pythonpath() -> None:
    env = lambda_environment(_spec("provided.al2023"), task_root="/var/task", runtime_api="127.0.0.1:9001")
    assert "PYTHONPATH" not in env and "AWS_ENDPOINT_URL" not in env
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_provided.al2023"
