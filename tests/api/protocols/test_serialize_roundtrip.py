"""Our serializer -> botocore's own client parser gives back the same output, for every operation and
every modeled error of every service Overcast answers, in every protocol a client may use for it.

What the wire cannot carry, and is therefore normalized before comparing:
- timestamps are compared to the millisecond (to the second in headers: HTTP dates have no fraction);
- a status-code member outside 200-299 is replaced by 200 (any other status is an error response),
  and an absent one reads back as the operation's response code;
- XML 1.0 cannot carry control characters other than tab, LF, CR: they arrive as U+FFFD;
- an empty flattened XML list or map is no element at all, so it parses back as absent;
- an absent payload member parses back as the empty payload (b"" / "" / {}), and botocore returns a
  non-streaming blob payload decoded as text;
- a list in a header is comma-separated text, so items with commas split (botocore splits on ",").
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from botocore.awsrequest import HeadersDict
from botocore.errorfactory import ClientExceptionsFactory
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import value_for_shape

from overcast.api.protocols.http import HttpResponse
from overcast.api.protocols.models import SERVICES, load_service, protocols_of
from overcast.api.protocols.serialize import serialize_error, serialize_response
from overcast.api.protocols.serialize_query import query_operation
from overcast.api.protocols.serialize_query_compat import query_view
from overcast.errors import AwsError, NotImplementedOperation

NOT_IMPLEMENTED = "rest-xml"  # S3's protocol: only its NotImplemented error is written today
EXAMPLES = 5
_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _cases(implemented: bool = True) -> list[Any]:
    cases = []
    for name in SERVICES:
        for protocol in protocols_of(load_service(name)):
            if (protocol != NOT_IMPLEMENTED) is implemented:
                cases.append(pytest.param(name, protocol, id=f"{name}-{protocol}"))
    return cases


# -- what botocore's endpoint does with an HTTP response -----------------------------------------


def response_dict(response: HttpResponse, operation: OperationModel | None) -> dict[str, Any]:
    """The dict botocore's endpoint hands its parser (botocore.endpoint.convert_to_response_dict)."""
    headers = HeadersDict()
    for key, value in response.headers:
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    body: Any = response.body
    if response.status < 300 and operation is not None and operation.has_streaming_output:
        body = StreamingBody(io.BytesIO(response.body), len(response.body))
    return {"headers": headers, "status_code": response.status, "body": body, "context": {}}


def parse_error(service: ServiceModel, operation: OperationModel, response: HttpResponse, protocol: str) -> Any:
    """Parse an error response as a client does, returning (parsed, exception class name)."""
    parser = create_parser(protocol)
    raw = response_dict(response, operation)
    parsed = parser.parse(raw, operation.output_shape)
    code = parsed["Error"]["Code"]
    # botocore.endpoint: a second pass picks up the modeled error's members.
    error_shape = service.shape_for_error_code(code)
    if error_shape is not None:
        parsed.update(parser.parse(raw, error_shape))
    # botocore.handlers._handle_sqs_compatible_error: SQS picks the class by the shape name.
    if service.service_name == "sqs" and parsed["Error"].get("QueryErrorCode"):
        code = parsed["Error"]["QueryErrorCode"]
    exceptions = ClientExceptionsFactory().create_client_exceptions(service)
    return parsed, exceptions.from_code(code).__name__


# -- normalization of what the wire cannot carry -------------------------------------------------

_XML_INVALID = {c: "\ufffd" for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]}


