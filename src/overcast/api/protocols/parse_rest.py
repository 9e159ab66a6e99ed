"""The rest-json protocol (Lambda, API Gateway, Scheduler, X-Ray, ...): route, then read each location.

A routing table is compiled once per service: routes grouped by HTTP method, first path segment
and number of segments (routes with a greedy label apart), each a regex over the raw
(percent-encoded) path plus any query literals of the `requestUri` (`?List=ALL`), most specific
first. Each operation's reading plan is compiled on first use: URI labels (`{Name}`, greedy
`{Key+}`), query-string members (scalars, lists, and a `location: querystring` map taking the
remaining keys), headers (lists, timestamps as RFC 822, base64 `jsonvalue`), header maps by
prefix, and the body: a `payload` member (blob or string = the raw body, structure = a JSON
object) or the JSON object of the remaining members.
https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from botocore.model import OperationModel, ServiceModel, Shape

from overcast.api.protocols.http import HttpRequest
from overcast.api.protocols.parse_document import Converter, converter, type_mismatch
from overcast.api.protocols.parse_scalars import TextParser, split_header_list, text_parser
from overcast.errors import AwsError, SerializationException, UnknownOperationException

# AWS documents no nesting limit; Python's parser stops near 1,000 levels (its recursion limit).
NESTED_TOO_DEEP = "Document nesting depth exceeds the maximum allowed"


class InvalidRequestContent(AwsError):
    """Lambda's answer to a body that is not JSON of the expected shape."""

    code, status = "InvalidRequestContentException", 400


BodyError = type[AwsError] | None  # the error a service answers a malformed body with, if not SerializationException


@dataclass(frozen=True, slots=True)
class Route:
    operation: OperationModel
    pattern: re.Pattern[str]
    labels: tuple[str, ...]  # label names, in group order
    query_literals: tuple[tuple[str, str | None], ...]
    rank: tuple[int, int, int]


class RouteTable:
    """Every operation of one rest service, found by method and path in a dict lookup and a few regexes."""

    def __init__(self, service: ServiceModel) -> None:
        groups: dict[tuple[str, str | None, int | None], list[Route]] = {}
        for name in service.operation_names:
            operation = service.operation_model(name)
            route, first, depth = _compile_route(operation)
            groups.setdefault((operation.http.get("method", "POST"), first, depth), []).append(route)
        for routes in groups.values():
            routes.sort(key=lambda r: r.rank, reverse=True)
        self._groups = groups
        # Lambda words body errors as InvalidRequestContentException; the others as SerializationException.
        self.body_error = InvalidRequestContent if "InvalidRequestContentException" in service.shape_names else None

    def match(self, request: HttpRequest) -> tuple[Route, dict[str, str], dict[str, list[str]]]:
        path = request.path
        end = path.find("/", 1)
        first = path[1:] if end < 0 else path[1:end]
        query: dict[str, list[str]] = {}
        if request.query_string:
            for key, value in parse_qsl(request.query_string, keep_blank_values=True):
                query.setdefault(key, []).append(value)
        depth = path.rstrip("/").count("/")
        method, groups = request.method, self._groups
        for group in (
            groups.get((method, first, depth)),
            groups.get((method, first, None)),
            groups.get((method, None, depth)),
            groups.get((method, None, None)),
        ):
            for route in group or ():
                found = route.pattern.match(path)
                if found is None or not _has_literals(query, route.query_literals):
                    continue
                labels = {name: unquote(value) for name, value in zip(route.labels, found.groups(), strict=True)}
                return route, labels, query
        raise UnknownOperationException(status=404)


def _has_literals(query: dict[str, list[str]], literals: tuple[tuple[str, str | None], ...]) -> bool:
    for key, value in literals:
        values = query.get(key)
        if values is None or (value is not None and value not in values):
            return False
    return True


_LABEL = re.compile(r"\{([^}]+)\}")


