"""Decoded JSON or CBOR data -> botocore parameters, through converters compiled once per shape.

A converter checks types as AWS's JSON protocols do (a string where an integer belongs is a
SerializationException, with the messages AWS's JSON deserializer writes), renames wire names
(`locationName`) to member names, drops nulls (AWS reads a null member as an absent one), turns
base64 text (JSON) or byte strings (CBOR) into bytes, epoch numbers into aware UTC datetimes,
and leaves documents as plain values. Unknown members are ignored, as AWS does.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from overcast.api.protocols.parse_scalars import epoch_to_datetime, parse_timestamp_text
from overcast.errors import SerializationException

Converter = Callable[[Any], Any]

_SPECIAL_FLOATS = {"Infinity": float("inf"), "-Infinity": float("-inf"), "NaN": float("nan")}

# What AWS's JSON deserializer says when a value of the wrong kind arrives, by target type.
_TARGET_NAMES = {
    "string": "cannot be converted to String",
    "integer": "can not be converted to an Integer",
    "long": "can not be converted to a Long",
    "float": "can not be converted to a Float",
    "double": "can not be converted to a Double",
    "boolean": "can not be converted to a Boolean",
    "blob": "can not be converted to a Blob",
    "timestamp": "can not be converted to a Timestamp",
    "structure": "can not be converted to a Structure",
    "map": "can not be converted to a Map",
    "list": "can not be converted to a List",
}


def type_mismatch(value: Any, target: str) -> SerializationException:
    """The SerializationException AWS answers when `value` arrives where a `target` belongs."""
    if isinstance(value, dict):
        return SerializationException("Start of structure or map found where not expected.")
    if isinstance(value, list):
        return SerializationException("Start of list found where not expected.")
    if value is True:
        token = "TRUE_VALUE"
    elif value is False:
        token = "FALSE_VALUE"
    elif isinstance(value, int | float):
        token = "NUMBER_VALUE"
    elif isinstance(value, bytes):
        token = "BYTE_STRING_VALUE"
    elif isinstance(value, datetime):
        token = "TIMESTAMP_VALUE"
    else:
        token = "STRING_VALUE"
    return SerializationException(f"{token} {_TARGET_NAMES.get(target, 'is not expected here')}")


_cache: dict[tuple[Any, ...], Converter] = {}


def _key(shape: Shape, wire: str, body_only: bool) -> tuple[Any, ...]:
    # Shape names repeat across services: the resolver (one per service model) tells them apart.
    return (
        id(getattr(shape, "_shape_resolver", None)),
        shape.name,
        wire,
        body_only,
        repr(sorted(shape.serialization.items())),
    )


def converter(shape: Shape, wire: str, *, body_only: bool = False) -> Converter:
    """The converter for `shape` on a `wire` of "json" or "cbor".

    `body_only` (structures): keep only members without a REST `location` (rest-json bodies).
    """
    key = _key(shape, wire, body_only)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    box: list[Converter] = []
    _cache[key] = lambda value: box[0](value)  # breaks recursion while the real one is built
    built = _build(shape, wire, body_only)
    box.append(built)
    _cache[key] = built
    return built


def _build(shape: Shape, wire: str, body_only: bool) -> Converter:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if shape.is_document_type:
            return _identity
        return _structure(shape, wire, body_only)
    if kind == "list":
        assert isinstance(shape, ListShape)
        return _list(converter(shape.member, wire))
    if kind == "map":
        assert isinstance(shape, MapShape)
        return _map(converter(shape.value, wire))
    if kind == "string":
        return _string
    if kind in ("integer", "long"):
        return _integer(kind)
    if kind in ("float", "double"):
        return _float(kind)
    if kind == "boolean":
        return _boolean
    if kind == "blob":
        return _blob_cbor if wire == "cbor" else _blob_json
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "unixtimestamp")
        return _timestamp(fmt)
    raise ValueError(f"no converter for shape type {kind!r}")


def _identity(value: Any) -> Any:
    return value


def _structure(shape: StructureShape, wire: str, body_only: bool) -> Converter:
    members: dict[str, tuple[str, Converter]] = {}
    for name, member in shape.members.items():
        if body_only and "location" in member.serialization:
            continue
        members[member.serialization.get("name", name)] = (name, converter(member, wire))

    def convert(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise type_mismatch(value, "structure")
        out: dict[str, Any] = {}
        for key, item in value.items():
            entry = members.get(key)
            if entry is not None and item is not None:
                out[entry[0]] = entry[1](item)
        return out

    return convert


def _list(member: Converter) -> Converter:
    def convert(value: Any) -> list[Any]:
        if type(value) is not list:
            raise type_mismatch(value, "list")
        return [member(item) for item in value if item is not None]

    return convert


def _map(member: Converter) -> Converter:
    def convert(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise type_mismatch(value, "map")
        return {key: member(item) for key, item in value.items() if item is not None}

    return convert


def _string(value: Any) -> str:
    if type(value) is not str:
        raise type_mismatch(value, "string")
    return value


def _integer(kind: str) -> Converter:
    def convert(value: Any) -> int:
        if type(value) is int:
            return value
        if type(value) is float and value.is_integer():
            return int(value)
        raise type_mismatch(value, kind)

    return convert


def _float(kind: str) -> Converter:
    def convert(value: Any) -> float:
        if type(value) is float:
            return value
        if type(value) is int:
            return float(value)
        if type(value) is str and value in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[value]
        raise type_mismatch(value, kind)

    return convert


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise type_mismatch(value, "boolean")
    return value


def _blob_json(value: Any) -> bytes:
    if type(value) is not str:
        raise type_mismatch(value, "blob")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise SerializationException("Base64 encoded value is not valid.") from exc


def _blob_cbor(value: Any) -> bytes:
    if type(value) is bytes:
        return value
    return _blob_json(value)


def _timestamp(fmt: str) -> Converter:
    def convert(value: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            if type(value) in (int, float):
                return epoch_to_datetime(value)
            if type(value) is str:
                return parse_timestamp_text(value, fmt)
        except ValueError as exc:
            raise SerializationException(f"Invalid timestamp value: {value}") from exc
        raise type_mismatch(value, "timestamp")

    return convert
