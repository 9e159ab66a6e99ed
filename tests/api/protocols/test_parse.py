"""parse_request: which protocol a request used, the quirks of real clients, and the AWS-shaped errors."""

from __future__ import annotations

import gzip
import json

import pytest

from overcast.api.protocols import cbor
from overcast.api.protocols.http import HttpRequest
from overcast.api.protocols.parse import parse_request, request_protocol
from overcast.api.protocols.validate import ValidationError
from overcast.errors import (
    AwsError,
    InvalidAction,
    NotImplementedOperation,
    RequestTooLarge,
    SerializationException,
    UnknownOperationException,
    ValidationException,
)


def _json(target: str, body: bytes | dict, version: str = "1.1") -> HttpRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"x-amz-target": target, "content-type": f"application/x-amz-json-{version}"}
    return HttpRequest("POST", "/", headers=headers, body=raw)


def _form(body: str) -> HttpRequest:
    return HttpRequest(
        "POST", "/", headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"}, body=body.encode()
    )


def _raises(service: str, request: HttpRequest, error: type[AwsError]) -> AwsError:
    with pytest.raises(error) as caught:
        parse_request(service, request)
    return caught.value


# -- json 1.0 / 1.1 ---------------------------------------------------------------------------------


def test_malformed_json_is_a_bare_serialization_exception() -> None:
    error = _raises("kinesis", _json("Kinesis_20131202.ListStreams", b"{not json"), SerializationException)
    assert (error.code, error.status) == ("SerializationException", 400)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"StreamName": "s", "PartitionKey": 5, "Data": ""}, "NUMBER_VALUE cannot be converted to String"),
        (
            {"StreamName": {"a": 1}, "PartitionKey": "p", "Data": ""},
            "Start of structure or map found where not expected.",
        ),
        ({"StreamName": ["s"], "PartitionKey": "p", "Data": ""}, "Start of list found where not expected."),
        ({"StreamName": True, "PartitionKey": "p", "Data": ""}, "TRUE_VALUE cannot be converted to String"),
    ],
)
def test_wrong_json_types_name_the_token_found(body: dict, message: str) -> None:
    error = _raises("kinesis", _json("Kinesis_20131202.PutRecord", body), SerializationException)
    assert error.message == message


def test_a_string_where_an_integer_belongs() -> None:
    error = _raises("kinesis", _json("Kinesis_20131202.ListStreams", {"Limit": "ten"}), SerializationException)
    assert error.message == "STRING_VALUE can not be converted to an Integer"


@pytest.mark.parametrize("target", ["Kinesis_20131202.NoSuchThing", "Other_20131202.ListStreams", ""])
def test_unknown_target_is_unknown_operation(target: str) -> None:
    error = _raises("kinesis", _json(target, {}), UnknownOperationException)
    assert (error.code, error.status) == ("UnknownOperationException", 400)


def test_json_service_without_target_is_unknown_operation() -> None:
    _raises("stepfunctions", HttpRequest("POST", "/", body=b"{}"), UnknownOperationException)


def test_null_members_read_as_absent_and_unknown_members_are_ignored() -> None:
    parsed = parse_request("kinesis", _json("Kinesis_20131202.ListStreams", {"Limit": None, "Surprise": 1}))
    assert parsed.params == {}


# -- query ------------------------------------------------------------------------------------------


def test_unknown_action_is_invalid_action() -> None:
    error = _raises("iam", _form("Action=CreateNothing&Version=2010-05-08"), InvalidAction)
    assert (error.code, error.status) == ("InvalidAction", 400)
    assert error.message == "Could not find operation CreateNothing for version 2010-05-08"


def test_missing_action() -> None:
    error = _raises("sts", _form("Version=2011-06-15"), AwsError)
    assert (error.code, error.status) == ("MissingAction", 400)


def test_query_wrong_type_is_a_validation_error() -> None:
    error = _raises("iam", _form("Action=ListRoles&Version=2010-05-08&MaxItems=ten"), ValidationError)
    assert (error.code, error.status) == ("ValidationError", 400)