def expected(shape: Shape, value: Any, protocol: str, location: str | None = None) -> Any:
    """What botocore's parser should give back for `value` of `shape` sent in `protocol`."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure" and not shape.is_document_type:  # type: ignore[attr-defined]
        out = {}
        for name, item in value.items():
            member = shape.members[name]  # type: ignore[attr-defined]
            norm = expected(member, item, protocol, member.serialization.get("location"))
            if protocol == "query" and member.serialization.get("flattened") and not item:
                continue  # no elements at all
            out[name] = norm
        return out
    if kind == "list":
        items = [expected(shape.member, v, protocol, location) for v in value]  # type: ignore[attr-defined]
        if location == "header" and shape.member.type_name == "string":  # type: ignore[attr-defined]
            return [part.strip() for part in ",".join(items).split(",")]
        return items
    if kind == "map":
        return {
            expected(shape.key, k, protocol): expected(shape.value, v, protocol)  # type: ignore[attr-defined]
            for k, v in value.items()
        }
    if kind == "timestamp":
        return round(value.timestamp(), 0 if location == "header" else 3)
    if kind == "string" and protocol == "query":
        return value.translate(_XML_INVALID)
    return value


def received(value: Any) -> Any:
    """botocore's parsed value in comparable form: datetimes as epoch seconds, streams read."""
    if isinstance(value, dict):
        return {k: received(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [received(v) for v in value]
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, StreamingBody):
        return value.read()
    return value


def expected_output(operation: OperationModel, output: dict[str, Any], protocol: str) -> dict[str, Any]:
    shape = operation.output_shape
    result = expected(shape, output, protocol)
    for name, member in shape.members.items():
        if protocol == "rest-json" and member.serialization.get("location") == "statusCode" and name not in result:
            result[name] = int(operation.http.get("responseCode", 200))  # the status line is always there
    payload = shape.serialization.get("payload")
    if protocol == "rest-json" and payload is not None:
        payload_shape = shape.members[payload]
        value = result.get(payload)
        if payload_shape.type_name == "blob":
            data = value if value is not None else b""
            result[payload] = data if operation.has_streaming_output else data.decode("utf-8")
        elif payload_shape.type_name == "string":
            result[payload] = value if value is not None else ""
        elif value is None:
            result[payload] = {}
    return result


def _fix_status(operation: OperationModel, output: dict[str, Any]) -> dict[str, Any]:
    for name, member in operation.output_shape.members.items():
        located = member.serialization.get("location") == "statusCode"
        if located and name in output and not 200 <= output[name] <= 299:
            output = {**output, name: 200}
    return output


# -- the property tests --------------------------------------------------------------------------


def _check_output(protocol: str, operation: OperationModel) -> None:
    parser = create_parser(protocol)
    parse_operation = query_operation(operation) if protocol == "query" else operation
    if operation.output_shape is None:
        response = serialize_response(operation, {}, protocol, "req-1")
        parser.parse(response_dict(response, operation), None)
        assert response.status == int(operation.http.get("responseCode", 200))
        return

    @_SETTINGS
    @given(value_for_shape(operation.output_shape))
    def check(output: dict[str, Any]) -> None:
        output = _fix_status(operation, output)
        response = serialize_response(operation, output, protocol, "req-1")
        raw = response_dict(response, parse_operation)
        parsed = parser.parse(raw, parse_operation.output_shape)
        assert parsed["ResponseMetadata"]["RequestId"] == "req-1"
        assert received(parsed) == expected_output(operation, output, protocol)

    check()


@pytest.mark.parametrize(("service_name", "protocol"), _cases())
def test_every_output_round_trips_through_botocore(
    service_name: str, protocol: str, record_property: Callable[[str, object], None]
) -> None:
    service = load_service(service_name)
    covered, skipped, failures = 0, [], []
    for name in service.operation_names:
        operation = service.operation_model(name)
        if operation.has_event_stream_output:
            skipped.append(name)
            continue
        try:
            _check_output(protocol, operation)
        except Exception as exc:  # collect every failing operation, then report them together
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:2000]}")
        covered += 1
    note = f", {len(skipped)} skipped (event streams need the event-stream codec): {skipped}" if skipped else ""
    record_property("serialized_operations", covered)
    record_property("serialize_skipped", skipped)
    print(f"\n{service_name} ({protocol}): {covered} operations round-tripped{note}")
    assert not failures, "\n".join(failures)


