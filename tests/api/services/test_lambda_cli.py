"""The AWS CLI, unmodified, against Lambda: create, list, get, publish, alias, and named errors."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

Cli = Callable[..., subprocess.CompletedProcess[str]]
ROLE = "arn:aws:iam::000000000000:role/cli-role"


def _zip(tmp_path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    path = tmp_path / "code.zip"
    path.write_bytes(buffer.getvalue())
    return path


def _ok(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout)) if result.stdout.strip() else {}


def test_cli_function_lifecycle(aws_cli: Cli, tmp_path: Path) -> None:
    code = _zip(tmp_path)
    created = _ok(
        aws_cli(
            "lambda", "create-function", "--function-name", "cli-fn", "--runtime", "python3.12",
            "--role", ROLE, "--handler", "app.handler", "--zip-file", f"fileb://{code}",
        )
    )
    assert created["FunctionName"] == "cli-fn"
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:cli-fn"

    listed = _ok(aws_cli("lambda", "list-functions"))
    assert "cli-fn" in [f["FunctionName"] for f in listed["Functions"]]  # type: ignore[attr-defined]

    got = _ok(aws_cli("lambda", "get-function", "--function-name", "cli-fn"))
    assert got["Configuration"]["CodeSize"] == code.stat().st_size  # type: ignore[index]

    version = _ok(aws_cli("lambda", "publish-version", "--function-name", "cli-fn"))
    assert version["Version"] == "1"

    alias = _ok(
        aws_cli("lambda", "create-alias", "--function-name", "cli-fn", "--name", "live", "--function-version", "1")
    )
    assert alias["AliasArn"] == "arn:aws:lambda:us-east-1:000000000000:function:cli-fn:live"

    _ok(aws_cli("lambda", "delete-function", "--function-name", "cli-fn"))


def test_cli_errors_are_named(aws_cli: Cli) -> None:
    missing = aws_cli("lambda", "get-function", "--function-name", "no-such-function")
    assert missing.returncode in (254, 255)  # service errors: 255 in CLI v1, 254 in v2
    assert "An error occurred (ResourceNotFoundException) when calling the GetFunction operation" in missing.stderr
    assert "Function not found: arn:aws:lambda:us-east-1:000000000000:function:no-such-function" in missing.stderr

    # Beyond the model's range the wire layer refuses before looking anything up ...
    beyond_model = aws_cli(
        "lambda", "update-function-configuration", "--function-name", "whatever", "--memory-size", "40000"
    )
    assert beyond_model.returncode in (254, 255)
    assert "(ValidationException)" in beyond_model.stderr
    assert "Value '40000' at 'memorySize' failed to satisfy constraint" in beyond_model.stderr


def test_cli_memory_beyond_the_function_limit(aws_cli: Cli, tmp_path: Path) -> None:
    # ... and within it, Lambda's own 10,240 MB limit applies.
    code = _zip(tmp_path)
    _ok(
        aws_cli(
            "lambda", "create-function", "--function-name", "cli-mem", "--runtime", "python3.12",
            "--role", ROLE, "--handler", "app.handler", "--zip-file", f"fileb://{code}",
        )
    )
    result = aws_cli("lambda", "update-function-configuration", "--function-name", "cli-mem", "--memory-size", "20000")
    assert "(ValidationException)" in result.stderr
    assert "Member must have value less than or equal to 10240" in result.stderr
    assert _ok(aws_cli("lambda", "get-function-configuration", "--function-name", "cli-mem"))["MemorySize"] == 128