def test_query_fields_in_the_url_are_read_too() -> None:
    parsed = parse_request("sts", HttpRequest("GET", "/", query_string="Action=GetCallerIdentity&Version=2011-06-15"))
    assert (parsed.operation.name, parsed.params, parsed.protocol) == ("GetCallerIdentity", {}, "query")


# -- query-compatible services accept both --------------------------------------------------------


def test_sqs_answers_json_and_query_and_says_which() -> None:
    by_json = parse_request("sqs", _json("AmazonSQS.GetQueueUrl", {"QueueName": "q"}, "1.0"))
    by_query = parse_request("sqs", _form("Action=GetQueueUrl&Version=2012-11-05&QueueName=q"))
    assert (by_json.protocol, by_json.params) == ("json", {"QueueName": "q"})
    assert (by_query.protocol, by_query.params) == ("query", {"QueueName": "q"})


@pytest.mark.parametrize(
    ("form", "operation", "params"),
    [  # as older SDKs send them, from the SQS query API reference
        (
            "Action=SetQueueAttributes&QueueUrl=u&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=30",
            "SetQueueAttributes",
            {"QueueUrl": "u", "Attributes": {"VisibilityTimeout": "30"}},
        ),
        (
            "Action=ReceiveMessage&QueueUrl=u&AttributeName.1=All&MessageAttributeName.1=a&MessageAttributeName.2=b",
            "ReceiveMessage",
            {"QueueUrl": "u", "AttributeNames": ["All"], "MessageAttributeNames": ["a", "b"]},
        ),
        (
            "Action=CreateQueue&QueueName=q&Tag.1.Key=team&Tag.1.Value=core",
            "CreateQueue",
            {"QueueName": "q", "tags": {"team": "core"}},
        ),
        ("Action=UntagQueue&QueueUrl=u&TagKey.1=team", "UntagQueue", {"QueueUrl": "u", "TagKeys": ["team"]}),
        (
            "Action=AddPermission&QueueUrl=u&Label=l&AWSAccountId.1=111122223333&ActionName.1=SendMessage",
            "AddPermission",
            {"QueueUrl": "u", "Label": "l", "AWSAccountIds": ["111122223333"], "Actions": ["SendMessage"]},
        ),
        (
            "Action=SendMessageBatch&QueueUrl=u&SendMessageBatchRequestEntry.1.Id=a"
            "&SendMessageBatchRequestEntry.1.MessageBody=hi"
            "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n"
            "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v"
            "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String",
            "SendMessageBatch",
            {
                "QueueUrl": "u",
                "Entries": [
                    {
                        "Id": "a",
                        "MessageBody": "hi",
                        "MessageAttributes": {"n": {"StringValue": "v", "DataType": "String"}},
                    }
                ],
            },
        ),
    ],
)
def test_sqs_query_names_of_older_sdks(form: str, operation: str, params: dict) -> None:
    parsed = parse_request("sqs", _form(f"{form}&Version=2012-11-05"))
    assert (parsed.operation.name, parsed.protocol, parsed.params) == (operation, "query", params)


def test_cloudwatch_answers_cbor_json_and_query() -> None:
    body = cbor.encode({"Namespace": "ns", "MetricData": [{"MetricName": "m", "Value": 1.5}]})
    by_cbor = parse_request(
        "cloudwatch",
        HttpRequest(
            "POST",
            "/service/GraniteServiceVersion20100801/operation/PutMetricData",
            headers={"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"},
            body=body,
        ),
    )
    expected = {"Namespace": "ns", "MetricData": [{"MetricName": "m", "Value": 1.5}]}
    assert (by_cbor.protocol, by_cbor.params) == ("smithy-rpc-v2-cbor", expected)
    by_json = parse_request("cloudwatch", _json("GraniteServiceVersion20100801.PutMetricData", expected, "1.0"))
    assert (by_json.protocol, by_json.params) == ("json", expected)
    by_query = parse_request(
        "cloudwatch",
        _form(
            "Action=PutMetricData&Version=2010-08-01&Namespace=ns"
            "&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1.5"
        ),
    )
    assert (by_query.protocol, by_query.params) == ("query", expected)


