"""The edge through real clients: every service answers a plain call with a real answer or an
AWS-shaped 501, and bad requests get AWS's errors, never a 500 or an unparseable body."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer

PLAIN_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "lambda": ("list_functions", {}),
    "stepfunctions": ("list_state_machines", {}),
    "sqs": ("list_queues", {}),
    "kinesis": ("list_streams", {}),
    "events": ("list_event_buses", {}),
    "scheduler": ("list_schedules", {}),
    "logs": ("describe_log_groups", {}),
    "cloudwatch": ("list_metrics", {}),
    "xray": ("get_sampling_rules", {}),
    "apigateway": ("get_rest_apis", {}),
    "apigatewayv2": ("get_apis", {}),
    "iam": ("list_users", {}),
    "sts": ("get_caller_identity", {}),
    "cloudformation": ("list_stacks", {}),
    "serverlessrepo": ("list_applications", {}),
    "s3": ("list_buckets", {}),
    "dynamodb": ("list_tables", {}),
}


@pytest.mark.parametrize("service", sorted(PLAIN_CALLS))
def test_a_plain_call_gets_an_answer_or_an_aws_shaped_501(aws: ClientFactory, service: str) -> None:
    operation, params = PLAIN_CALLS[service]
    client = aws(service)
    try:
        response = getattr(client, operation)(**params)
    except ClientError as error:
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 501, error.response
        assert error.response["Error"]["Code"] == "NotImplemented"
        assert "implement" in error.response["Error"]["Message"].lower()
    else:
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_every_response_carries_a_request_id(aws: ClientFactory) -> None:
    response = aws("lambda").list_functions()
    assert len(response["ResponseMetadata"]["RequestId"]) == 36


def _query_form(server: RunningServer, form: bytes) -> tuple[int, bytes]:
    """POST a query-protocol form as older SDKs send it; the error status and raw body."""
    request = urllib.request.Request(
        server.url + "/",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    return caught.value.code, caught.value.read()


def test_cloudwatch_query_protocol_from_older_sdks_gets_xml(server: RunningServer) -> None:
    # Older SDKs send CloudWatch as form-encoded query; the answer must be query-shaped too.
    status, body = _query_form(server, b"Action=ListMetrics&Version=2010-08-01")
    assert status == 501
    assert body.startswith(b"<") and b"<Code>NotImplemented</Code>" in body


def _post(server: RunningServer, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(server.url + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_unknown_service_is_a_clear_400(server: RunningServer) -> None:
    status, body = _post(server, "/nothing-here", b"{}", {"Content-Type": "application/json"})
    assert status == 400
    assert body["__type"] == "UnknownServiceException"


def test_unknown_json_target_is_unknown_operation(server: RunningServer) -> None:
    status, body = _post(
        server,
        "/",
        b"{}",
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.NoSuchThing"},
    )
    assert status == 400
    assert "UnknownOperationException" in body["__type"]


def test_malformed_json_is_refused(server: RunningServer) -> None:
    status, body = _post(
        server,
        "/",
        b"{not json",
        {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListStateMachines"},
    )
    assert status == 400
    assert "SerializationException" in body["__type"]


def test_oversize_body_is_413_and_the_server_keeps_serving(server: RunningServer, aws: ClientFactory) -> None:
    big = b"x" * (71 * 1024 * 1024)
    status, body = _post(server, "/2015-03-31/functions", big, {"Content-Type": "application/json"})
    assert status == 413
    assert body["__type"] == "RequestEntityTooLargeException"
    assert aws("lambda").list_functions()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_parse_error_answers_in_the_protocol_the_request_used(server: RunningServer) -> None:
    # CloudWatch's default protocol is CBOR; an older SDK's query request still gets query XML.
    status, body = _query_form(server, b"Action=NoSuchAction&Version=2010-08-01")
    assert status == 400
    assert b"<ErrorResponse" in body and b"<Code>InvalidAction</Code>" in body
