"""parse_request: one HTTP request to a known service -> its botocore operation and parameters.

The protocol is read from the request itself, among those the service's model allows: a
smithy-rpc-v2-cbor path (`/service/<Name>/operation/<Op>`), an `X-Amz-Target` header (json 1.0 /
1.1), form fields with `Action` (query, also accepted from older SDKs by the services with the
`awsQueryCompatible` trait: SQS, CloudWatch), else the rest route. The answer is written in the
same protocol, so ParsedRequest says which one was used. Parameters are then validated against
the model's constraints (validate.py).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from botocore.model import OperationModel, ServiceModel

from overcast.api.protocols import cbor
from overcast.api.protocols.http import HttpRequest
from overcast.api.protocols.models import load_service, protocols_of
from overcast.api.protocols.parse_document import Converter, converter
from overcast.api.protocols.parse_query import fold, form_pairs, parse_query_params, resolve_action
from overcast.api.protocols.parse_rest import Reader, Route, RouteTable, compile_plan, read_request
from overcast.api.protocols.validate import validate
from overcast.errors import NotImplementedOperation, RequestTooLarge, SerializationException, UnknownOperationException


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    operation: OperationModel
    params: dict[str, Any]
    protocol: str  # "json", "rest-json", "query" or "smithy-rpc-v2-cbor": the one to answer in


# The most a compressed body may decompress to, unless the caller says (the dispatcher passes the edge's
# request cap, `max_request_bytes`): a small gzip body must not grow into gigabytes in memory.
DEFAULT_MAX_DECODED_BYTES = 70 * 1024 * 1024


def parse_request(
    service_name: str, request: HttpRequest, max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES
) -> ParsedRequest:
    """Which operation of `service_name` the request calls, with its validated parameters.

    Raises AwsError subclasses as AWS answers them: UnknownOperationException / InvalidAction for
    an operation the model does not have, SerializationException for a malformed body,
    ValidationException / ValidationError for parameters breaking the model's constraints, and
    NotImplemented for S3 (rest-xml is not implemented).
    """
    encoding = request.headers.get("content-encoding")
    if encoding and request.body:
        request = _decoded(request, encoding, max_decoded_bytes)
    parsed = _service_parser(service_name).parse(request)
    if parsed.protocol == "query" and "QueueUrl" not in parsed.params:
        _queue_url_from_path(parsed, request)
    validate(parsed.operation, parsed.params)
    return parsed


def _queue_url_from_path(parsed: ParsedRequest, request: HttpRequest) -> None:
    """SQS's query clients send a queue's operations to the queue's URL and may leave QueueUrl out; the
    path `/<account>/<queue name>` is then the queue.
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-xml.html"""
    shape = parsed.operation.input_shape
    segments = [s for s in request.path.split("/") if s]
    if shape is not None and "QueueUrl" in shape.members and len(segments) == 2:
        host = request.headers.get("host", "localhost")
        parsed.params["QueueUrl"] = f"http://{host}/{segments[0]}/{segments[1]}"


def _decoded(request: HttpRequest, encoding: str, max_bytes: int) -> HttpRequest:
    """The request with its body decompressed: botocore gzips large bodies of operations with the
    `requestcompression` trait (CloudWatch PutMetricData), and says so in Content-Encoding. A body
    that would decompress past `max_bytes` is refused before it is held."""
    codings = [c.strip().lower() for c in encoding.split(",")]
    if "gzip" not in codings:
        return request
    body = _gunzip(request.body, max_bytes)
    rest = ", ".join(c for c in codings if c != "gzip")
    headers = {k: v for k, v in request.headers.items() if k != "content-encoding"}
    if rest:
        headers["content-encoding"] = rest
    return replace(request, body=body, headers=headers)


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """One or more gzip members, decompressed to at most `max_bytes`."""
    out = bytearray()
    try:
        while data:
            member = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            out += member.decompress(data, max_bytes + 1 - len(out))
            if len(out) > max_bytes or member.unconsumed_tail:
                raise RequestTooLarge(f"Request must be smaller than {max_bytes} bytes once decompressed")
            if not member.eof:
                raise zlib.error("truncated")
            data = member.unused_data
    except zlib.error:
        raise SerializationException("The request body is not valid gzip data") from None
    return bytes(out)


def request_protocol(service_name: str, request: HttpRequest) -> str:
    """The protocol `request` speaks, as parse_request would decide it, without parsing it.

    For answering an error raised before a ParsedRequest exists in the protocol of the request
    (an old SDK's query call to SQS gets a query error, not a JSON one).
    """
    return _service_parser(service_name).protocol_of(request)


@cache
def _service_parser(service_name: str) -> ServiceParser:
    return ServiceParser(load_service(service_name))


class ServiceParser:
    """The compiled parsing state of one service: operation lookups and per-operation plans."""

    def __init__(self, service: ServiceModel) -> None:
        self.service = service
        self.protocols = protocols_of(service)
        self.rest = "rest-json" in self.protocols
        self.json = "json" in self.protocols
        self.query = "query" in self.protocols
        self.cbor = "smithy-rpc-v2-cbor" in self.protocols
        metadata = service.metadata
        self.target_prefix = f"{metadata['targetPrefix']}." if "targetPrefix" in metadata else None
        self._routes: RouteTable | None = None
        self._rest_plans: dict[str, tuple[Reader, ...]] = {}
        self._body_converters: dict[tuple[str, str], Converter | None] = {}

    def protocol_of(self, request: HttpRequest) -> str:
        """The protocol parse() reads `request` with (the same decisions, in the same order)."""
        if "rest-xml" in self.protocols:
            return "rest-xml"
        if self.cbor and request.path.startswith("/service/"):
            return "smithy-rpc-v2-cbor"
        if self.json and "x-amz-target" in request.headers:
            return "json"
        if self.query and (not self.json or any(key == "Action" for key, _ in form_pairs(request))):
            return "query"
        if self.rest:
            return "rest-json"
        return self.protocols[0]

    def parse(self, request: HttpRequest) -> ParsedRequest:
        if "rest-xml" in self.protocols:
            raise NotImplementedOperation(
                f"Overcast does not implement {self.service.service_name}: its rest-xml protocol is not supported"
            )
        if self.cbor and request.path.startswith("/service/"):
            return self._parse_cbor(request)
        if self.json and "x-amz-target" in request.headers:
            return self._parse_json(request)
        if self.query:
            fields = fold(form_pairs(request))
            if "Action" in fields or not self.json:
                operation = resolve_action(self.service, fields)
                return ParsedRequest(operation, parse_query_params(operation, fields), "query")
        if self.rest:
            return self._parse_rest(request)
        raise UnknownOperationException()

    # json 1.0 / 1.1 -------------------------------------------------------------------------------
    def _parse_json(self, request: HttpRequest) -> ParsedRequest:
        target = request.headers["x-amz-target"]
        prefix = self.target_prefix
        name = target[len(prefix) :] if prefix and target.startswith(prefix) else None
        operation = self._operation(name)
        body = request.body
        params: dict[str, Any] = {}
        convert = self._converter(operation, "json")
        if convert is not None and body.strip():
            try:
                document = json.loads(body)
            except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
                raise SerializationException() from None  # AWS answers a bare SerializationException
            if document is not None:
                params = convert(document)
        return ParsedRequest(operation, params, "json")

    # smithy-rpc-v2-cbor ----------------------------------------------------------------------------
    def _parse_cbor(self, request: HttpRequest) -> ParsedRequest:
        # https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html#requests
        parts = request.path.split("/")
        name = parts[4] if len(parts) == 5 and parts[3] == "operation" else None
        operation = self._operation(name, status=404)
        params: dict[str, Any] = {}
        convert = self._converter(operation, "cbor")
        if convert is not None and request.body:
            try:
                document = cbor.decode(request.body)
            except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
                raise SerializationException("Unable to decode the CBOR request body") from None
            if document is not None:
                params = convert(document)
        return ParsedRequest(operation, params, "smithy-rpc-v2-cbor")

    # rest-json -------------------------------------------------------------------------------------
    def _parse_rest(self, request: HttpRequest) -> ParsedRequest:
        if self._routes is None:
            self._routes = RouteTable(self.service)
        route, labels, query = self._routes.match(request)
        plan = self._rest_plans.get(route.operation.name)
        if plan is None:
            plan = self._rest_plans[route.operation.name] = compile_plan(route, self._routes.body_error)
        return ParsedRequest(route.operation, read_request(plan, request, labels, query), "rest-json")

    def route(self, request: HttpRequest) -> Route:
        """The rest route a request takes (exposed for tests and benchmarks)."""
        if self._routes is None:
            self._routes = RouteTable(self.service)
        return self._routes.match(request)[0]

    # shared ----------------------------------------------------------------------------------------
    def _operation(self, name: str | None, status: int | None = None) -> OperationModel:
        if name and name in self._operation_names():
            return self.service.operation_model(name)
        raise UnknownOperationException(status=status)

    @cache  # noqa: B019 - one parser per service, alive as long as the process
    def _operation_names(self) -> frozenset[str]:
        return frozenset(self.service.operation_names)

    def _converter(self, operation: OperationModel, wire: str) -> Converter | None:
        key = (operation.name, wire)
        if key not in self._body_converters:
            shape = operation.input_shape
            self._body_converters[key] = None if shape is None else converter(shape, wire)
        return self._body_converters[key]
