"""Query protocol responses and errors: XML documents from botocore shapes (IAM, STS, CloudFormation,
and SQS / CloudWatch when an older SDK calls them with the query protocol).

`<{Op}Response xmlns=..><{Op}Result>..members..</{Op}Result><ResponseMetadata><RequestId>..`;
lists as `<member>` items unless flattened, maps as `<entry><key/><value/></entry>`, members under
their locationName, timestamps ISO 8601, booleans lowercase.
https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from overcast.api.protocols.http import HttpResponse
from overcast.api.protocols.serialize_query_compat import query_namespace, query_view
from overcast.api.protocols.serialize_scalars import (
    base64_text,
    boolean_text,
    float_text,
    timestamp_formatter,
    xml_text,
)

CONTENT_TYPE = "text/xml"
Writer = Callable[[list[str], str, Any], None]  # (output parts, element name, value)

_writers: dict[tuple[Any, ...], Writer] = {}
_pending: set[tuple[Any, ...]] = set()


def writer_for(shape: Shape) -> Writer:
    """A function writing `<name>value</name>` for values of `shape` (compiled once per shape)."""
    key = (id(getattr(shape, "_shape_resolver", None)), shape.name, repr(sorted(shape.serialization.items())))
    found = _writers.get(key)
    if found is not None:
        return found
    if key in _pending:  # a recursive shape: look the writer up when it is called
        return lambda out, name, value: _writers[key](out, name, value)
    _pending.add(key)
    try:
        writer = _compile(shape)
    finally:
        _pending.discard(key)
    _writers[key] = writer
    return writer


def _scalar(text: Callable[[Any], str]) -> Writer:
    def write(out: list[str], name: str, value: Any) -> None:
        out.append(f"<{name}>{text(value)}</{name}>")

    return write


def _string_text(value: Any) -> str:
    return xml_text(str(value))


def _compile(shape: Shape) -> Writer:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return _structure(shape)
    if kind == "list":
        assert isinstance(shape, ListShape)
        item = writer_for(shape.member)
        item_name = shape.member.serialization.get("name", "member")

        def write_list(out: list[str], name: str, items: Any) -> None:
            out.append(f"<{name}>")
            for value in items:
                item(out, item_name, value)
            out.append(f"</{name}>")

        return write_list
    if kind == "map":
        assert isinstance(shape, MapShape)
        write_entry = _entry(shape)

        def write_map(out: list[str], name: str, entries: Any) -> None:
            out.append(f"<{name}>")
            for key, value in entries.items():
                write_entry(out, "entry", key, value)
            out.append(f"</{name}>")

        return write_map
    if kind == "boolean":
        return _scalar(boolean_text)
    if kind in ("integer", "long"):
        return _scalar(lambda v: str(int(v)))
    if kind in ("float", "double"):
        return _scalar(float_text)
    if kind == "timestamp":
        return _scalar(timestamp_formatter(shape.serialization.get("timestampFormat", "iso8601")))
    if kind == "blob":
        return _scalar(base64_text)
    return _scalar(_string_text)


def _entry(shape: MapShape) -> Callable[[list[str], str, Any, Any], None]:
    key_writer, value_writer = writer_for(shape.key), writer_for(shape.value)
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")

    def write_entry(out: list[str], name: str, key: Any, value: Any) -> None:
        out.append(f"<{name}>")
        key_writer(out, key_name, key)
        if value is not None:
            value_writer(out, value_name, value)
        out.append(f"</{name}>")

    return write_entry


def _member_writer(name: str, member: Shape) -> tuple[str, Writer]:
    """The element name and writer for one structure member, flattening lists and maps if asked."""
    wire = member.serialization.get("name", name)
    if not member.serialization.get("flattened"):
        return wire, writer_for(member)
    if isinstance(member, ListShape):
        # A flattened list repeats its items in place, named by the list member's locationName if
        # it has one, else by the structure member's name (what botocore's parser looks for).
        item = writer_for(member.member)
        item_name = member.member.serialization.get("name", wire)

        def write_items(out: list[str], _name: str, items: Any) -> None:
            for value in items:
                item(out, item_name, value)

        return item_name, write_items
    if isinstance(member, MapShape):
        write_entry = _entry(member)

        def write_entries(out: list[str], name: str, entries: Any) -> None:
            for key, value in entries.items():
                write_entry(out, name, key, value)

        return wire, write_entries
    return wire, writer_for(member)


def _structure(shape: StructureShape) -> Writer:
    members = members_writer(shape)

    def write(out: list[str], name: str, value: Any) -> None:
        out.append(f"<{name}>")
        members(out, value)
        out.append(f"</{name}>")

    return write


def members_writer(shape: StructureShape, skip: frozenset[str] = frozenset()) -> Callable[[list[str], Any], None]:
    """Writes a structure's members (not its own element), leaving out the names in `skip`."""
    plan = {name: _member_writer(name, member) for name, member in shape.members.items() if name not in skip}

    def write(out: list[str], value: dict[str, Any]) -> None:
        for name, item in value.items():
            step = plan.get(name)
            if step is not None and item is not None:
                step[1](out, step[0], item)

    return write


