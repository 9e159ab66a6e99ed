"""The AWS APIs' and Overcast's own paths' error boundaries, through a real server with injected faults.

An unexpected exception anywhere in answering an AWS API call (a handler, the serializer, an HTTP
header, the Lambda Invoke fast path) answers the protocol's `InternalFailure` (500), which boto3
raises as a ClientError carrying the request id; the traceback goes to Overcast's log under that
id, never into the answer; and the server keeps answering. `/_overcast/*` answers a JSON error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.api import fault_server, faults
from tests.api.faults import RAISED, assert_logged_with_traceback, server_log
from tests.conftest import RunningServer

faulty, faulty_aws = faults.faulty, faults.faulty_aws  # the fixtures
Clients = Callable[..., Any]


# fault -> (service, operation, parameters, the exception the server's log shows)
FAULTS = {
    "json 1.0": ("stepfunctions", "list_activities", {}, RAISED),
    "json 1.1, output the serializer cannot write": (
        "logs", "describe_destinations", {}, "TypeError: Object of type object is not JSON serializable"
    ),
    "rest-json": ("lambda", "list_layers", {}, RAISED),
    "rest-json, a header HTTP cannot carry": ("apigateway", "get_sdk", {
        "restApiId": "abc123", "stageName": "prod", "sdkType": "javascript"
    }, "UnicodeEncodeError: 'latin-1' codec can't encode character '\\u20ac'"),
    "rest-json, a header with a line break": ("apigateway", "get_export", {
        "restApiId": "abc123", "stageName": "prod", "exportType": "oas30"
    }, "UnsendableHeader: a response header value has control characters"),
    "query": ("sts", "get_session_token", {}, RAISED),
    "smithy-rpc-v2-cbor": ("cloudwatch", "list_metrics", {}, RAISED),
    "the Lambda Invoke fast path": ("lambda", "invoke", {"FunctionName": "anything", "Payload": b"{}"}, RAISED),
}  # fmt: skip


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_an_unexpected_exception_is_the_protocols_internal_failure(
    faulty: RunningServer, faulty_aws: Clients, fault: str
) -> None:
    service, operation, params, exception = FAULTS[fault]
    with pytest.raises(ClientError) as raised:
        getattr(faulty_aws(service), operation)(**params)
    response = raised.value.response
    assert response["Error"]["Code"] == "InternalFailure", response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "unknown error" in response["Error"]["Message"]
    request_id = response["ResponseMetadata"]["RequestId"]
    assert re.fullmatch(r"[0-9a-f-]{36}", request_id), response
    assert_logged_with_traceback(faulty, f"request {request_id} failed", exception)
    # ...and the server keeps answering, on the same service too.
    assert faulty_aws("sts").get_caller_identity()["Account"] == "000000000000"
    assert faulty_aws("lambda").list_functions()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_the_answer_carries_no_traceback(faulty: RunningServer) -> None:
    raw = httpx.post(
        f"{faulty.url}/",
        content=b"{}",
        headers={"content-type": "application/x-amz-json-1.0", "x-amz-target": "AWSStepFunctions.ListActivities"},
    )
    assert raw.status_code == 500
    assert raw.headers["x-amzn-errortype"] == "InternalFailure"
    body = raw.json()
    assert body["__type"] == "InternalFailure" and "Traceback" not in raw.text and fault_server.FAULT not in raw.text
    invoke = httpx.post(f"{faulty.url}/2015-03-31/functions/anything/invocations", content=b"{}")
    assert invoke.status_code == 500 and invoke.headers["x-amzn-errortype"] == "InternalFailure"
    assert "Traceback" not in invoke.text and invoke.json()["Message"]  # Lambda spells it so
    assert_logged_with_traceback(faulty, f"request {invoke.headers['x-amzn-requestid']} failed")


def test_invoke_past_the_fast_path_is_still_the_real_one(faulty_aws: Clients) -> None:
    # With X-Amz-Invocation-Type DryRun the generic path answers, from the real invoker.
    with pytest.raises(ClientError) as raised:
        faulty_aws("lambda").invoke(FunctionName="anything", InvocationType="DryRun")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_an_internal_route_that_fails_answers_a_json_error(faulty: RunningServer) -> None:
    answer = httpx.get(f"{faulty.url}/_overcast/fault/anything")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["requestId"] == answer.headers["x-amzn-requestid"]
    assert "/_overcast/fault/anything" in body["error"] and "Traceback" not in answer.text
    assert_logged_with_traceback(faulty, f"request {body['requestId']} for GET /_overcast/fault/anything failed")
    assert httpx.get(f"{faulty.url}/_overcast/health").status_code == 200


def test_a_websocket_handshake_is_refused_not_failed(faulty: RunningServer) -> None:
    # No surface speaks WebSocket yet: the handshake is refused (403), not left to the server's 500.
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with pytest.raises(InvalidStatus) as refused:
        connect(faulty.url.replace("http://", "ws://", 1) + "/", open_timeout=10)
    assert refused.value.response.status_code == 403
    assert "ASGI callable returned without" not in server_log(faulty)
