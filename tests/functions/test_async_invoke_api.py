"""Asynchronous invocation's API through boto3: Invoke with InvocationType Event and the deprecated InvokeAsync,
their payload limits, and the event run once accepted.

https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html ("For asynchronous invocations, the maximum
payload size is 1 MB"), https://docs.aws.amazon.com/lambda/latest/api/API_InvokeAsync.html (256 KB).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, clients_of, own_server
from tests.functions.hostile import create

SINK = """import json

def handler(event, context):
    if isinstance(event, dict):
        print('EVENT ' + json.dumps(event))
    return 'ok'
"""
MB = 1024 * 1024


@pytest.fixture(scope="module")
def aws() -> Iterator[ClientFactory]:
    """A server of this module's own: accepting an event starts the bus (see conftest.own_server)."""
    with own_server("overcast-async-api-") as server:
        yield clients_of(server)


@pytest.fixture(scope="module")
def sink(aws: ClientFactory) -> str:
    return create(aws("lambda"), "python3.12", {"index.py": SINK}, prefix="async-api")


def _ran(aws: ClientFactory, name: str, event: dict[str, Any], timeout: float = 60) -> bool:
    """Whether the function ran with `event` (waiting for it: its log arrives after it ran)."""
    logs = aws("logs")
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern='"EVENT "')["events"]
        except ClientError:
            found = []
        events = [json.loads(e["message"].split("EVENT ", 1)[1]) for e in found if "EVENT " in e["message"]]
        if event in events:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def _json_of_size(size: int) -> bytes:
    return b'"' + b"a" * (size - 2) + b'"'


def test_an_event_invoke_is_accepted_with_202_and_runs(aws: ClientFactory, sink: str) -> None:
    lam = aws("lambda")
    answer = lam.invoke(FunctionName=sink, InvocationType="Event", Payload=json.dumps({"id": "accepted"}))
    assert answer["StatusCode"] == 202
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert "ExecutedVersion" not in answer and "FunctionError" not in answer
    assert answer["Payload"].read() == b""
    assert _ran(aws, sink, {"id": "accepted"})


def test_an_event_payload_is_limited_to_1_mb(aws: ClientFactory, sink: str) -> None:
    lam = aws("lambda")
    assert lam.invoke(FunctionName=sink, InvocationType="Event", Payload=_json_of_size(MB))["StatusCode"] == 202
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=sink, InvocationType="Event", Payload=_json_of_size(MB + 1))
    assert caught.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    # A synchronous invoke keeps its 6 MB.
    assert lam.invoke(FunctionName=sink, Payload=_json_of_size(MB + 1))["StatusCode"] == 200


def test_an_event_for_a_missing_function_or_with_bad_json_is_refused(aws: ClientFactory) -> None:
    lam = aws("lambda")
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName="no-such-function", InvocationType="Event", Payload=b"{}")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName="no-such-function", InvocationType="Event", Payload=b"{not json")
    assert caught.value.response["Error"]["Code"] in ("InvalidRequestContentException", "ResourceNotFoundException")


def test_invoke_async_is_accepted_with_status_202_and_limited_to_256_kb(aws: ClientFactory, sink: str) -> None:
    lam = aws("lambda")
    answer = lam.invoke_async(FunctionName=sink, InvokeArgs=json.dumps({"id": "deprecated"}))
    assert answer["Status"] == 202
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert _ran(aws, sink, {"id": "deprecated"})
    assert lam.invoke_async(FunctionName=sink, InvokeArgs=_json_of_size(256 * 1024))["Status"] == 202
    with pytest.raises(ClientError) as caught:
        lam.invoke_async(FunctionName=sink, InvokeArgs=_json_of_size(256 * 1024 + 1))
    assert caught.value.response["Error"]["Code"] == "RequestTooLargeException"


def test_the_generic_path_answers_an_event_invoke_as_the_fast_one(aws: ClientFactory, sink: str) -> None:
    lam = aws("lambda")
    # A ClientContext sends the request the generic way (see api/services/lambda_invoke.py).
    answer = lam.invoke(FunctionName=sink, InvocationType="Event", Payload=b'{"id": "generic"}', ClientContext="e30=")
    assert answer["StatusCode"] == 202 and answer["Payload"].read() == b""
    assert "ExecutedVersion" not in answer
    assert _ran(aws, sink, {"id": "generic"})