_plans: dict[int, tuple[OperationModel, Callable[[dict[str, Any], str], bytes]]] = {}


def _compile_operation(operation: OperationModel) -> Callable[[dict[str, Any], str], bytes]:
    name = operation.name
    shape = operation.output_shape
    namespace = query_namespace(operation.service_model)
    opening = f'<{name}Response xmlns="{namespace}">' if namespace else f"<{name}Response>"
    wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
    members = members_writer(shape) if shape is not None else None

    def render(output: dict[str, Any], request_id: str) -> bytes:
        out = ['<?xml version="1.0" encoding="UTF-8"?>', opening]
        if members is not None:
            if wrapper:
                out.append(f"<{wrapper}>")
            members(out, output)
            if wrapper:
                out.append(f"</{wrapper}>")
        out.append(f"<ResponseMetadata><RequestId>{xml_text(request_id)}</RequestId></ResponseMetadata>")
        out.append(f"</{name}Response>")
        return "".join(out).encode("utf-8")

    return render


def query_operation(operation: OperationModel) -> OperationModel:
    """The operation as an older query-protocol SDK models it (see serialize_query_compat)."""
    view = query_view(operation.service_model)
    return operation if view is operation.service_model else view.operation_model(operation.name)


def query_response(operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
    operation = query_operation(operation)
    entry = _plans.get(id(operation))
    if entry is None or entry[0] is not operation:
        entry = (operation, _compile_operation(operation))
        _plans[id(operation)] = entry
    body = entry[1](output, request_id)
    return HttpResponse(200, [("x-amzn-RequestId", request_id), ("Content-Type", CONTENT_TYPE)], body)


def query_error(
    service: ServiceModel,
    code: str,
    message: str,
    status: int,
    sender_fault: bool,
    error_shape: StructureShape | None,
    fields: dict[str, Any],
    extra_headers: dict[str, str],
    request_id: str,
) -> HttpResponse:
    """`<ErrorResponse><Error><Type/><Code/><Message/>..members..</Error><RequestId/></ErrorResponse>`.

    https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#operation-error-serialization
    """
    namespace = query_namespace(service)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<ErrorResponse xmlns="{namespace}">' if namespace else "<ErrorResponse>",
        "<Error>",
        f"<Type>{'Sender' if sender_fault else 'Receiver'}</Type>",
        f"<Code>{xml_text(code)}</Code>",
        f"<Message>{xml_text(message)}</Message>",
    ]
    if error_shape is not None and fields:
        skip = frozenset(name for name in error_shape.members if name.lower() in ("message", "code", "type"))
        members_writer(error_shape, skip)(out, fields)
    out.append(f"</Error><RequestId>{xml_text(request_id)}</RequestId></ErrorResponse>")
    headers = [("x-amzn-RequestId", request_id), ("Content-Type", CONTENT_TYPE), *extra_headers.items()]
    return HttpResponse(status, headers, "".join(out).encode("utf-8"))


def rest_xml_error(
    code: str, message: str, status: int, extra_headers: dict[str, str], request_id: str
) -> HttpResponse:
    """S3's `<Error><Code/><Message/><RequestId/></Error>`; rest-xml responses come with S3 itself.

    https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#RESTErrorResponses
    """
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{xml_text(code)}</Code><Message>{xml_text(message)}</Message>"
        f"<RequestId>{xml_text(request_id)}</RequestId></Error>"
    )
    headers = [("x-amz-request-id", request_id), ("Content-Type", "application/xml"), *extra_headers.items()]
    return HttpResponse(status, headers, body.encode("utf-8"))


def ec2_error(code: str, message: str, status: int, extra_headers: dict[str, str], request_id: str) -> HttpResponse:
    """EC2's `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`.

    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html#api-error-response
    """
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Errors><Error><Code>{xml_text(code)}</Code><Message>{xml_text(message)}</Message>"
        f"</Error></Errors><RequestID>{xml_text(request_id)}</RequestID></Response>"
    )
    headers = [("x-amzn-RequestId", request_id), ("Content-Type", CONTENT_TYPE), *extra_headers.items()]
    return HttpResponse(status, headers, body.encode("utf-8"))
