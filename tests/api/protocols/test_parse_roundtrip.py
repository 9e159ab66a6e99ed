"""Property test: botocore's client serializer -> our parser gives back the very same parameters.

For every operation of every service Overcast answers, and for every protocol a client may use
for it (botocore's `protocols`, plus query for the `awsQueryCompatible` services), parameters are
generated from the input shape, serialized by botocore exactly as boto3 sends them, parsed by
`parse_request`, and compared with the originals. Only what the wire genuinely cannot carry is
normalized before comparing (see `carried`):
- query: an empty map or an empty structure sends no field at all, so it cannot come back (in a
  list, the other items close ranks; a list of nothing but empty structures is absent);
  If that drops a required member, AWS answers a validation error, and so must we;
- rest-json: an empty list or map in the query string or headers sends nothing; an optional
  structure payload equal to {} and an optional empty blob/string payload look exactly like an
  absent one (botocore sends `{}` / an empty body either way), so they come back absent.
Timestamp precision needs no normalization: the strategies generate milliseconds (whole seconds
in headers), which every format carries. S3's protocol (rest-xml) is not implemented yet: what
is true of it today is tested instead, that every S3 operation botocore sends is refused with
NotImplemented (501).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.model import OperationModel, Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import value_for_shape
from wire import client_request

from overcast.api.protocols.models import SERVICES, load_service, protocols_of
from overcast.api.protocols.parse import parse_request, request_protocol
from overcast.api.protocols.validate import validate
from overcast.errors import AwsError, NotImplementedOperation

NOT_IMPLEMENTED = "rest-xml"  # S3's protocol: its requests are refused, never half-read


def _variants(implemented: bool = True) -> list[Any]:
    variants = []
    for service_name in SERVICES:
        service = load_service(service_name)
        for protocol in protocols_of(service):
            if (protocol != NOT_IMPLEMENTED) is implemented:
                for name in service.operation_names:
                    variants.append(pytest.param(service_name, protocol, name, id=f"{service_name}-{protocol}-{name}"))
    return variants


def carried(value: Any, shape: Shape, protocol: str, location: str | None = None, top: bool = False) -> Any:
    """`value` as the wire can carry it in `protocol` (None: it cannot be carried at all)."""
    kind = shape.type_name
    if kind == "structure" and not shape.is_document_type:
        payload = shape.serialization.get("payload") if top else None
        out = {}
        for name, item in value.items():
            member = shape.members[name]
            kept = carried(item, member, protocol, member.serialization.get("location"))
            optional_payload = name == payload and name not in shape.required_members
            if optional_payload and protocol == "rest-json" and kept in ({}, b"", ""):
                kept = None
            if kept is not None:
                out[name] = kept
        if protocol == "query" and not out and not top:
            return None
        return out
    if kind == "list":
        if not value and protocol == "rest-json" and location in ("querystring", "header"):
            return None
        items = [carried(item, shape.member, protocol) for item in value]
        kept = [item for item in items if item is not None]
        if items and not kept:
            return None  # query: only empty structures in it, so not one field is sent
        return kept
    if kind == "map":
        if not value and (protocol == "query" or location in ("querystring", "headers")):
            return None
        out = {}
        for key, item in value.items():
            kept = carried(item, shape.value, protocol)
            if kept is not None:
                out[key] = kept
        return out
    return value


def _roundtrip(service_name: str, protocol: str, operation: OperationModel, params: dict[str, Any]) -> None:
    request = client_request(protocol, operation, params)
    expected = carried(params, operation.input_shape, protocol, top=True) if operation.input_shape else {}
    try:
        validate(operation, expected)
    except AwsError as invalid:
        # A required member the wire cannot carry (e.g. an empty map in query): AWS refuses it too.
        with pytest.raises(type(invalid)):
            parse_request(service_name, request)
        return
    parsed = parse_request(service_name, request)
    assert parsed.operation.name == operation.name
    assert parsed.protocol == protocol == request_protocol(service_name, request)
    assert parsed.params == expected


@pytest.mark.parametrize(("service_name", "protocol", "operation_name"), _variants())
def test_parse_gives_back_what_botocore_sent(service_name: str, protocol: str, operation_name: str) -> None:
    operation = load_service(service_name).operation_model(operation_name)
    if operation.input_shape is None:
        _roundtrip(service_name, protocol, operation, {})
        return

    @settings(
        max_examples=10,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(value_for_shape(operation.input_shape))
    def roundtrip(params: dict[str, Any]) -> None:
        _roundtrip(service_name, protocol, operation, params)

    roundtrip()


@pytest.mark.parametrize(("service_name", "protocol", "operation_name"), _variants(implemented=False))
def test_every_rest_xml_request_is_refused_as_not_implemented(
    service_name: str, protocol: str, operation_name: str
) -> None:
    operation = load_service(service_name).operation_model(operation_name)

    @settings(max_examples=2, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(value_for_shape(operation.input_shape) if operation.input_shape is not None else st.just({}))
    def refused(params: dict[str, Any]) -> None:
        request = client_request(protocol, operation, params)
        assert request_protocol(service_name, request) == protocol
        with pytest.raises(NotImplementedOperation) as raised:
            parse_request(service_name, request)
        assert (raised.value.code, raised.value.status) == ("NotImplemented", 501)
        not_supported = f"Overcast does not implement {service_name}: its rest-xml protocol is not supported"
        assert raised.value.message == not_supported

    refused()
