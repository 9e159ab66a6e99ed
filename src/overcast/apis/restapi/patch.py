"""Patch operations (`op`, `path`, `value`) as API Gateway applies them to its records.

Every Update* call of API Gateway takes a list of patch operations on paths of the updated
object; which paths exist and what their values mean is per object, so each object declares a
`Spec` (path -> Field: which record field, nested through records, the path lands on) and `apply`
does the rest, returning the changed record (records are frozen: each step is a `replace`).
Operations apply in order; the first bad one raises BadRequest before anything is stored.
https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from overcast.apis.restapi import codec
from overcast.errors import BadRequest

OPS = ("add", "remove", "replace")
ALL_OPS = (*OPS, "move", "copy", "test")
SCALARS = ("str", "bool", "int", "float", "single")
MEMBERS = ("map", "map_bool", "set")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class PatchOperation:
    op: str
    path: str
    value: str | None = None
    from_: str | None = None

    @property
    def segments(self) -> list[str]:
        """The path's segments, `~1` and `~0` unescaped (JSON Pointer)."""
        return [unescape(s) for s in self.path.split("/")[1:]]


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True, slots=True)
class Field:
    """Where a patch path lands and what its value is.

    key: the record field, through nested records (`("throttle", "rate_limit")`). kind: "str",
    "bool", "int", "float" (a scalar); "single" (a list holding only the value, as
    `/endpointConfiguration/types/0`); "map" / "map_bool" (the path's last segment is a key of
    the map); "set" (the path's last segment is an item of the list); "object" (a nested record,
    removable whole).
    """

    key: tuple[str, ...]
    kind: str = "str"
    removable: bool = True
    choices: tuple[str, ...] = ()


Spec = Mapping[str, Field]
Special = Callable[[Any, PatchOperation], Any]  # the changed record, or None when the path is not its


def operations(raw: list[dict[str, Any]] | None) -> list[PatchOperation]:
    ops = []
    for item in raw or []:
        op, path = item.get("op"), item.get("path")
        if op not in ALL_OPS:
            raise BadRequest(f"Invalid patch operation specified. Must be one of: [{', '.join(ALL_OPS)}]")
        if not path or not str(path).startswith("/"):
            raise BadRequest(f"Invalid patch path '{path or ''}' specified for op '{op}'")
        ops.append(PatchOperation(op, path, item.get("value"), item.get("from")))
    return ops


def apply(record: R, ops: list[PatchOperation], spec: Spec, special: Special | None = None) -> R:
    """`record` with `ops` applied; paths not in `spec` (and not taken by `special`) are refused."""
    for op in ops:
        if special is not None:
            changed = special(record, op)
            if changed is not None:
                record = changed
                continue
        if op.op not in OPS:
            raise BadRequest(f"Invalid patch operation specified. Must be 'add'|'remove'|'replace' for path {op.path}")
        segs = op.segments
        whole = spec.get(op.path)
        if whole is not None and whole.kind in SCALARS:
            record = _scalar(record, op, whole)
            continue
        parent = spec.get("/" + "/".join(escape(s) for s in segs[:-1]))
        if parent is not None and parent.kind in MEMBERS and len(segs) >= 2:
            record = _member(record, op, parent, segs[-1])
            continue
        if whole is not None and op.op == "remove":
            record = _clear(record, whole.key)
            continue
        raise BadRequest(
            f"Invalid patch path '{op.path}' specified for op '{op.op}'. Must be one of: [{', '.join(spec)}]"
        )
    return record


def convert(field: Field, path: str, value: str | None) -> Any:
    if value is None:
        raise BadRequest(f"Invalid null value for {path}")
    try:
        if field.kind in ("bool", "map_bool"):
            if value.lower() not in ("true", "false"):
                raise ValueError
            return value.lower() == "true"
        if field.kind == "int":
            return int(value)
        if field.kind == "float":
            return float(value)
    except ValueError:
        raise BadRequest(f"Invalid value '{value}' for {path}") from None
    if field.choices and value not in field.choices:
        raise BadRequest(f"Invalid value '{value}' for {path}. Must be one of: [{', '.join(field.choices)}]")
    return value


def get(record: Any, key: tuple[str, ...]) -> Any:
    """The value at `key` through nested records, None when a record on the way is unset."""
    for name in key:
        if record is None:
            return None
        record = getattr(record, name)
    return record


def put(record: R, key: tuple[str, ...], value: Any) -> R:
    """`record` with `value` at `key`, making the nested records on the way that are unset."""
    name = key[0]
    if len(key) == 1:
        return dataclasses.replace(record, **{name: value})  # type: ignore[type-var]
    child = getattr(record, name)
    if child is None:
        child = codec.field_class(type(record), name)()
    return dataclasses.replace(record, **{name: put(child, key[1:], value)})  # type: ignore[type-var]


def _clear(record: R, key: tuple[str, ...]) -> R:
    """`record` with the field at `key` back to its default; nothing changes when a record on the way is unset."""
    holder = get(record, key[:-1])
    if holder is None:
        return record
    return put(record, key, codec.default_of(type(holder), key[-1]))


def _scalar(record: R, op: PatchOperation, field: Field) -> R:
    if op.op == "remove":
        if not field.removable:
            raise BadRequest(f"Invalid patch path '{op.path}' specified for op 'remove'")
        return _clear(record, field.key)
    value = convert(field, op.path, op.value)
    return put(record, field.key, (value,) if field.kind == "single" else value)


def _member(record: R, op: PatchOperation, field: Field, name: str) -> R:
    current = get(record, field.key)
    if field.kind == "set":
        items = list(current or ())
        if op.op == "remove":
            if name not in items:
                raise BadRequest(f"Invalid patch path '{op.path}': {name} is not present")
            items.remove(name)
        elif op.op == "add":
            if name not in items:
                items.append(name)
        else:  # replace: the item named by the path becomes the value
            if name not in items or not op.value:
                raise BadRequest(f"Invalid patch path '{op.path}' specified for op 'replace'")
            items[items.index(name)] = op.value
        return put(record, field.key, tuple(items))
    if op.op == "remove":
        if not isinstance(current, dict):
            return record
        return put(record, field.key, {k: v for k, v in current.items() if k != name})
    value = convert(field, op.path, op.value) if field.kind == "map_bool" else (op.value or "")
    return put(record, field.key, {**(current or {}), name: value})
