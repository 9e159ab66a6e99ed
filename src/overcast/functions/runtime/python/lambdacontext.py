"""The context object a Python handler receives, with AWS's attribute names.

https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        document = document or {}
        self.cognito_identity_id = document.get("cognitoIdentityId")
        self.cognito_identity_pool_id = document.get("cognitoIdentityPoolId")


class Client:
    __slots__ = ["app_package_name", "app_title", "app_version_code", "app_version_name", "installation_id"]

    def __init__(self, document: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, document.get(name))


class ClientContext:
    __slots__ = ["client", "custom", "env"]

    def __init__(self, document: dict[str, Any]) -> None:
        self.custom = document.get("custom")
        self.env = document.get("env")
        client = document.get("client")
        self.client = Client(client) if isinstance(client, dict) else None


_PLATFORM_VARIABLES = (
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
)
_platform: dict[str, str | None] = {}


def _platform_environment() -> dict[str, str | None]:
    """The platform's variables the context reports, read once: the Lambda service sets them at init
    and reserves them (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
    and reading os.environ on every invocation cost more than the rest of making the context."""
    if not _platform:
        _platform.update((name, os.environ.get(name)) for name in _PLATFORM_VARIABLES)
    return _platform


class LambdaContext:
    def __init__(
        self,
        request_id: str,
        deadline_ms: int,
        invoked_function_arn: str,
        client_context: dict[str, Any] | None = None,
        cognito_identity: dict[str, Any] | None = None,
    ) -> None:
        env = _platform_environment()
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = None
        self.client_context = ClientContext(client_context) if isinstance(client_context, dict) else None
        self.identity = CognitoIdentity(cognito_identity)
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, message: Any) -> None:
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},function_name={self.function_name},"
            f"function_version={self.function_version},invoked_function_arn={self.invoked_function_arn}])"
        )
