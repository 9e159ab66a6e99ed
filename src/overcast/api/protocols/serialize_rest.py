"""rest-json responses and errors: status line, header members, payload members, JSON body.

Each operation compiles once into a plan (which members go to the status line, which to headers,
which one is the payload, how the rest becomes the JSON body), so the hot path, Lambda Invoke, is
a few dictionary lookups and one bytes copy.
https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, Shape, StructureShape

from overcast.api.protocols import eventstream
from overcast.api.protocols.http import HttpResponse
from overcast.api.protocols.serialize_json import JSON_FORM, Converter, compile_shape, dumps, error_body
from overcast.api.protocols.serialize_scalars import (
    as_bytes,
    base64_text,
    boolean_text,
    float_text,
    timestamp_formatter,
)

JSON_CONTENT_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class RestPlan:
    status: int  # the operation's http.responseCode
    status_member: str | None  # the member with location statusCode, if any
    headers: tuple[tuple[str, str, Callable[[Any], str]], ...]  # (member, header name, to text)
    header_maps: tuple[tuple[str, str], ...]  # (member, header name prefix)
    payload: str | None  # the member that is the whole body
    payload_kind: str  # "blob", "string", "json" or "eventstream"
    body: Converter | None  # output (or payload) -> JSON-able value; None: as is
    has_body: bool  # whether any member travels in a JSON body
    sets_content_type: bool  # a header member carries Content-Type


def header_text(shape: Shape) -> Callable[[Any], str]:
    """How a value of `shape` is written as an HTTP header value."""
    kind = shape.type_name
    if kind == "string":
        if shape.serialization.get("jsonvalue"):
            return lambda v: base64.b64encode(json.dumps(v, separators=(",", ":")).encode()).decode()
        return str
    if kind == "boolean":
        return boolean_text
    if kind in ("integer", "long"):
        return lambda v: str(int(v))
    if kind in ("float", "double"):
        return float_text
    if kind == "timestamp":
        # Headers default to the HTTP date form. https://smithy.io/2.0/spec/http-bindings.html#httpheader-trait
        return timestamp_formatter(shape.serialization.get("timestampFormat", "rfc822"))
    if kind == "blob":
        return base64_text
    if kind == "list":
        item = header_text(shape.member)
        return lambda items: ",".join(item(v) for v in items)
    return str


def compile_plan(shape: StructureShape | None, status: int) -> RestPlan:
    if shape is None:
        return RestPlan(status, None, (), (), None, "json", None, False, False)
    status_member = None
    headers: list[tuple[str, str, Callable[[Any], str]]] = []
    header_maps: list[tuple[str, str]] = []
    has_body = False
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "statusCode":
            status_member = name
        elif location == "header":
            headers.append((name, member.serialization.get("name", name), header_text(member)))
        elif location == "headers":
            header_maps.append((name, member.serialization.get("name", "")))
        else:
            has_body = True
    payload = shape.serialization.get("payload")
    kind = "json"
    body: Converter | None
    if payload is not None:
        payload_shape = shape.members[payload]
        if payload_shape.type_name in ("blob", "string"):
            kind = payload_shape.type_name
            body = None
        elif payload_shape.serialization.get("eventstream"):
            kind = "eventstream"
            body = None
        else:
            body = compile_shape(JSON_FORM, payload_shape)
    else:
        body = compile_shape(JSON_FORM, shape, skip_located=True)
    sets_content_type = any(header.lower() == "content-type" for _, header, _ in headers)
    return RestPlan(
        status, status_member, tuple(headers), tuple(header_maps), payload, kind, body, has_body, sets_content_type
    )


_plans: dict[int, tuple[OperationModel, RestPlan]] = {}


def plan_for(operation: OperationModel) -> RestPlan:
    entry = _plans.get(id(operation))
    if entry is not None and entry[0] is operation:
        return entry[1]
    plan = compile_plan(operation.output_shape, int(operation.http.get("responseCode", 200)))
    _plans[id(operation)] = (operation, plan)
    return plan


def rest_json_response(operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
    plan = plan_for(operation)
    status = plan.status
    headers = [("x-amzn-RequestId", request_id)]
    if plan.status_member is not None:
        code = output.get(plan.status_member)
        if code is not None:
            status = int(code)
    for member, header, text in plan.headers:
        value = output.get(member)
        if value is not None:
            headers.append((header, text(value)))
    for member, prefix in plan.header_maps:
        entries = output.get(member)
        if entries:
            headers.extend((prefix + key, str(value)) for key, value in entries.items())
    content_type: str | None = JSON_CONTENT_TYPE
    if plan.payload is not None and plan.payload_kind == "eventstream":
        # A streamed response: (event type, fields) pairs, each encoded as it comes.
        events = output.get(plan.payload)
        stream_shape = operation.output_shape.members[plan.payload]
        if not plan.sets_content_type:
            headers.append(("Content-Type", eventstream.CONTENT_TYPE))
        return HttpResponse(status, headers, b"", _encoded(stream_shape, events) if events is not None else None)
    if plan.payload is not None:
        value = output.get(plan.payload)
        if plan.payload_kind == "blob":
            body = b"" if value is None else as_bytes(value)
            content_type = "application/octet-stream"
        elif plan.payload_kind == "string":
            body = b"" if value is None else str(value).encode("utf-8")
            content_type = "text/plain; charset=utf-8"
        else:
            body = b"" if value is None else dumps(value if plan.body is None else plan.body(value))
        if not body:
            content_type = None
    elif plan.has_body:
        body = dumps(output if plan.body is None else plan.body(output))
    else:
        body = b""
        content_type = None
    if content_type is not None and not plan.sets_content_type:
        headers.append(("Content-Type", content_type))
    return HttpResponse(status, headers, body)


async def _encoded(stream_shape: Shape, events: AsyncIterator[tuple[str, dict[str, Any]]]) -> AsyncIterator[bytes]:
    async for event_type, fields in events:
        yield eventstream.event(stream_shape, event_type, fields)


_error_plans: dict[int, tuple[StructureShape, tuple[tuple[str, str, Callable[[Any], str]], ...]]] = {}


def _error_headers(shape: StructureShape) -> tuple[tuple[str, str, Callable[[Any], str]], ...]:
    """The error shape's header-bound members: (member, header name, to text)."""
    entry = _error_plans.get(id(shape))
    if entry is None or entry[0] is not shape:
        entry = (shape, compile_plan(shape, 0).headers)
        _error_plans[id(shape)] = entry
    return entry[1]


def rest_json_error(
    code: str,
    message_key: str,
    message: str,
    status: int,
    error_shape: StructureShape | None,
    fields: dict[str, Any],
    extra_headers: dict[str, str],
    request_id: str,
) -> HttpResponse:
    """The code in `x-amzn-ErrorType`, members in the JSON body or in their modeled headers.

    https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#operation-error-serialization
    """
    headers = [("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
    if error_shape is not None and fields:
        for member, header, text in _error_headers(error_shape):
            value = fields.get(member)
            if value is not None:
                headers.append((header, text(value)))
    headers.append(("Content-Type", JSON_CONTENT_TYPE))
    headers.extend(extra_headers.items())
    body = dumps(error_body(error_shape, message_key, message, fields, skip_located=True))
    return HttpResponse(status, headers, body)
