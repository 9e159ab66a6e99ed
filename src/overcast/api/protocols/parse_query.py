"""The query protocol (IAM, STS, CloudFormation; SQS and CloudWatch from older SDKs): form fields -> params.

`Action=CreateRole&Version=2010-05-08&RoleName=r&Tags.member.1.Key=k&...`: the flat field names
are first folded into a tree on their dots, then converters compiled once per shape read the
tree: `member.N` (or, flattened, `Name.N`) for lists, `entry.N.key` / `entry.N.value` (or, flattened,
`Name.N.<key name>`) for maps, `locationName` overrides, `true`/`false`, ISO 8601 timestamps,
base64 blobs. An empty list arrives as the bare field with an empty value.
https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from overcast.api.protocols.http import HttpRequest
from overcast.api.protocols.parse_scalars import text_parser
from overcast.api.protocols.validate import ValidationError
from overcast.errors import AwsError, InvalidAction

Node = dict[Any, Any]  # segment -> Node; the key None holds the field's own value, if it was sent
Reader = Callable[[Node, str], Any]  # (node, field name for messages) -> value


class MissingAction(AwsError):
    code, status = "MissingAction", 400


def form_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    """Fields from the query string and, for a form-encoded body, from the body (body wins)."""
    pairs = request.query_pairs() if request.query_string else []
    if request.body and "json" not in request.headers.get("content-type", ""):
        pairs.extend(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return pairs


def fold(pairs: list[tuple[str, str]]) -> Node:
    root: Node = {}
    for key, value in pairs:
        node = root
        for part in key.split("."):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            node = child
        node[None] = value
    return root


def resolve_action(service: ServiceModel, fields: Node) -> OperationModel:
    action_node = fields.get("Action")
    action = action_node.get(None) if action_node else None
    if not action:
        raise MissingAction("Missing Action")
    try:
        return service.operation_model(action)
    except Exception:
        version_node = fields.get("Version") or {}
        version = version_node.get(None, service.api_version)
        raise InvalidAction(f"Could not find operation {action} for version {version}") from None


def parse_query_params(operation: OperationModel, fields: Node) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return {}
    result: dict[str, Any] = reader(shape)(fields, "")
    return result


_cache: dict[tuple[Any, ...], Reader] = {}


def reader(shape: Shape) -> Reader:
    key = (id(getattr(shape, "_shape_resolver", None)), shape.name, repr(sorted(shape.serialization.items())))
    hit = _cache.get(key)
    if hit is not None:
        return hit
    box: list[Reader] = []
    _cache[key] = lambda node, name: box[0](node, name)  # breaks recursion while the real one is built
    built = _build(shape)
    box.append(built)
    _cache[key] = built
    return built


def _indexed(node: Node) -> list[Node]:
    """Children named 1, 2, 3... in numeric order."""
    numbered = [(int(k), child) for k, child in node.items() if isinstance(k, str) and k.isdigit()]
    numbered.sort(key=lambda pair: pair[0])
    return [child for _, child in numbered]


def _wire_names(member_name: str, member: Shape) -> tuple[str, ...]:
    """The field names a member may arrive under, the current model's first.

    SQS's query API, as older SDKs still send it, names flattened members in the singular
    (`AttributeName.1`, `Attribute.1.Name`, `Tag.1.Key`, `SendMessageBatchRequestEntry.1.Id`);
    botocore's current JSON model of SQS only keeps the `flattened` trait. Those old names are
    accepted too when the current one is absent.
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
    """
    wire = str(member.serialization.get("name", member_name))
    if member.type_name == "list" and member.serialization.get("flattened"):
        assert isinstance(member, ListShape)
        inner = member.member.serialization.get("name")
        if inner:
            wire = str(inner)
    names = [wire]
    if member.serialization.get("flattened"):
        names.append(_OLD_SQS_NAMES.get(wire, ""))
        if isinstance(member, ListShape) and member.member.type_name == "structure":
            names.append(member.member.name)
        singular = wire[:-1] if wire.endswith("s") else wire
        names += [singular, singular[:1].upper() + singular[1:]]
    aliases = (n for n in names[1:] if n and n not in _RESERVED)
    return tuple(dict.fromkeys([names[0], *aliases]))


_OLD_SQS_NAMES = {"Actions": "ActionName"}
_RESERVED = frozenset({"Action", "Version"})


def _first(node: Node, names: tuple[str, ...]) -> Node | None:
    for name in names:
        child = node.get(name)
        if child is not None:
            return child
    return None


def _build(shape: Shape) -> Reader:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        members = [(name, _wire_names(name, member), reader(member)) for name, member in shape.members.items()]

        def read_structure(node: Node, field: str) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, wires, read in members:
                child = node.get(wires[0]) if len(wires) == 1 else _first(node, wires)
                if child is not None:
                    out[name] = read(child, f"{field}.{wires[0]}" if field else wires[0])
            return out

        return read_structure
    if kind == "list":
        assert isinstance(shape, ListShape)
        read_item = reader(shape.member)
        flattened = bool(shape.serialization.get("flattened"))
        item_name = shape.member.serialization.get("name", "member")

        def read_list(node: Node, field: str) -> list[Any]:
            items = node if flattened else node.get(item_name, {})
            return [read_item(child, field) for child in _indexed(items)]

        return read_list
    if kind == "map":
        assert isinstance(shape, MapShape)
        read_key, read_value = reader(shape.key), reader(shape.value)
        flattened = bool(shape.serialization.get("flattened"))
        key_names: tuple[str, ...] = (shape.key.serialization.get("name", "key"),)
        value_names: tuple[str, ...] = (shape.value.serialization.get("name", "value"),)
        if flattened:  # older SDKs' SQS: Attribute.1.Name / Attribute.1.Value, Tag.1.Key / Tag.1.Value
            key_names = (*key_names, "Name", "Key")
            value_names = (*value_names, "Value")

        def read_map(node: Node, field: str) -> dict[Any, Any]:
            entries = node if flattened else node.get("entry", {})
            out: dict[Any, Any] = {}
            for entry in _indexed(entries):
                key_node, value_node = _first(entry, key_names), _first(entry, value_names)
                if key_node is not None and value_node is not None:
                    out[read_key(key_node, field)] = read_value(value_node, field)
            return out

        return read_map
    parse = text_parser(shape, "iso8601")
    type_name = kind

    def read_scalar(node: Node, field: str) -> Any:
        text = node.get(None)
        if text is None:
            raise ValidationError(f"Invalid value for parameter {field}: a {type_name} was expected")
        try:
            return parse(text)
        except ValueError:
            raise ValidationError(f"Invalid {type_name} value '{text}' for parameter {field}") from None

    return read_scalar