def _compile_route(operation: OperationModel) -> tuple[Route, str | None, int | None]:
    """The route, its literal first path segment (None: a label) and its segment count (None: greedy)."""
    template = operation.http["requestUri"]
    path, _, literal_query = template.partition("?")
    literals: list[tuple[str, str | None]] = []
    for part in filter(None, literal_query.split("&")):
        key, eq, value = part.partition("=")
        literals.append((key, value if eq else None))
    regex, labels, pos, literal_chars, greedy = ["^"], [], 0, 0, 0
    for found in _LABEL.finditer(path):
        literal = path[pos : found.start()]
        regex.append(re.escape(literal))
        literal_chars += len(literal)
        name = found.group(1)
        if name.endswith("+"):
            regex.append("(.+)")
            labels.append(name[:-1])
            greedy += 1
        else:
            regex.append("([^/]+)")
            labels.append(name)
        pos = found.end()
    tail = path[pos:]
    literal_chars += len(tail)
    regex.append(re.escape(tail.rstrip("/")) + "/?$")  # with or without a trailing slash, as AWS accepts
    segments = path.split("/")
    first = segments[1] if len(segments) > 1 and "{" not in segments[1] else None
    route = Route(
        operation=operation,
        pattern=re.compile("".join(regex)),
        labels=tuple(labels),
        query_literals=tuple(literals),
        rank=(len(literals), literal_chars, -greedy),
    )
    return route, first, None if greedy else path.rstrip("/").count("/")


# -- reading one request --------------------------------------------------------------------------

Reader = Callable[[HttpRequest, dict[str, str], dict[str, list[str]], dict[str, Any]], None]


def _value_error(text: str, shape: Shape) -> SerializationException:
    return type_mismatch(text, shape.type_name)


def _uri_reader(name: str, label: str, parse: TextParser, shape: Shape) -> Reader:
    def read(request: HttpRequest, labels: dict[str, str], query: dict[str, list[str]], out: dict[str, Any]) -> None:
        text = labels.get(label)
        if text is not None:
            try:
                out[name] = parse(text)
            except ValueError:
                raise _value_error(text, shape) from None

    return read


def _query_reader(name: str, key: str, shape: Shape) -> Reader:
    if shape.type_name == "list":
        parse = text_parser(shape.member, "iso8601")

        def read_list(
            request: HttpRequest, labels: dict[str, str], query: dict[str, list[str]], out: dict[str, Any]
        ) -> None:
            values = query.get(key)
            if values is not None:
                try:
                    out[name] = [parse(v) for v in values]
                except ValueError:
                    raise _value_error(values[0], shape) from None

        return read_list
    parse = text_parser(shape, "iso8601")

    def read_scalar(
        request: HttpRequest, labels: dict[str, str], query: dict[str, list[str]], out: dict[str, Any]
    ) -> None:
        values = query.get(key)
        if values:
            try:
                out[name] = parse(values[-1])
            except ValueError:
                raise _value_error(values[-1], shape) from None

    return read_scalar


def _query_map_reader(name: str, shape: Shape, claimed: frozenset[str]) -> Reader:
    value_shape: Shape = shape.value
    many = value_shape.type_name == "list"
    parse = text_parser(value_shape.member if many else value_shape, "iso8601")

    def read(request: HttpRequest, labels: dict[str, str], query: dict[str, list[str]], out: dict[str, Any]) -> None:
        found: dict[str, Any] = {}
        try:
            for key, values in query.items():
                if key not in claimed:
                    found[key] = [parse(v) for v in values] if many else parse(values[-1])
        except ValueError:
            raise _value_error(str(values), value_shape) from None
        if found:
            out[name] = found

    return read


def _header_reader(name: str, header: str, shape: Shape) -> Reader:
    if shape.type_name == "list":
        item = text_parser(shape.member, "rfc822")

        def parse_list(text: str) -> Any:
            return [item(part) for part in split_header_list(text)]

        parse: TextParser = parse_list
    else:
        parse = text_parser(shape, "rfc822")

    def read(request: HttpRequest, labels: dict[str, str], query: dict[str, list[str]], out: dict[str, Any]) -> None:
        text = request.headers.get(header)
        if text is not None:
            try:
                out[name] = parse(text)
            except (ValueError, TypeError):
                raise _value_error(text, shape) from None

    return read


