"""Helpers for the custom-runtime tests: specs over temporary code, invocations, leftover processes."""

from __future__ import annotations

import os
import textwrap
import uuid
from pathlib import Path

import psutil

from overcast.clock import Clock, SystemClock
from overcast.functions.instances import InstanceSpec, Invocation
from overcast.functions.sandbox.users import function_uid

# https://docs.aws.amazon.com/lambda/latest/dg/runtimes-walkthrough.html
TUTORIAL_BOOTSTRAP = """
#!/bin/bash
set -euo pipefail
source $LAMBDA_TASK_ROOT/"$(echo $_HANDLER | cut -d. -f1).sh"
while true
do
  HEADERS="$(mktemp)"
  EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  RESPONSE=$($(echo "$_HANDLER" | cut -d. -f2) "$EVENT_DATA")
  curl -sS "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response" -d "$RESPONSE"
done
"""


def write_code(directory: Path, files: dict[str, str], executable: tuple[str, ...] = ("bootstrap",)) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        path.chmod(0o755 if name in executable else 0o644)
    directory.chmod(0o755)
    return directory


def make_spec(
    root: Path, runtime: str, files: dict[str, str], handler: str = "index.handler", **changes: object
) -> InstanceSpec:
    name = str(changes.pop("function_name", f"fn-{uuid.uuid4().hex[:8]}"))
    executable = tuple(changes.pop("executable", ("bootstrap",)))  # type: ignore[arg-type]
    code = write_code(root / f"code-{name}", files, executable)
    fields: dict[str, object] = {
        "account_id": "123456789012",
        "region": "eu-west-1",
        "function_name": name,
        "function_arn": f"arn:aws:lambda:eu-west-1:123456789012:function:{name}",
        "version": "$LATEST",
        "runtime": runtime,
        "handler": handler,
        "memory_mb": 1024,
        "timeout_s": 30,
        "code_dir": code,
        "code_sha256": uuid.uuid4().hex,
        "log_group": f"/aws/lambda/{name}",
        "log_stream": f"2026/11/26/[$LATEST]{uuid.uuid4().hex}",
    }
    fields.update(changes)
    return InstanceSpec(**fields)  # type: ignore[arg-type]


def invocation(spec: InstanceSpec, payload: bytes = b"{}", clock: Clock | None = None, **extra: object) -> Invocation:
    now = (clock or SystemClock()).now()
    return Invocation(
        request_id=str(uuid.uuid4()),
        payload=payload,
        deadline_ms=int((now + spec.timeout_s) * 1000),
        invoked_function_arn=spec.function_arn,
        **extra,  # type: ignore[arg-type]
    )


def processes_of(spec: InstanceSpec) -> list[int]:
    """Live (non-zombie) processes running as the function's uid."""
    uid = function_uid(spec.account_id, spec.region, spec.function_name)
    found = []
    for process in psutil.process_iter(["uids", "status"]):
        try:
            if process.info["uids"].real == uid and process.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(process.pid)
        except (psutil.Error, AttributeError):
            continue
    return found


def messages(result: object) -> list[str]:
    return [line.message for line in result.log]  # type: ignore[attr-defined]


def is_root() -> bool:
    return os.geteuid() == 0
