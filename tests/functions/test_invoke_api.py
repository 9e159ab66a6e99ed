"""Invoke and the concurrency operations through boto3 against a real `overcast up`, with real sandboxes."""

from __future__ import annotations

import base64
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory

from .zips import handler_zip

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

HANDLER = """
import json, os, time

def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom")
    if event.get("crash"):
        os._exit(3)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("gate"):
        # Wait until the test drops the gate file into the (hot-reload) code directory.
        while not os.path.exists("/var/task/" + event["gate"]):
            time.sleep(0.005)
    if event.get("big"):
        return "x" * event["big"]
    print("hello from the handler")
    return {"echo": event, "version": context.function_version, "arn": context.invoked_function_arn}
"""


@pytest.fixture(scope="module")
def lam(aws: ClientFactory) -> Any:
    return aws("lambda")


def create(lam: Any, timeout: int = 10, publish: bool = False, code: dict[str, Any] | None = None) -> str:
    name = f"inv-{uuid.uuid4().hex[:10]}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="index.handler",
        Code=code or {"ZipFile": handler_zip(HANDLER)},
        Timeout=timeout,
        Publish=publish,
    )
    return name


@pytest.fixture
def hot_dir() -> Iterator[Path]:
    # Under the user's home: one of the roots a hot-reload directory may be under by default.
    path = Path(tempfile.mkdtemp(prefix=".overcast-hot-", dir=Path.home()))
    path.chmod(0o755)
    (path / "index.py").write_text(HANDLER)
    (path / "index.py").chmod(0o644)
    try:
        yield path
    finally:
        for child in path.iterdir():
            child.unlink()
        path.rmdir()


def call(lam: Any, name: str, event: Any = None, **kwargs: Any) -> dict[str, Any]:
    answer = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **kwargs)
    answer["Body"] = answer["Payload"].read()
    return dict(answer)


def tail(answer: dict[str, Any]) -> str:
    return base64.b64decode(answer["LogResult"]).decode()


def test_request_response_tail_and_warm_reuse(lam: Any) -> None:
    name = create(lam)
    first = call(lam, name, {"a": 1}, LogType="Tail")
    assert first["StatusCode"] == 200
    assert "FunctionError" not in first
    assert first["ExecutedVersion"] == "$LATEST"
    body = json.loads(first["Body"])
    assert body["echo"] == {"a": 1}
    assert body["version"] == "$LATEST"
    log = tail(first)
    request_id = first["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert f"END RequestId: {request_id}" in log
    assert f"REPORT RequestId: {request_id}\tDuration: " in log
    assert "hello from the handler" in log
    assert "Init Duration" in log  # a cold start
    second = call(lam, name, {"a": 2}, LogType="Tail")
    assert "Init Duration" not in tail(second)  # the same, warm instance
    assert "LogResult" not in call(lam, name, {})


def test_dry_run_checks_existence(lam: Any) -> None:
    name = create(lam)
    answer = lam.invoke(FunctionName=name, InvocationType="DryRun")
    assert answer["StatusCode"] == 204
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name + "-missing", InvocationType="DryRun")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_function_error(lam: Any) -> None:
    name = create(lam)
    answer = call(lam, name, {"fail": True})
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Body"])
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "boom"


def test_executed_version_of_versions_and_aliases(lam: Any) -> None:
    name = create(lam, publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    by_alias = call(lam, name, Qualifier="live")
    assert by_alias["ExecutedVersion"] == "1"
    assert json.loads(by_alias["Body"])["arn"].endswith(f":function:{name}:live")
    assert call(lam, f"{name}:1")["ExecutedVersion"] == "1"
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert call(lam, arn, Qualifier="$LATEST")["ExecutedVersion"] == "$LATEST"


def test_payload_limits(lam: Any) -> None:
    name = create(lam)
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, Payload=b'"' + b"x" * (6 * 1024 * 1024) + b'"')
    error = caught.value.response["Error"]
    assert (error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "RequestTooLargeException",
        413,
    )
    assert error["Message"] == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    big = call(lam, name, {"big": 6 * 1024 * 1024 + 1})
    assert big["FunctionError"] == "Unhandled"
    assert json.loads(big["Body"])["errorType"] == "Function.ResponseSizeTooLarge"
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, Payload=b"not json")
    assert caught.value.response["Error"]["Code"] == "InvalidRequestContentException"


