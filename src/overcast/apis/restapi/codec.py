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


def dump(record: Any) -> str:
    return json.dumps(_dumper(type(record))(record), separators=(",", ":"))


Convert = Callable[[Any], Any]
_DUMPERS: dict[type, Convert] = {}  # a dumper per record class, made once


def _dumper(cls: type) -> Convert:
    """A function from a record to its JSON dict (None fields left out): its fields' converters worked out once."""
    found = _DUMPERS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        fields = [(f.name, _plain(hints[f.name])) for f in dataclasses.fields(cls)]

        def found(record: Any) -> dict[str, Any]:
            out = {}
            for name, convert in fields:
                value = getattr(record, name)
                if value is not None:
                    out[name] = value if convert is None else convert(value)
            return out

        _DUMPERS[cls] = found
    return found


def _plain(hint: Any) -> Convert | None:
    """How a field of type `hint` becomes JSON-ready (None: as it is; json writes tuples as lists)."""
    hint = _optional(hint)
    origin = typing.get_origin(hint)
    if origin is tuple or origin is dict:
        item = _plain(_item(hint))
        if item is None:
            return None
        each: Convert = item
        return (lambda v: [each(x) for x in v]) if origin is tuple else (lambda v: {k: each(x) for k, x in v.items()})
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dumper(hint)
    return None


def _item(hint: Any) -> Any:
    """`X` of `tuple[X, ...]` or `dict[str, X]`."""
    args = typing.get_args(hint)
    return args[0] if typing.get_origin(hint) is tuple else args[1]


def _optional(hint: Any) -> Any:
    """`X` of `X | None`."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        (hint,) = [a for a in typing.get_args(hint) if a is not type(None)]
    return hint


def load(cls: type[R], data: dict[str, Any] | str, names: Names = _same) -> R:
    """A record of `cls` from its JSON (text or parsed), each field read from the key `names(field)`."""
    if isinstance(data, str):
        data = json.loads(data)
    assert isinstance(data, dict)
    found: R = _loader(cls, names)(data)
    return found


_LOADERS: dict[tuple[type, Names], Convert] = {}  # a loader per record class and naming, made once


def _loader(cls: type, names: Names) -> Convert:
    """A function from a record's JSON dict to the record: its fields' keys and converters worked out once."""
    found = _LOADERS.get((cls, names))
    if found is None:
        hints = typing.get_type_hints(cls)
        fields = [(f.name, names(f.name), _converter(hints[f.name], names)) for f in dataclasses.fields(cls)]

        def found(data: dict[str, Any]) -> Any:
            given = {}
            for name, key, convert in fields:
                value = data.get(key)
                if value is not None:
                    given[name] = value if convert is None else convert(value)
            return cls(**given)

        _LOADERS[(cls, names)] = found
    return found


def _converter(hint: Any, names: Names) -> Convert | None:
    """How a JSON value becomes a field of type `hint` (None: as it is)."""
    hint = _optional(hint)
    origin = typing.get_origin(hint)
    if origin is tuple or origin is dict:
        item = _converter(_item(hint), names)
        if item is None:
            return tuple if origin is tuple else dict
        each: Convert = item
        if origin is tuple:
            return lambda v: tuple(each(x) for x in v)
        return lambda v: {k: each(x) for k, x in v.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _loader(hint, names)
    if hint is float:
        return float
    if hint is int:
        return int
    return None


def field_class(cls: type, name: str) -> type:
    """The record class a field of `cls` holds (through `| None`), to make a blank one of it."""
    hint = _optional(typing.get_type_hints(cls)[name])
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
