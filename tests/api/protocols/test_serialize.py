"""serialize_response / serialize_error: exact wire forms AWS documents, and real boto3 clients raising
the named exception from what serialize_error writes."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.errorfactory import ClientExceptionsFactory
from botocore.parsers import create_parser

from overcast.api.protocols import cbor
from overcast.api.protocols.http import HttpResponse
from overcast.api.protocols.models import load_service
from overcast.api.protocols.serialize import modeled_error, serialize_error, serialize_response
from overcast.api.protocols.serialize_query import query_operation
from overcast.api.protocols.serialize_query_compat import query_view
from overcast.errors import AwsError, ResourceNotFound


def _headers(response: HttpResponse) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers}


# -- exact wire forms ------------------------------------------------------------------------------


def test_lambda_invoke_puts_status_headers_and_raw_payload_on_the_wire() -> None:
    # https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_ResponseSyntax
    operation = load_service("lambda").operation_model("Invoke")
    output = {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "LogResult": "U1RBUlQ=",
        "ExecutedVersion": "$LATEST",
        "Payload": b'{"errorMessage":"boom"}',
    }
    response = serialize_response(operation, output, "rest-json", "req-1")
    assert response.status == 200
    assert response.body == b'{"errorMessage":"boom"}'
    headers = _headers(response)
    assert headers["x-amz-function-error"] == "Unhandled"
    assert headers["x-amz-log-result"] == "U1RBUlQ="
    assert headers["x-amz-executed-version"] == "$LATEST"
    assert headers["x-amzn-requestid"] == "req-1"


def test_lambda_async_invoke_answers_202_with_an_empty_body() -> None:
    operation = load_service("lambda").operation_model("Invoke")
    response = serialize_response(operation, {"StatusCode": 202, "Payload": b""}, "rest-json", "r")
    assert (response.status, response.body) == (202, b"")


def test_json_protocol_writes_epoch_seconds_base64_blobs_and_the_json_version() -> None:
    operation = load_service("kinesis").operation_model("GetRecords")
    when = datetime(2026, 1, 1, 0, 0, 0, 250000, tzinfo=UTC)
    output = {
        "Records": [{"SequenceNumber": "1", "ApproximateArrivalTimestamp": when, "Data": b"hi", "PartitionKey": "k"}]
    }
    response = serialize_response(operation, output, "json", "req-1")
    assert _headers(response)["content-type"] == "application/x-amz-json-1.1"
    record = json.loads(response.body)["Records"][0]
    assert record["ApproximateArrivalTimestamp"] == 1767225600.25
    assert record["Data"] == "aGk="


@pytest.mark.parametrize("when", [1767225600, 1767225600.0, "2026-01-01T00:00:00Z", datetime(2026, 1, 1)])
def test_timestamps_may_be_given_as_epoch_seconds_iso_text_or_naive_utc(when: Any) -> None:
    operation = load_service("iam").operation_model("GetUser")
    output = {"User": {"Path": "/", "UserName": "u", "UserId": "AIDA", "Arn": "arn", "CreateDate": when}}
    body = serialize_response(operation, output, "query", "r").body
    assert b"<CreateDate>2026-01-01T00:00:00Z</CreateDate>" in body


def test_query_response_wraps_the_result_and_request_id() -> None:
    # https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html (example response)
    operation = load_service("sts").operation_model("GetCallerIdentity")
    output = {"UserId": "AIDA", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/a"}
    response = serialize_response(operation, output, "query", "req-9")
    root = ET.fromstring(response.body)
    ns = "{https://sts.amazonaws.com/doc/2011-06-15/}"
    assert root.tag == f"{ns}GetCallerIdentityResponse"
    assert root.find(f"{ns}GetCallerIdentityResult/{ns}Account").text == "123456789012"  # type: ignore[union-attr]
    assert root.find(f"{ns}ResponseMetadata/{ns}RequestId").text == "req-9"  # type: ignore[union-attr]


def _tree(element: ET.Element) -> Any:
    tag = element.tag.split("}")[-1]
    children = list(element)
    return (tag, [_tree(c) for c in children]) if children else (tag, element.text or "")


def test_sqs_query_responses_use_the_element_names_older_sdks_expect() -> None:
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
    # (query response: flattened <Message>, <Attribute><Name/><Value/></Attribute>, <MessageAttribute>)
    operation = load_service("sqs").operation_model("ReceiveMessage")
    output = {
        "Messages": [
            {
                "MessageId": "m-1",
                "ReceiptHandle": "rh",
                "MD5OfBody": "md5",
                "Body": "hello",
                "Attributes": {"SenderId": "AIDA"},
                "MessageAttributes": {"colour": {"StringValue": "red", "DataType": "String"}},
            }
        ]
    }
    body = serialize_response(operation, output, "query", "req-3").body
    root = ET.fromstring(body)
    assert root.tag == "{http://queue.amazonaws.com/doc/2012-11-05/}ReceiveMessageResponse"
    assert _tree(root) == (
        "ReceiveMessageResponse",
        [
            (
                "ReceiveMessageResult",
                [
                    (
                        "Message",
                        [
                            ("MessageId", "m-1"),
                            ("ReceiptHandle", "rh"),
                            ("MD5OfBody", "md5"),
                            ("Body", "hello"),
                            ("Attribute", [("Name", "SenderId"), ("Value", "AIDA")]),
                            (
                                "MessageAttribute",
                                [("Name", "colour"), ("Value", [("StringValue", "red"), ("DataType", "String")])],
                            ),
                        ],
                    )
                ],
            ),
            ("ResponseMetadata", [("RequestId", "req-3")]),
        ],
    )


def test_sqs_query_list_queues_repeats_queue_url() -> None:
    # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html
    operation = load_service("sqs").operation_model("ListQueues")
    body = serialize_response(operation, {"QueueUrls": ["u1", "u2"]}, "query", "r").body
    assert _tree(ET.fromstring(body))[1][0] == ("ListQueuesResult", [("QueueUrl", "u1"), ("QueueUrl", "u2")])


def test_xml_keeps_carriage_returns_and_escapes_markup() -> None:
    operation = load_service("sqs").operation_model("ReceiveMessage")
    body = serialize_response(operation, {"Messages": [{"Body": "a\r\n<b>&"}]}, "query", "r").body
    parsed = create_parser("query").parse(
        {"headers": {}, "status_code": 200, "body": body}, query_operation(operation).output_shape
    )
    assert parsed["Messages"][0]["Body"] == "a\r\n<b>&"


def test_cbor_response_marks_the_protocol_and_tags_timestamps() -> None:
    operation = load_service("cloudwatch").operation_model("GetMetricStatistics")
    output = {"Label": "l", "Datapoints": [{"Timestamp": datetime(2026, 1, 1, tzinfo=UTC), "Sum": 2.0}]}
    response = serialize_response(operation, output, "smithy-rpc-v2-cbor", "r")
    assert _headers(response)["smithy-protocol"] == "rpc-v2-cbor"
    assert _headers(response)["content-type"] == "application/cbor"
    assert b"\xc1" in response.body  # tag 1
    assert cbor.decode(response.body)["Datapoints"][0]["Sum"] == 2.0


# -- errors on the wire ----------------------------------------------------------------------------


def test_rest_json_error_carries_type_header_message_casing_and_header_members() -> None:
    service = load_service("lambda")
    error = AwsError(
        "Rate exceeded",
        code="TooManyRequestsException",
        status=429,
        fields={
            "Type": "User",
            "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
            "retryAfterSeconds": "1",
        },
    )
    response = serialize_error(service, error, "rest-json", "req-4")
    headers = _headers(response)
    assert response.status == 429
    assert headers["x-amzn-errortype"] == "TooManyRequestsException"
    assert headers["retry-after"] == "1"
    assert json.loads(response.body) == {
        "message": "Rate exceeded",
        "Type": "User",
        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
    }
    # ResourceNotFoundException models its message as `Message`.
    body = json.loads(serialize_error(service, ResourceNotFound("Function not found"), "rest-json", "r").body)
    assert body == {"Message": "Function not found", "Type": "User"}


def test_query_compatible_json_error_names_the_shape_and_the_query_code() -> None:
    error = AwsError("The specified queue does not exist.", code="QueueDoesNotExist", status=400)
    response = serialize_error(load_service("sqs"), error, "json", "req-5")
    headers = _headers(response)
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert json.loads(response.body)["__type"] == "QueueDoesNotExist"
    # The legacy query code finds the same shape.
    assert modeled_error(load_service("sqs"), "AWS.SimpleQueueService.NonExistentQueue") == modeled_error(
        load_service("sqs"), "QueueDoesNotExist"
    )


def test_query_error_document() -> None:
    error = AwsError("User x cannot be found.", code="NoSuchEntity", status=404)
    response = serialize_error(load_service("iam"), error, "query", "req-6")
    assert _tree(ET.fromstring(response.body)) == (
        "ErrorResponse",
        [
            ("Error", [("Type", "Sender"), ("Code", "NoSuchEntity"), ("Message", "User x cannot be found.")]),
            ("RequestId", "req-6"),
        ],
    )


def test_unmodeled_errors_keep_their_own_code_and_the_services_message_casing() -> None:
    error = AwsError("no handler", code="NotImplemented", status=501)
    response = serialize_error(load_service("kinesis"), error, "json", "r")
    assert response.status == 501
    assert json.loads(response.body) == {"__type": "NotImplemented", "message": "no handler"}
    response = serialize_error(load_service("scheduler"), error, "rest-json", "r")
    assert json.loads(response.body) == {"Message": "no handler"}


# -- real clients raise the named exception ---------------------------------------------------------


class _Raw:
    """The raw-body side of an HTTP response, as botocore reads it."""

    def __init__(self, body: bytes) -> None:
        self._io = io.BytesIO(body)

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._io.read()

    def read(self, amt: int | None = None) -> bytes:
        return self._io.read(amt)


def _client(service: str, response: HttpResponse) -> Any:
    """A boto3 client whose HTTP exchange returns `response` (botocore's `before-send` hook)."""
    client = boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )

    def reply(request: Any, **_: Any) -> AWSResponse:
        headers: dict[str, str] = {}
        for key, value in response.headers:
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return AWSResponse(request.url, response.status, headers, _Raw(response.body))

    client.meta.events.register("before-send", reply)
    return client