@pytest.mark.parametrize(
    ("service", "request_", "protocol"),
    [
        ("sqs", HttpRequest("POST", "/", body=b"Action=Nope&Version=2012-11-05"), "query"),
        ("sqs", HttpRequest("POST", "/", headers={"x-amz-target": "AmazonSQS.Nope"}), "json"),
        ("sqs", HttpRequest("POST", "/"), "json"),
        ("cloudwatch", HttpRequest("POST", "/service/X/operation/Nope"), "smithy-rpc-v2-cbor"),
        ("iam", HttpRequest("POST", "/"), "query"),
        ("lambda", HttpRequest("GET", "/nowhere"), "rest-json"),
        ("s3", HttpRequest("GET", "/bucket"), "rest-xml"),
    ],
)
def test_request_protocol_names_the_protocol_to_answer_errors_in(
    service: str, request_: HttpRequest, protocol: str
) -> None:
    assert request_protocol(service, request_) == protocol


# -- smithy-rpc-v2-cbor -----------------------------------------------------------------------------


def test_cbor_unknown_operation_is_404() -> None:
    request = HttpRequest("POST", "/service/GraniteServiceVersion20100801/operation/Nope", body=cbor.encode({}))
    error = _raises("cloudwatch", request, UnknownOperationException)
    assert error.status == 404


def test_malformed_cbor_is_a_serialization_exception() -> None:
    request = HttpRequest("POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics", body=b"\xbf\x61")
    _raises("cloudwatch", request, SerializationException)


# -- rest-json --------------------------------------------------------------------------------------


def test_unknown_rest_route_is_a_404_unknown_operation() -> None:
    error = _raises("lambda", HttpRequest("GET", "/2015-03-31/nothing-here"), UnknownOperationException)
    assert (error.code, error.status) == ("UnknownOperationException", 404)


def test_lambda_malformed_body_is_invalid_request_content() -> None:
    request = HttpRequest("POST", "/2015-03-31/functions", body=b'{"FunctionName": ')
    error = _raises("lambda", request, AwsError)
    assert (error.code, error.status) == ("InvalidRequestContentException", 400)
    assert error.message.startswith("Could not parse request body into json:")


def test_lambda_wrong_type_in_body_is_invalid_request_content() -> None:
    body = json.dumps({"FunctionName": "f", "Role": "r", "Code": {}, "MemorySize": "big"}).encode()
    error = _raises("lambda", HttpRequest("POST", "/2015-03-31/functions", body=body), AwsError)
    assert error.code == "InvalidRequestContentException"
    assert error.message == "Could not parse request body into json: STRING_VALUE can not be converted to an Integer"


def test_other_rest_services_answer_serialization_exception() -> None:
    request = HttpRequest("POST", "/schedules/s", body=b"[1, 2")
    error = _raises("scheduler", request, SerializationException)
    assert error.status == 400


def test_wrong_type_in_the_query_string_is_not_blamed_on_the_body() -> None:
    request = HttpRequest("GET", "/2015-03-31/functions/", query_string="MaxItems=lots")
    error = _raises("lambda", request, SerializationException)
    assert error.message == "STRING_VALUE can not be converted to an Integer"


@pytest.mark.parametrize("body", [b"null", b"", b"  "])
def test_null_or_empty_bodies_carry_no_members(body: bytes) -> None:
    assert parse_request("kinesis", _json("Kinesis_20131202.ListStreams", body)).params == {}
    request = HttpRequest("POST", "/2015-03-31/functions/f/invocations", body=body)
    assert parse_request("lambda", request).params == (
        {"FunctionName": "f", "Payload": body} if body else {"FunctionName": "f"}
    )
    assert parse_request("lambda", HttpRequest("PUT", "/2015-03-31/functions/f/configuration", body=body)).params == {
        "FunctionName": "f"
    }


