"""Responses and errors on the wire: picks the protocol serializer and resolves modeled errors.

`serialize_response` turns an operation's output (botocore member names, as a boto3 client returns
it) into an HttpResponse; `serialize_error` turns an AwsError into what the client's botocore
parser reads back as `client.exceptions.<Name>` with the same code, message, status and members.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.model import OperationModel, ServiceModel, StructureShape

from overcast.api.protocols.http import HttpResponse
from overcast.api.protocols.serialize_cbor import cbor_error, cbor_response
from overcast.api.protocols.serialize_json import content_type, dumps, error_body, json_response, message_member
from overcast.api.protocols.serialize_query import ec2_error, query_error, query_response, rest_xml_error
from overcast.api.protocols.serialize_query_compat import query_error_code, query_view
from overcast.api.protocols.serialize_rest import rest_json_error, rest_json_response
from overcast.errors import AwsError

PROTOCOLS = ("json", "rest-json", "query", "smithy-rpc-v2-cbor")


def serialize_response(
    operation: OperationModel, output: dict[str, Any], protocol: str, request_id: str
) -> HttpResponse:
    """The HTTP response carrying `output` for `operation` in `protocol` (one of PROTOCOLS)."""
    if protocol == "rest-json":
        return rest_json_response(operation, output, request_id)
    if protocol == "json":
        return json_response(operation, output, request_id)
    if protocol == "query":
        return query_response(operation, output, request_id)
    if protocol == "smithy-rpc-v2-cbor":
        return cbor_response(operation, output, request_id)
    raise ValueError(f"no response serializer for protocol {protocol!r}")


@dataclass(frozen=True, slots=True)
class ModeledError:
    """What the service model says about one error code."""

    shape: StructureShape
    code: str  # the code clients map to the exception class (the shape's `error.code`, else its name)
    query_code: str  # the code the query protocol (and the x-amzn-query-error header) uses


@cache
def _error_index(service: ServiceModel) -> dict[str, ModeledError]:
    modeled = [
        ModeledError(shape, str(shape.error_code), query_error_code(service, shape.name, str(shape.error_code)))
        for shape in service.error_shapes
    ]
    index = {error.query_code: error for error in modeled}
    index.update((error.code, error) for error in modeled)
    index.update((error.shape.name, error) for error in modeled)  # a shape's own name wins a clash
    return index


def modeled_error(service: ServiceModel, code: str) -> ModeledError | None:
    """The error shape for `code`: a shape name, a modeled `error.code`, or a query error code."""
    return _error_index(service).get(code)


@cache
def _message_casing(service: ServiceModel) -> str:
    """How `service` spells the message of errors it does not model: as most of its error shapes do."""
    names = [message_member(shape) for shape in service.error_shapes]
    return "Message" if names.count("Message") > names.count("message") else "message"


def serialize_error(service: ServiceModel, error: AwsError, protocol: str, request_id: str) -> HttpResponse:
    """The HTTP response for `error` as `service` answers in `protocol`."""
    modeled = modeled_error(service, error.code)
    shape = modeled.shape if modeled is not None else None
    code = modeled.code if modeled is not None else error.code
    fields = error.fields
    message_key = (message_member(shape) if shape is not None else None) or _message_casing(service)
    if shape is not None and "Type" in shape.members and "Type" not in fields:
        # Lambda's errors say whose fault they are: `User` or `Service`.
        # https://docs.aws.amazon.com/lambda/latest/api/API_ResourceNotFoundException.html
        fields = {**fields, "Type": "User" if error.sender_fault else "Service"}
    if protocol == "rest-json":
        return rest_json_error(code, message_key, error.message, error.status, shape, fields, error.headers, request_id)
    if protocol == "rest-xml":
        return rest_xml_error(code, error.message, error.status, error.headers, request_id)
    if protocol == "ec2":
        return ec2_error(code, error.message, error.status, error.headers, request_id)
    if protocol == "query":
        view = query_view(service)
        if view is not service:
            # An older SDK's query model knows the error by its query code.
            modeled = modeled_error(view, error.code) or (modeled and modeled_error(view, modeled.shape.name))
            shape = modeled.shape if modeled is not None else None
            code = modeled.code if modeled is not None else error.code
        return query_error(
            view, code, error.message, error.status, error.sender_fault, shape, fields, error.headers, request_id
        )
    headers = [("x-amzn-RequestId", request_id)]
    type_name = code
    if "awsQueryCompatible" in service.metadata:
        # Query-compatible services name the shape in `__type` and give the query code and fault
        # in a header, from which botocore recovers the query error code older clients expect.
        # https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#aws-protocols-awsquerycompatible-trait
        if modeled is not None:
            type_name = modeled.shape.name
        query_code = modeled.query_code if modeled is not None else error.code
        headers.append(("x-amzn-query-error", f"{query_code};{'Sender' if error.sender_fault else 'Receiver'}"))
    extra = list(error.headers.items())
    if protocol == "json":
        body = {"__type": type_name, **error_body(shape, message_key, error.message, fields)}
        headers.append(("x-amzn-ErrorType", type_name))
        headers.append(("Content-Type", content_type(service.metadata.get("jsonVersion", "1.0"))))
        return HttpResponse(error.status, headers + extra, dumps(body))
    if protocol == "smithy-rpc-v2-cbor":
        return cbor_error(
            type_name, message_key, error.message, error.status, shape, fields, headers[1:] + extra, request_id
        )
    raise ValueError(f"no error serializer for protocol {protocol!r}")