@pytest.mark.parametrize(
    ("service", "protocol", "code", "status", "fields", "call", "exception"),
    [
        (
            "lambda",
            "rest-json",
            "TooManyRequestsException",
            429,
            {"Type": "User", "Reason": "CallerRateLimitExceeded", "retryAfterSeconds": "2"},
            ("invoke", {"FunctionName": "f"}),
            "TooManyRequestsException",
        ),
        (
            "lambda",
            "rest-json",
            "ResourceNotFoundException",
            404,
            {"Type": "User"},
            ("get_function", {"FunctionName": "f"}),
            "ResourceNotFoundException",
        ),
        ("sqs", "json", "QueueDoesNotExist", 400, {}, ("get_queue_url", {"QueueName": "q"}), "QueueDoesNotExist"),
        (
            "kinesis",
            "json",
            "ResourceNotFoundException",
            400,
            {},
            ("describe_stream", {"StreamName": "s"}),
            "ResourceNotFoundException",
        ),
        (
            "cloudwatch",
            "json",
            "InvalidParameterValueException",
            400,
            {},
            ("list_metrics", {}),
            "InvalidParameterValueException",
        ),
        ("iam", "query", "NoSuchEntity", 404, {}, ("get_user", {"UserName": "u"}), "NoSuchEntityException"),
        ("sts", "query", "ExpiredTokenException", 400, {}, ("get_caller_identity", {}), "ExpiredTokenException"),
    ],
)
def test_boto3_raises_the_named_exception(
    service: str,
    protocol: str,
    code: str,
    status: int,
    fields: dict[str, Any],
    call: tuple[str, dict[str, Any]],
    exception: str,
) -> None:
    error = AwsError("it went wrong", code=code, status=status, fields=fields)
    client = _client(service, serialize_error(load_service(service), error, protocol, "req-7"))
    method, params = call
    with pytest.raises(getattr(client.exceptions, exception)) as raised:
        getattr(client, method)(**params)
    parsed = raised.value.response
    assert parsed["Error"]["Message"] == "it went wrong"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status
    assert parsed["ResponseMetadata"]["RequestId"] == "req-7"
    for name, value in fields.items():
        assert parsed[name] == value