def test_gzip_bodies_are_decompressed() -> None:
    # botocore gzips large bodies of operations with the requestcompression trait (CloudWatch PutMetricData).
    from botocore.compress import maybe_compress_request
    from botocore.config import Config
    from wire import client_request

    from overcast.api.protocols.models import load_service

    operation = load_service("cloudwatch").operation_model("PutMetricData")
    params = {"Namespace": "ns", "MetricData": [{"MetricName": f"m{i}", "Value": float(i)} for i in range(400)]}
    for protocol in ("smithy-rpc-v2-cbor", "json", "query"):
        plain = client_request(protocol, operation, params)
        request_dict = {"body": plain.body, "headers": {}, "url_path": "/", "method": "POST", "query_string": ""}
        config = Config(request_min_compression_size_bytes=10240, disable_request_compression=False)
        maybe_compress_request(config, request_dict, operation)
        assert request_dict["headers"]["Content-Encoding"] == "gzip"
        compressed = HttpRequest(
            plain.method,
            plain.path,
            plain.query_string,
            {**plain.headers, "content-encoding": "gzip"},
            request_dict["body"],
        )
        assert parse_request("cloudwatch", compressed).params == params


def test_broken_gzip_is_a_serialization_exception() -> None:
    request = _json("Kinesis_20131202.ListStreams", b"not gzip")
    request = HttpRequest(
        request.method, request.path, headers={**request.headers, "content-encoding": "gzip"}, body=request.body
    )
    _raises("kinesis", request, SerializationException)


def _gzipped(request: HttpRequest, body: bytes) -> HttpRequest:
    return HttpRequest(
        request.method, request.path, headers={**request.headers, "content-encoding": "gzip"}, body=body
    )


def test_a_gzip_body_decompresses_only_up_to_the_bound() -> None:
    # 10 MB of zeros gzip into ~10 KB: refused at a 1 MB bound before it is held, whatever its ratio.
    bomb = _gzipped(_json("Kinesis_20131202.ListStreams", b""), gzip.compress(b" " * 10_000_000))
    with pytest.raises(RequestTooLarge, match="smaller than 1000000 bytes"):
        parse_request("kinesis", bomb, max_decoded_bytes=1_000_000)
    # Several gzip members are one body (RFC 1952); a truncated one is not gzip.
    members = gzip.compress(b'{"Limit"') + gzip.compress(b": 5}")
    assert parse_request("kinesis", _gzipped(bomb, members)).params == {"Limit": 5}
    with pytest.raises(SerializationException):
        parse_request("kinesis", _gzipped(bomb, gzip.compress(b'{"Limit": 5}')[:-12]))


def test_lambda_invoke_reads_uri_query_headers_and_raw_payload() -> None:
    request = HttpRequest(
        "POST",
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations",
        query_string="Qualifier=%24LATEST",
        headers={"x-amz-invocation-type": "RequestResponse", "x-amz-log-type": "Tail"},
        body=b'{"not": "parsed"}',
    )
    parsed = parse_request("lambda", request)
    assert parsed.operation.name == "Invoke"
    assert parsed.params == {
        "FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:f",
        "Qualifier": "$LATEST",
        "InvocationType": "RequestResponse",
        "LogType": "Tail",
        "Payload": b'{"not": "parsed"}',
    }


# -- validation runs after parsing, and S3 is not implemented ---------------------------------------


def test_parse_validates_against_the_model() -> None:
    body = json.dumps({"FunctionName": "f", "Role": "r", "Code": {}, "MemorySize": 40000}).encode()
    error = _raises("lambda", HttpRequest("POST", "/2015-03-31/functions", body=body), ValidationException)
    # botocore's model says 32768 (the Lambda handler enforces the 10240 of ordinary functions).
    assert error.message == (
        "1 validation error detected: Value '40000' at 'memorySize' failed to satisfy constraint: "
        "Member must have value less than or equal to 32768"
    )


def test_s3_is_not_implemented() -> None:
    error = _raises("s3", HttpRequest("GET", "/bucket"), NotImplementedOperation)
    assert (error.code, error.status) == ("NotImplemented", 501)
