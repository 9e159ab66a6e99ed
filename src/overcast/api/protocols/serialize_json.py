"""JSON bodies from botocore shapes, and the json 1.0 / 1.1 protocol's responses and errors.

A shape compiles once into a converter from a handler's value (botocore member names, bytes,
datetimes) to what the body carries; shapes whose values need no change compile to None, so a
plain output (strings, numbers, lists of them) goes straight to `json.dumps`. The CBOR serializer
reuses the compiler with its own scalar forms.
https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from overcast.api.protocols.http import HttpResponse
from overcast.api.protocols.serialize_scalars import base64_text, timestamp_formatter

Converter = Callable[[Any], Any]
_KNOWN_LOCATIONS = frozenset(("header", "headers", "statusCode"))


@dataclass(frozen=True, slots=True)
class BodyForm:
    """How one body encoding writes what JSON-like structures cannot carry natively."""

    name: str
    blob: Converter | None  # None: bytes go through unchanged
    timestamp: Callable[[str | None], Converter | None]  # from the shape's timestampFormat
    wire_names: bool  # True: members go by their locationName (JSON); False: by member name (CBOR)


JSON_FORM = BodyForm(
    name="json",
    blob=base64_text,
    timestamp=lambda fmt: timestamp_formatter(fmt or "unixTimestamp"),
    wire_names=True,
)

_compiled: dict[tuple[Any, ...], Converter | None] = {}
_pending = object()


def _shape_key(form: BodyForm, shape: Shape, skip_located: bool) -> tuple[Any, ...]:
    # Shape names repeat across services: the resolver (one per service model) tells them apart,
    # and member traits (locationName, timestampFormat) make two uses of one shape differ.
    return (
        form.name,
        id(getattr(shape, "_shape_resolver", None)),
        shape.name,
        skip_located,
        repr(sorted(shape.serialization.items())),
    )


def compile_shape(form: BodyForm, shape: Shape, *, skip_located: bool = False) -> Converter | None:
    """A converter for values of `shape`, or None when they need no conversion.

    `skip_located` leaves out members that travel in headers or the status line (REST outputs).
    """
    key = _shape_key(form, shape, skip_located)
    found = _compiled.get(key)
    if found is _pending:
        # A recursive shape: defer the lookup to call time, when compilation has finished.
        return lambda value: _compiled[key](value)  # type: ignore[misc]
    if key in _compiled:
        return found
    _compiled[key] = _pending  # type: ignore[assignment]
    try:
        converter = _compile(form, shape, skip_located)
    except BaseException:
        del _compiled[key]
        raise
    if converter is None and _compiled[key] is not _pending:
        converter = _identity
    _compiled[key] = converter
    return converter


def _identity(value: Any) -> Any:
    return value


def _compile(form: BodyForm, shape: Shape, skip_located: bool) -> Converter | None:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if shape.is_document_type:
            return None
        return _structure(form, shape, skip_located)
    if kind == "list":
        assert isinstance(shape, ListShape)
        item = compile_shape(form, shape.member)
        if item is None:
            return None
        return lambda items: [None if v is None else item(v) for v in items]
    if kind == "map":
        assert isinstance(shape, MapShape)
        value_conv = compile_shape(form, shape.value)
        if value_conv is None:
            return None
        return lambda entries: {k: None if v is None else value_conv(v) for k, v in entries.items()}
    if kind == "blob":
        return form.blob
    if kind == "timestamp":
        return form.timestamp(shape.serialization.get("timestampFormat"))
    return None


def _structure(form: BodyForm, shape: StructureShape, skip_located: bool) -> Converter | None:
    plan: dict[str, tuple[str, Converter | None]] = {}
    renames = False
    for name, member in shape.members.items():
        if skip_located and member.serialization.get("location") in _KNOWN_LOCATIONS:
            continue
        wire = member.serialization.get("name", name) if form.wire_names else name
        plan[name] = (wire, compile_shape(form, member))
        renames = renames or wire != name
    dropped = skip_located and len(plan) != len(shape.members)
    if not renames and not dropped and all(conv is None for _, conv in plan.values()):
        return None

    def convert(value: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, item in value.items():
            step = plan.get(name)
            if step is None or item is None:
                continue
            wire, conv = step
            out[wire] = item if conv is None else conv(item)
        return out

    return convert


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; text holding lone surrogates (which UTF-8 cannot carry) goes as \\u escapes."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")


# -- the json protocol ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _JsonPlan:
    convert: Converter | None
    has_output: bool
    content_type: str


_plans: dict[int, tuple[OperationModel, _JsonPlan]] = {}


def _plan(operation: OperationModel) -> _JsonPlan:
    entry = _plans.get(id(operation))
    if entry is not None and entry[0] is operation:
        return entry[1]
    shape = operation.output_shape
    plan = _JsonPlan(
        convert=None if shape is None else compile_shape(JSON_FORM, shape),
        has_output=shape is not None,
        content_type=content_type(operation),
    )
    _plans[id(operation)] = (operation, plan)
    return plan


def content_type(operation_or_version: OperationModel | str) -> str:
    if isinstance(operation_or_version, str):
        version = operation_or_version
    else:
        version = operation_or_version.service_model.metadata.get("jsonVersion", "1.0")
    return f"application/x-amz-json-{version}"


def json_response(operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
    """An AWS JSON 1.0 / 1.1 response: the output as a JSON object, members by locationName."""
    plan = _plan(operation)
    body = dumps(output if plan.convert is None else plan.convert(output)) if plan.has_output else b"{}"
    headers = [
        ("x-amzn-RequestId", request_id),
        ("Content-Type", plan.content_type),
    ]
    return HttpResponse(200, headers, body)


def error_body(
    error_shape: StructureShape | None,
    message_key: str,
    message: str,
    fields: dict[str, Any],
    *,
    skip_located: bool = False,
) -> dict[str, Any]:
    """The error members as a JSON object: the message under `message_key`, then the other members.

    https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html#operation-error-serialization
    """
    body: dict[str, Any] = {message_key: message}
    if error_shape is not None and fields:
        convert = compile_shape(JSON_FORM, error_shape, skip_located=skip_located)
        extra = {k: v for k, v in fields.items() if k != message_key}
        body.update(extra if convert is None else convert(extra))
    return body


def message_member(error_shape: StructureShape) -> str | None:
    """The member holding an error's message: most services call it `message`, some `Message`."""
    for name in error_shape.members:
        if name.lower() == "message":
            return name
    return None