def _message_member(shape: StructureShape) -> str | None:
    return next((name for name in shape.members if name.lower() == "message"), None)


def _check_error(service: ServiceModel, protocol: str, shape: StructureShape) -> None:
    parse_service = query_view(service) if protocol == "query" else service
    operation = parse_service.operation_model(service.operation_names[0])
    parse_shape = parse_service.shape_for(shape.name)
    status = int(parse_shape.metadata.get("error", {}).get("httpStatusCode", 400))
    message_key = _message_member(shape)

    @_SETTINGS
    @given(value_for_shape(shape), st.text(max_size=20))
    def check(fields: dict[str, Any], default_message: str) -> None:
        message = fields.pop(message_key, default_message) if message_key else default_message
        error = AwsError(message, code=shape.error_code, status=status, fields=fields)
        error.sender_fault = status < 500  # type: ignore[misc]
        response = serialize_error(service, error, protocol, "req-2")
        parsed, exception_name = parse_error(parse_service, operation, response, protocol)
        assert response.status == status
        assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status
        assert parsed["ResponseMetadata"]["RequestId"] == "req-2"
        assert exception_name == _exception_for(parse_service, parse_shape)
        if protocol == "query":
            # An empty <Message/> parses as None; the other members ride inside <Error>, except
            # ones named like the <Code>, <Type>, <Message> elements themselves.
            assert (parsed["Error"]["Message"] or "") == message.translate(_XML_INVALID)
            fields = {k: v for k, v in fields.items() if k.lower() not in ("code", "type", "message")}
        else:
            assert parsed["Error"]["Message"] == message
            if service.service_name == "sqs":
                return  # botocore finds no SQS shape for the query code, so it parses no modeled members
        for name, value in expected(parse_shape, fields, protocol).items():
            assert received(parsed.get(name)) == value, name

    check()


@pytest.mark.parametrize(("service_name", "protocol"), _cases())
def test_every_modeled_error_round_trips_through_botocore(
    service_name: str, protocol: str, record_property: Callable[[str, object], None]
) -> None:
    service = load_service(service_name)
    operation_errors = {e.name for name in service.operation_names for e in service.operation_model(name).error_shapes}
    shapes = {shape.name: shape for shape in service.error_shapes}
    assert operation_errors <= set(shapes)
    failures = []
    for shape in shapes.values():
        try:
            _check_error(service, protocol, shape)
        except Exception as exc:
            failures.append(f"{shape.name}: {type(exc).__name__}: {str(exc)[:2000]}")
    record_property("serialized_errors", len(shapes))
    print(f"\n{service_name} ({protocol}): {len(shapes)} modeled errors round-tripped")
    assert not failures, "\n".join(failures)


def _exception_for(service: ServiceModel, shape: StructureShape) -> str:
    """The class botocore raises for the shape's code: two shapes may share a code, the last one wins."""
    return ClientExceptionsFactory().create_client_exceptions(service).from_code(shape.error_code).__name__


@pytest.mark.parametrize(("service_name", "protocol"), _cases(implemented=False))
def test_a_rest_xml_service_answers_not_implemented_in_its_own_protocol(service_name: str, protocol: str) -> None:
    """What S3 clients get today: a rest-xml error botocore reads as NotImplemented (501), with its message."""
    service = load_service(service_name)
    operation = service.operation_model(service.operation_names[0])
    message = f"Overcast does not implement {service_name}: its rest-xml protocol is not supported"
    response = serialize_error(service, NotImplementedOperation(message), protocol, "req-3")
    parsed, _ = parse_error(service, operation, response, protocol)
    assert (response.status, parsed["ResponseMetadata"]["HTTPStatusCode"]) == (501, 501)
    assert (parsed["Error"]["Code"], parsed["Error"]["Message"]) == ("NotImplemented", message)
    assert parsed["ResponseMetadata"]["RequestId"] == "req-3"
