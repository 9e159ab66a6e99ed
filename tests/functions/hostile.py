"""Helpers of the hostile-function tests: make a function of any runtime from its files, invoke it,
and a shell provided.* bootstrap's Runtime API loop around a few lines of its own."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.functions.zips import make_zip

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

# The loop of a provided.* bootstrap in sh (needs curl): EVENT and REQUEST_ID are set for the body,
# which posts the answer.
SHELL_LOOP = """#!/bin/sh
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  REQUEST_ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | tr -d '\\r' | cut -d' ' -f2)
%s
done
"""


def shell_bootstrap(body: str) -> str:
    return SHELL_LOOP % body


def create(lam: Any, runtime: str, files: dict[str, bytes | str], *, prefix: str = "hostile", **extra: Any) -> str:
    """A function of `runtime` from `files` (handler index.handler; a provided.* one runs its bootstrap)."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    handler = "index.handler" if not runtime.startswith("provided") else "none"
    mode = 0o755 if runtime.startswith("provided") else 0o644
    settings = {"Timeout": 30, **extra}
    code = {"ZipFile": make_zip(files, mode=mode)}
    lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler, Code=code, **settings)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def invoke(lam: Any, name: str, event: Any) -> Any:
    """The function's answer, which must not be an error."""
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event))
    body = response["Payload"].read()
    assert "FunctionError" not in response, body
    return json.loads(body)
