"""A Python function made through the Lambda API, as a user makes one, and waited for until it is Active."""

from __future__ import annotations

import uuid
from typing import Any

from tests.functions.zips import handler_zip

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def python_function(lam: Any, prefix: str, body: str, timeout: int = 10) -> str:
    """The ARN of a new python3.12 function `<prefix>-<random>` whose index.py is `body`."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    made = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
        Code={"ZipFile": handler_zip(body)}, Timeout=timeout,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return str(made["FunctionArn"])