def test_boto3_reads_a_successful_invoke() -> None:
    operation = load_service("lambda").operation_model("Invoke")
    output = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": b'{"ok":true}'}
    client = _client("lambda", serialize_response(operation, output, "rest-json", "req-8"))
    result = client.invoke(FunctionName="f", Payload=b"{}")
    assert result["StatusCode"] == 200
    assert result["ExecutedVersion"] == "$LATEST"
    assert result["Payload"].read() == b'{"ok":true}'


@pytest.mark.parametrize(
    ("service", "protocol", "code", "exception"),
    [
        ("cloudwatch", "smithy-rpc-v2-cbor", "InvalidParameterValueException", "InvalidParameterValueException"),
        ("cloudwatch", "query", "InvalidParameterValueException", "InvalidParameterValueException"),
        ("sqs", "query", "QueueDoesNotExist", "QueueDoesNotExist"),
    ],
)
def test_protocols_boto3_does_not_pick_still_name_the_exception(
    service: str, protocol: str, code: str, exception: str
) -> None:
    # botocore's clients call CloudWatch and SQS in JSON; older SDKs use query, other SDKs CBOR. So
    # parse as those do, then map the code to a class with botocore's own exception factory.
    model = load_service(service)
    response = serialize_error(model, AwsError("gone", code=code, status=400), protocol, "r")
    parse_model = query_view(model) if protocol == "query" else model
    operation = parse_model.operation_model(parse_model.operation_names[0])
    headers = {k.lower(): v for k, v in response.headers}
    parsed = create_parser(protocol).parse(
        {"headers": headers, "status_code": response.status, "body": response.body}, operation.output_shape
    )
    exceptions = ClientExceptionsFactory().create_client_exceptions(parse_model)
    assert exceptions.from_code(parsed["Error"]["Code"]).__name__ == exception
    assert parsed["Error"]["Message"] == "gone"
    assert parsed["ResponseMetadata"]["RequestId"] == "r"


def test_text_utf8_cannot_carry_still_serializes() -> None:
    # Lone surrogates can arrive through JSON \u escapes; they cannot be UTF-8 encoded.
    operation = load_service("sqs").operation_model("ReceiveMessage")
    output = {"Messages": [{"Body": "a\ud800b"}]}
    assert json.loads(serialize_response(operation, output, "json", "r").body)["Messages"][0]["Body"] == "a\ud800b"
    body = serialize_response(operation, output, "query", "r").body
    assert b"<Body>a\xef\xbf\xbdb</Body>" in body  # U+FFFD: XML 1.0 has no way to write a surrogate
