"""RecursiveLoop and runtime management configs: stored and returned as AWS does, through boto3.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html,
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory
from tests.functions.hostile import create

HANDLER = "def handler(event, context):\n    return event\n"
RUNTIME_VERSION = "arn:aws:lambda:us-east-1::runtime:0d5d6c4d2d2c8d5c4d2d2c8d5c4d2d2c8d5c4d2d2c8d5c4d2d2c8d5c4d2d2c8"


@pytest.fixture
def function(aws: ClientFactory) -> str:
    return create(aws("lambda"), "python3.12", {"index.py": HANDLER}, prefix="options")


def test_recursive_loop_is_terminate_until_set(aws: ClientFactory, function: str) -> None:
    lam = aws("lambda")
    assert lam.get_function_recursion_config(FunctionName=function)["RecursiveLoop"] == "Terminate"
    assert lam.put_function_recursion_config(FunctionName=function, RecursiveLoop="Allow")["RecursiveLoop"] == "Allow"
    assert lam.get_function_recursion_config(FunctionName=function)["RecursiveLoop"] == "Allow"
    with pytest.raises(ClientError) as bad:
        lam.put_function_recursion_config(FunctionName=function, RecursiveLoop="Sometimes")
    assert bad.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as missing:
        lam.get_function_recursion_config(FunctionName="no-such-function")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    lam.delete_function(FunctionName=function)
    again = create(lam, "python3.12", {"index.py": HANDLER}, prefix="options")
    assert lam.get_function_recursion_config(FunctionName=again)["RecursiveLoop"] == "Terminate"


def test_runtime_management_is_auto_until_set_per_version(aws: ClientFactory, function: str) -> None:
    lam = aws("lambda")
    arn = lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    default = lam.get_runtime_management_config(FunctionName=function)
    default.pop("ResponseMetadata")
    assert default == {"UpdateRuntimeOn": "Auto", "FunctionArn": arn}
    lam.publish_version(FunctionName=function)
    manual = lam.put_runtime_management_config(
        FunctionName=function, Qualifier="1", UpdateRuntimeOn="Manual", RuntimeVersionArn=RUNTIME_VERSION
    )
    assert (manual["UpdateRuntimeOn"], manual["RuntimeVersionArn"], manual["FunctionArn"]) == (
        "Manual", RUNTIME_VERSION, f"{arn}:1"
    )  # fmt: skip
    got = lam.get_runtime_management_config(FunctionName=function, Qualifier="1")
    assert got["UpdateRuntimeOn"] == "Manual" and got["RuntimeVersionArn"] == RUNTIME_VERSION
    assert lam.get_runtime_management_config(FunctionName=function)["UpdateRuntimeOn"] == "Auto"  # $LATEST's own
    lam.put_runtime_management_config(FunctionName=function, UpdateRuntimeOn="FunctionUpdate")
    got = lam.get_runtime_management_config(FunctionName=function, Qualifier="$LATEST")
    assert got["UpdateRuntimeOn"] == "FunctionUpdate" and "RuntimeVersionArn" not in got


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"UpdateRuntimeOn": "Manual"}, "InvalidParameterValueException"),  # Manual needs its runtime version
        ({"UpdateRuntimeOn": "Auto", "RuntimeVersionArn": RUNTIME_VERSION}, "InvalidParameterValueException"),
        ({"UpdateRuntimeOn": "Sometimes"}, "ValidationException"),
        ({"UpdateRuntimeOn": "Manual", "RuntimeVersionArn": "arn:aws:lambda:us-east-1::nope"}, "ValidationException"),
        ({"UpdateRuntimeOn": "Auto", "Qualifier": "7"}, "ResourceNotFoundException"),
    ],
)
def test_bad_runtime_management_configs_are_refused(
    aws: ClientFactory, function: str, params: dict[str, Any], code: str
) -> None:
    lam = aws("lambda")
    with pytest.raises(ClientError) as refused:
        lam.put_runtime_management_config(FunctionName=function, **params)
    assert refused.value.response["Error"]["Code"] == code
    assert lam.get_runtime_management_config(FunctionName=function)["UpdateRuntimeOn"] == "Auto"
