"""validate: each constraint of botocore's models, worded and counted as AWS words it."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.api.protocols.models import load_service
from overcast.api.protocols.validate import ValidationError, validate
from overcast.errors import AwsError, ValidationException

FUNCTION = {"FunctionName": "f", "Role": "arn:aws:iam::000000000000:role/r", "Code": {}}


def _message(service: str, operation: str, params: dict[str, Any]) -> str:
    with pytest.raises(AwsError) as caught:
        validate(load_service(service).operation_model(operation), params)
    return caught.value.message


@pytest.mark.parametrize(
    ("service", "operation", "params", "message"),
    [
        (
            "lambda",
            "CreateFunction",
            {**FUNCTION, "MemorySize": 40000},
            "1 validation error detected: Value '40000' at 'memorySize' failed to satisfy constraint: "
            "Member must have value less than or equal to 32768",
        ),
        (
            "lambda",
            "CreateFunction",
            {**FUNCTION, "Timeout": 0},
            "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            "lambda",
            "CreateFunction",
            {"FunctionName": "f", "Code": {}},
            "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null",
        ),
        (
            "lambda",
            "CreateFunction",
            {**FUNCTION, "PackageType": "Tarball"},
            "1 validation error detected: Value 'Tarball' at 'packageType' failed to satisfy constraint: "
            "Member must satisfy enum value set: [Zip, Image]",
        ),
        (
            "lambda",
            "CreateFunction",
            {**FUNCTION, "Description": "d" * 257},
            f"1 validation error detected: Value '{'d' * 257}' at 'description' failed to satisfy constraint: "
            "Member must have length less than or equal to 256",
        ),
        (
            "lambda",
            "CreateFunction",
            {**FUNCTION, "FunctionName": ""},
            "1 validation error detected: Value '' at 'functionName' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        ),
        (
            "lambda",
            "CreateFunction",
            {**FUNCTION, "Layers": [], "Architectures": ["x86_64", "arm64"]},
            "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: "
            "Member must have length less than or equal to 1",
        ),
        (
            "lambda",
            "CreateFunction",
            {**FUNCTION, "Architectures": ["sparc"]},
            "1 validation error detected: Value 'sparc' at 'architectures.1.member' failed to satisfy constraint: "
            "Member must satisfy enum value set: [x86_64, arm64]",
        ),
        (
            "lambda",
            "CreateFunction",
            {**FUNCTION, "DeadLetterConfig": {"TargetArn": ""}, "EphemeralStorage": {}},
            "1 validation error detected: Value null at 'ephemeralStorage.size' failed to satisfy constraint: "
            "Member must not be null",
        ),
        (
            "lambda",
            "CreateFunction",
            {"Code": {}, "MemorySize": 1, "Timeout": 0},
            "4 validation errors detected: "
            "Value null at 'functionName' failed to satisfy constraint: Member must not be null; "
            "Value null at 'role' failed to satisfy constraint: Member must not be null; "
            "Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1; "
            "Value '1' at 'memorySize' failed to satisfy constraint: "
            "Member must have value greater than or equal to 128",
        ),
        (
            "dynamodb",
            "DescribeTable",
            {"TableName": "t" * 1025},
            f"1 validation error detected: Value '{'t' * 1025}' at 'tableName' failed to satisfy constraint: "
            "Member must have length less than or equal to 1024",
        ),
    ],
)
def test_constraint_messages(service: str, operation: str, params: dict[str, Any], message: str) -> None:
    assert _message(service, operation, params) == message


def test_json_services_raise_validation_exception_and_query_services_validation_error() -> None:
    with pytest.raises(ValidationException):
        validate(load_service("sqs").operation_model("GetQueueUrl"), {})
    with pytest.raises(ValidationError) as caught:
        validate(load_service("iam").operation_model("GetRole"), {})
    assert (caught.value.code, caught.value.status) == ("ValidationError", 400)
    assert caught.value.message == (
        "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"
    )


@pytest.mark.parametrize(("service", "operation"), [("apigateway", "GetRestApi"), ("apigatewayv2", "GetApi")])
def test_api_gateway_says_bad_request(service: str, operation: str) -> None:
    with pytest.raises(AwsError) as caught:
        validate(load_service(service).operation_model(operation), {})
    assert (caught.value.code, caught.value.status) == ("BadRequestException", 400)
    assert caught.value.message.startswith("1 validation error detected: Value null at ")


def test_map_key_and_value_constraints() -> None:
    message = _message("lambda", "TagResource", {"Resource": "r", "Tags": {"": "v"}})
    assert message == (
        "1 validation error detected: Value '{=v}' at 'tags' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length greater than or equal to 1]"
    )


def test_blob_length() -> None:
    message = _message("kinesis", "PutRecord", {"StreamName": "s", "PartitionKey": "p", "Data": b"x" * 10485761})
    assert message.endswith(
        "at 'data' failed to satisfy constraint: Member must have length less than or equal to 10485760"
    )
    assert "java.nio.HeapByteBuffer[pos=0 lim=10485761 cap=10485761]" in message


def test_patterns_are_left_to_the_handlers() -> None:
    # FunctionName's model pattern forbids spaces; the Lambda handler words that error itself.
    validate(load_service("lambda").operation_model("GetFunction"), {"FunctionName": "not a valid name"})


def test_valid_params_pass() -> None:
    validate(load_service("lambda").operation_model("CreateFunction"), {**FUNCTION, "MemorySize": 128})