def _header_map_reader(name: str, prefix: str) -> Reader:
    def read(request: HttpRequest, labels: dict[str, str], query: dict[str, list[str]], out: dict[str, Any]) -> None:
        found = {key[len(prefix) :]: value for key, value in request.headers.items() if key.startswith(prefix)}
        if found:
            out[name] = found

    return read


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerializationException(f"Could not parse request body into json: {exc}") from None
    except RecursionError:  # past the parser's depth (about 1,000 levels): a client's error, not ours
        raise SerializationException(f"Could not parse request body into json: {NESTED_TOO_DEEP}") from None


def _payload_reader(name: str, shape: Shape, required: bool, body_error: BodyError) -> Reader:
    kind = shape.type_name
    if kind in ("blob", "string"):
        as_text = kind == "string"

        def read_raw(
            request: HttpRequest, labels: dict[str, str], query: dict[str, list[str]], out: dict[str, Any]
        ) -> None:
            if request.body or required:
                out[name] = request.body.decode("utf-8") if as_text else request.body

        return read_raw
    convert = converter(shape, "json")

    def read_json(
        request: HttpRequest, labels: dict[str, str], query: dict[str, list[str]], out: dict[str, Any]
    ) -> None:
        if not request.body.strip():
            if required:
                out[name] = {}
            return
        try:
            document = _json_body(request)
            value = {} if document is None and shape.type_name == "structure" else convert(document)
        except SerializationException as exc:
            raise _body_error(body_error, exc) from None
        if value or required or shape.type_name != "structure":
            out[name] = value

    return read_json


def _body_reader(convert: Converter, body_error: BodyError) -> Reader:
    def read(request: HttpRequest, labels: dict[str, str], query: dict[str, list[str]], out: dict[str, Any]) -> None:
        if request.body.strip():
            try:
                document = _json_body(request)
                if document is not None:
                    out.update(convert(document))
            except SerializationException as exc:
                raise _body_error(body_error, exc) from None

    return read


def _body_error(body_error: BodyError, exc: SerializationException) -> AwsError:
    """A body's SerializationException as the service words it (Lambda: InvalidRequestContentException)."""
    if body_error is None:
        return exc
    message = exc.message
    if not message.startswith("Could not parse request body into json"):
        message = f"Could not parse request body into json: {message}"
    return body_error(message)


def compile_plan(route: Route, body_error: BodyError = None) -> tuple[Reader, ...]:
    """The readers that together rebuild the operation's params from one request."""
    operation = route.operation
    shape = operation.input_shape
    if shape is None:
        return ()
    readers: list[Reader] = []
    literal_keys = {key for key, _ in route.query_literals}
    claimed = frozenset(
        literal_keys
        | {
            m.serialization.get("name", n)
            for n, m in shape.members.items()
            if m.serialization.get("location") == "querystring" and m.type_name != "map"
        }
    )
    payload = shape.serialization.get("payload")
    has_body_members = False
    for member_name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", member_name)
        if location == "uri":
            readers.append(_uri_reader(member_name, wire, text_parser(member, "iso8601"), member))
        elif location == "querystring":
            if member.type_name == "map":
                readers.append(_query_map_reader(member_name, member, claimed))
            else:
                readers.append(_query_reader(member_name, wire, member))
        elif location == "header":
            readers.append(_header_reader(member_name, wire.lower(), member))
        elif location == "headers":
            readers.append(_header_map_reader(member_name, wire.lower()))
        elif member_name == payload:
            readers.append(_payload_reader(member_name, member, member_name in shape.required_members, body_error))
        elif location is None and payload is None:
            has_body_members = True
    if has_body_members:
        readers.append(_body_reader(converter(shape, "json", body_only=True), body_error))
    return tuple(readers)


def read_request(
    plan: tuple[Reader, ...], request: HttpRequest, labels: dict[str, str], query: dict[str, list[str]]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for read in plan:
        read(request, labels, query, out)
    return out
