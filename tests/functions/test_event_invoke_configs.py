"""Event invoke configs: Put/Get/Update/Delete/ListFunctionEventInvokeConfigs through boto3, as AWS answers them.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory
from tests.functions.hostile import create

HANDLER = "def handler(event, context):\n    return event\n"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:failures"
TOPIC = "arn:aws:sns:us-east-1:000000000000:successes"
BUCKET = "arn:aws:s3:::failed-events"


@pytest.fixture
def function(aws: ClientFactory) -> str:
    return create(aws("lambda"), "python3.12", {"index.py": HANDLER}, prefix="eic")


def _error(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_put_replaces_update_merges_and_get_answers_the_stored_config(aws: ClientFactory, function: str) -> None:
    lam = aws("lambda")
    arn = lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    put = lam.put_function_event_invoke_config(
        FunctionName=function,
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=3600,
        DestinationConfig={"OnFailure": {"Destination": QUEUE}},
    )
    assert put["FunctionArn"] == arn + ":$LATEST"
    assert put["MaximumRetryAttempts"] == 1 and put["MaximumEventAgeInSeconds"] == 3600
    assert put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": QUEUE}}
    assert put["LastModified"].year >= 2024  # epoch seconds on the wire, a datetime through boto3

    updated = lam.update_function_event_invoke_config(
        FunctionName=function, DestinationConfig={"OnSuccess": {"Destination": TOPIC}}
    )
    assert updated["MaximumRetryAttempts"] == 1 and updated["MaximumEventAgeInSeconds"] == 3600
    assert updated["DestinationConfig"] == {"OnSuccess": {"Destination": TOPIC}, "OnFailure": {"Destination": QUEUE}}

    replaced = lam.put_function_event_invoke_config(FunctionName=function, MaximumRetryAttempts=0)
    assert replaced["MaximumRetryAttempts"] == 0
    assert "MaximumEventAgeInSeconds" not in replaced
    assert replaced["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    got = lam.get_function_event_invoke_config(FunctionName=function, Qualifier="$LATEST")
    assert got["MaximumRetryAttempts"] == 0 and "MaximumEventAgeInSeconds" not in got

    lam.delete_function_event_invoke_config(FunctionName=function)
    code, message = _error(lam.get_function_event_invoke_config, FunctionName=function)
    assert code == "ResourceNotFoundException"
    assert message == f"The function {arn}:$LATEST doesn't have an EventInvokeConfig"
    assert _error(lam.delete_function_event_invoke_config, FunctionName=function)[0] == "ResourceNotFoundException"
    assert _error(lam.update_function_event_invoke_config, FunctionName=function, MaximumRetryAttempts=1)[0] == (
        "ResourceNotFoundException"
    )


def test_configs_belong_to_versions_and_aliases_named_in_any_form(aws: ClientFactory, function: str) -> None:
    lam = aws("lambda")
    arn = lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    version = lam.publish_version(FunctionName=function)["Version"]
    lam.create_alias(FunctionName=function, Name="live", FunctionVersion=version)
    partial = arn.split(":", 4)[4]  # 123456789012:function:NAME

    by_version = lam.put_function_event_invoke_config(FunctionName=f"{function}:{version}", MaximumRetryAttempts=2)
    assert by_version["FunctionArn"] == f"{arn}:{version}"
    by_alias = lam.put_function_event_invoke_config(FunctionName=arn, Qualifier="live", MaximumEventAgeInSeconds=60)
    assert by_alias["FunctionArn"] == f"{arn}:live"
    lam.put_function_event_invoke_config(FunctionName=partial, MaximumEventAgeInSeconds=21600)

    assert lam.get_function_event_invoke_config(FunctionName=f"{arn}:live")["MaximumEventAgeInSeconds"] == 60
    assert lam.get_function_event_invoke_config(FunctionName=partial, Qualifier=version)["MaximumRetryAttempts"] == 2
    listed = lam.list_function_event_invoke_configs(FunctionName=function)["FunctionEventInvokeConfigs"]
    assert sorted(c["FunctionArn"] for c in listed) == sorted([f"{arn}:$LATEST", f"{arn}:{version}", f"{arn}:live"])
    first = lam.list_function_event_invoke_configs(FunctionName=function, MaxItems=2)
    rest = lam.list_function_event_invoke_configs(FunctionName=function, Marker=first["NextMarker"])
    assert len(first["FunctionEventInvokeConfigs"]) == 2 and len(rest["FunctionEventInvokeConfigs"]) == 1
    assert "NextMarker" not in rest

    # Deleting the alias takes its config; the version's goes with the version.
    lam.delete_alias(FunctionName=function, Name="live")
    lam.create_alias(FunctionName=function, Name="live", FunctionVersion=version)
    assert _error(lam.get_function_event_invoke_config, FunctionName=function, Qualifier="live")[0] == (
        "ResourceNotFoundException"
    )
    lam.delete_alias(FunctionName=function, Name="live")
    lam.delete_function(FunctionName=function, Qualifier=version)
    remaining = lam.list_function_event_invoke_configs(FunctionName=function)["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"] for c in remaining] == [f"{arn}:$LATEST"]


def test_missing_functions_qualifiers_and_deleted_functions(aws: ClientFactory, function: str) -> None:
    lam = aws("lambda")
    put = lam.put_function_event_invoke_config
    code, message = _error(put, FunctionName="no-such-function", MaximumRetryAttempts=1)
    assert code == "ResourceNotFoundException" and message.startswith("Function not found: ")
    assert _error(put, FunctionName=function, Qualifier="7", MaximumRetryAttempts=1)[0] == "ResourceNotFoundException"
    assert _error(put, FunctionName=function, Qualifier="nope", MaximumRetryAttempts=1)[0] == (
        "ResourceNotFoundException"
    )
    assert _error(lam.list_function_event_invoke_configs, FunctionName="no-such-function")[0] == (
        "ResourceNotFoundException"
    )
    put(FunctionName=function, MaximumRetryAttempts=1)
    lam.delete_function(FunctionName=function)
    again = create(lam, "python3.12", {"index.py": HANDLER}, prefix="eic")
    lam.delete_function(FunctionName=again)
    assert (
        lam.list_function_event_invoke_configs(
            FunctionName=create(lam, "python3.12", {"index.py": HANDLER}, prefix="eic")
        )["FunctionEventInvokeConfigs"]
        == []
    )


@pytest.mark.parametrize(
    ("params", "member", "constraint"),
    [
        ({"MaximumRetryAttempts": 3}, "maximumRetryAttempts", "Member must have value less than or equal to 2"),
        ({"MaximumRetryAttempts": -1}, "maximumRetryAttempts", "Member must have value greater than or equal to 0"),
        ({"MaximumEventAgeInSeconds": 59}, "maximumEventAgeInSeconds", "greater than or equal to 60"),
        ({"MaximumEventAgeInSeconds": 21601}, "maximumEventAgeInSeconds", "less than or equal to 21600"),
        (
            {"DestinationConfig": {"OnSuccess": {"Destination": "queue-please"}}},
            "destinationConfig.onSuccess.destination",
            "Member must satisfy regular expression pattern",
        ),
    ],
)
def test_values_out_of_the_model_are_refused_in_its_words(
    aws: ClientFactory, function: str, params: dict[str, Any], member: str, constraint: str
) -> None:
    lam = aws("lambda", config=Config(retries={"max_attempts": 1}, parameter_validation=False))
    code, message = _error(lam.put_function_event_invoke_config, FunctionName=function, **params)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value ")
    assert f"at '{member}' failed to satisfy constraint: " in message and constraint in message


def test_a_destination_must_be_a_queue_topic_function_bus_or_failure_bucket(aws: ClientFactory, function: str) -> None:
    lam = aws("lambda")
    for failure in (QUEUE, TOPIC, BUCKET, "arn:aws:events:us-east-1:000000000000:event-bus/default",
                    "arn:aws:lambda:us-east-1:000000000000:function:other"):  # fmt: skip
        config = {"OnFailure": {"Destination": failure}}
        assert lam.put_function_event_invoke_config(FunctionName=function, DestinationConfig=config)
    for success in (BUCKET, "arn:aws:dynamodb:us-east-1:000000000000:table/t"):
        code, _ = _error(
            lam.put_function_event_invoke_config,
            FunctionName=function,
            DestinationConfig={"OnSuccess": {"Destination": success}},
        )
        assert code == "InvalidParameterValueException"
