"""smithy-rpc-v2-cbor responses and errors (CloudWatch): CBOR maps keyed by member name.

Blobs are byte strings, timestamps CBOR tag 1 epoch seconds; the header `smithy-protocol:
rpc-v2-cbor` marks the protocol. https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, StructureShape

from overcast.api.protocols import cbor
from overcast.api.protocols.http import HttpResponse
from overcast.api.protocols.serialize_json import BodyForm, Converter, compile_shape
from overcast.api.protocols.serialize_scalars import as_bytes, as_datetime

CONTENT_TYPE = "application/cbor"

CBOR_FORM = BodyForm(
    name="cbor",
    blob=as_bytes,
    timestamp=lambda fmt: as_datetime,  # tag 1, whatever the model's timestampFormat says
    wire_names=False,
)


@dataclass(frozen=True, slots=True)
class _CborPlan:
    convert: Converter | None
    has_output: bool


_plans: dict[int, tuple[OperationModel, _CborPlan]] = {}


def _plan(operation: OperationModel) -> _CborPlan:
    entry = _plans.get(id(operation))
    if entry is not None and entry[0] is operation:
        return entry[1]
    shape = operation.output_shape
    plan = _CborPlan(None if shape is None else compile_shape(CBOR_FORM, shape), shape is not None)
    _plans[id(operation)] = (operation, plan)
    return plan


def _headers(request_id: str) -> list[tuple[str, str]]:
    return [("x-amzn-RequestId", request_id), ("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", CONTENT_TYPE)]


def cbor_response(operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
    plan = _plan(operation)
    if not plan.has_output:
        # An operation without output answers with no body at all.
        return HttpResponse(200, [("x-amzn-RequestId", request_id), ("smithy-protocol", "rpc-v2-cbor")], b"")
    return HttpResponse(
        200, _headers(request_id), cbor.encode(output if plan.convert is None else plan.convert(output))
    )


def cbor_error(
    type_name: str,
    message_key: str,
    message: str,
    status: int,
    error_shape: StructureShape | None,
    fields: dict[str, Any],
    extra_headers: list[tuple[str, str]],
    request_id: str,
) -> HttpResponse:
    """A CBOR map with `__type` and the message, plus the error shape's other members.

    https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html#operation-error-serialization
    """
    body: dict[str, Any] = {"__type": type_name, message_key: message}
    if error_shape is not None and fields:
        extra = {k: v for k, v in fields.items() if k != message_key}
        convert = compile_shape(CBOR_FORM, error_shape)
        body.update(extra if convert is None else convert(extra))
    return HttpResponse(status, [*_headers(request_id), *extra_headers], cbor.encode(body))