def test_reserved_concurrency_one_throttles_the_second_call(lam: Any, hot_dir: Path) -> None:
    name = create(lam, code={"S3Bucket": "hot-reload", "S3Key": str(hot_dir)})
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 1
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 1}
    settings = lam.get_account_settings()["AccountLimit"]
    assert settings["UnreservedConcurrentExecutions"] <= settings["ConcurrentExecutions"] - 1

    def attempt(_: int) -> Any:
        try:
            return call(lam, name, {"gate": "go"})
        except ClientError as exc:
            return exc

    with ThreadPoolExecutor(2) as threads:
        futures = [threads.submit(attempt, i) for i in range(2)]
        # Both calls block on the gate, so whichever came second is throttled; it answers at once.
        throttled = None
        while throttled is None:
            throttled = next((f.result() for f in futures if f.done()), None)
        (hot_dir / "go").write_text("")
        (hot_dir / "go").chmod(0o644)
        results = [f.result() for f in futures]
    errors = [r for r in results if isinstance(r, ClientError)]
    answers = [r for r in results if not isinstance(r, ClientError)]
    assert len(errors) == 1 and len(answers) == 1
    assert errors[0].response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert errors[0].response["Error"]["Code"] == "TooManyRequestsException"
    assert errors[0].response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert answers[0]["StatusCode"] == 200

    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as caught:
        call(lam, name)
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    assert call(lam, name)["StatusCode"] == 200


def test_slot_released_after_timeout_and_crash(lam: Any) -> None:
    name = create(lam, timeout=1)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    timed_out = call(lam, name, {"sleep": 30})
    assert timed_out["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in json.loads(timed_out["Body"])["errorMessage"]
    crashed = call(lam, name, {"crash": True})
    assert crashed["FunctionError"] == "Unhandled"
    answer = call(lam, name, {"b": 2}, LogType="Tail")  # the slot came back each time
    assert answer["StatusCode"] == 200
    assert "Init Duration" in tail(answer)  # the crashed instance was not reused


def test_provisioned_concurrency_is_ready_and_warm(lam: Any) -> None:
    name = create(lam, publish=True)
    with pytest.raises(ClientError) as caught:
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValueException"
    put = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1)
    assert put["Status"] in ("IN_PROGRESS", "READY")
    assert put["RequestedProvisionedConcurrentExecutions"] == 1
    deadline = time.monotonic() + 30
    while (got := lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1"))["Status"] != "READY":
        assert got["Status"] == "IN_PROGRESS" and time.monotonic() < deadline, got
        time.sleep(0.05)
    assert got["AvailableProvisionedConcurrentExecutions"] == 1
    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed] == ["1"]
    answer = call(lam, name, Qualifier="1", LogType="Tail")
    assert answer["StatusCode"] == 200
    assert "Init Duration" not in tail(answer)  # initialized ahead
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    with pytest.raises(ClientError) as caught:
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    assert caught.value.response["Error"]["Code"] == "ProvisionedConcurrencyConfigNotFoundException"


def test_update_retires_latest_instances(lam: Any) -> None:
    name = create(lam)
    assert "Init Duration" in tail(call(lam, name, LogType="Tail"))
    assert "Init Duration" not in tail(call(lam, name, LogType="Tail"))
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"STAGE": "2"}})
    assert "Init Duration" in tail(call(lam, name, LogType="Tail"))  # a new instance, new settings
