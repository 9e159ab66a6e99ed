"""Records as JSON and back, driven by their type hints: how the REST API control plane stores them.

`dump` writes a record's fields by name, leaving out those that are None; `load` builds a record
of a class from such JSON, taking each field from the key `names(field)` (the field's own name
by default: another naming reads the same records from another layout), ignoring keys it does
not know and giving a missing field its default. Nested records, `X | None`, `tuple[X, ...]` and
`dict[str, X]` are followed.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

R = TypeVar("R")
Names = Callable[[str], str]


def _same(name: str) -> str:
    return name


def camel(name: str) -> str:
    """A snake_case field name in camelCase (`api_key_source` -> `apiKeySource`): AWS's spelling of most members."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def plain(value: Any) -> Any:
    """A record (or a value holding records) as JSON-ready dicts, lists and scalars."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(v) for f in dataclasses.fields(value) if (v := getattr(value, f.name)) is not None}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def dump(record: Any) -> str:
    return json.dumps(plain(record), separators=(",", ":"))


_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}  # each record class's fields and their type hints


def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _FIELDS[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
    return found


def load(cls: type[R], data: dict[str, Any] | str, names: Names = _same) -> R:
    """A record of `cls` from its JSON (text or parsed), each field read from the key `names(field)`."""
    if isinstance(data, str):
        data = json.loads(data)
    assert isinstance(data, dict)
    given = {}
    for name, hint in _fields(cls):
        key = names(name)
        if key in data and data[key] is not None:
            given[name] = _value(hint, data[key], names)
    return cls(**given)


def _value(hint: Any, value: Any, names: Names) -> Any:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _value(inner, value, names)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_value(item, v, names) for v in value)
    if origin is dict:
        item = typing.get_args(hint)[1]
        return {str(k): _value(item, v, names) for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return load(hint, value, names)
    if hint is float:
        return float(value)
    if hint is int and not isinstance(value, bool):
        return int(value)
    return value


def field_class(cls: type, name: str) -> type:
    """The record class a field of `cls` holds (through `| None`), to make a blank one of it."""
    hint = dict(_fields(cls))[name]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        (hint,) = [a for a in typing.get_args(hint) if a is not type(None)]
    assert isinstance(hint, type) and dataclasses.is_dataclass(hint), f"{cls.__name__}.{name} holds no record"
    return hint


def default_of(cls: type, name: str) -> Any:
    """The value a field of `cls` has when it is not given (None for a field without a default)."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
    return None
