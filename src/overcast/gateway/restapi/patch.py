"""Patch operations (`op`, `path`, `value`) as API Gateway applies them to its documents.

Every Update* call of API Gateway takes a list of patch operations on paths of the updated
object; which paths exist and what their values mean is per object, so each object declares a
`Spec` (path -> Field) and `apply` does the rest. Operations apply in order to a copy the caller
owns; the first bad one raises BadRequest before anything is stored.
https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from overcast.errors import BadRequest

OPS = ("add", "remove", "replace", "move", "copy", "test")


@dataclass(frozen=True, slots=True)
class PatchOperation:
    op: str
    path: str
    value: str | None = None
    from_: str | None = None

    @property
    def segments(self) -> list[str]:
        """The path's segments, `~1` and `~0` unescaped (JSON Pointer)."""
        return [s.replace("~1", "/").replace("~0", "~") for s in self.path.split("/")[1:]]


@dataclass(frozen=True, slots=True)
class Field:
    """Where a patch path lands in the document and what its value is.

    kind: "str", "bool", "int", "float" (scalars at `key`); "map" / "map_bool" (the path's last
    segment is a key of the map at `key`); "set" (the path's last segment is an item of the list).
    """

    key: tuple[str, ...]
    kind: str = "str"
    removable: bool = True
    choices: tuple[str, ...] = ()


Spec = Mapping[str, Field]
Special = Callable[[dict[str, Any], PatchOperation], bool]


def operations(raw: list[dict[str, Any]] | None) -> list[PatchOperation]:
    ops = []
    for item in raw or []:
        op, path = item.get("op"), item.get("path")
        if op not in OPS:
            raise BadRequest(f"Invalid patch operation specified. Must be one of: [{', '.join(OPS)}]")
        if not path or not str(path).startswith("/"):
            raise BadRequest(f"Invalid patch path '{path or ''}' specified for op '{op}'")
        ops.append(PatchOperation(op, path, item.get("value"), item.get("from")))
    return ops


def apply(doc: dict[str, Any], ops: list[PatchOperation], spec: Spec, special: Special | None = None) -> None:
    """Apply `ops` to `doc` in place; paths not in `spec` (and not taken by `special`) are refused."""
    for op in ops:
        if special is not None and special(doc, op):
            continue
        if op.op not in ("add", "remove", "replace"):
            raise BadRequest(f"Invalid patch operation specified. Must be 'add'|'remove'|'replace' for path {op.path}")
        segs = op.segments
        whole = spec.get(op.path)
        if whole is not None and whole.kind in ("str", "bool", "int", "float"):
            _scalar(doc, op, whole)
            continue
        parent = spec.get("/" + "/".join(s.replace("~", "~0").replace("/", "~1") for s in segs[:-1]))
        if parent is not None and parent.kind in ("map", "map_bool", "set") and len(segs) >= 2:
            _member(doc, op, parent, segs[-1])
            continue
        if whole is not None and whole.kind in ("map", "map_bool", "set") and op.op == "remove":
            _pop(doc, whole.key)
            continue
        raise BadRequest(
            f"Invalid patch path '{op.path}' specified for op '{op.op}'. Must be one of: [{', '.join(spec)}]"
        )


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


def _container(doc: dict[str, Any], key: tuple[str, ...], create: bool) -> dict[str, Any] | None:
    node: dict[str, Any] | None = doc
    for part in key[:-1]:
        assert node is not None
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            if not create:
                return None
            nxt = node[part] = {}
        node = nxt
    return node


def _pop(doc: dict[str, Any], key: tuple[str, ...]) -> None:
    node = _container(doc, key, create=False)
    if node is not None:
        node.pop(key[-1], None)


def _scalar(doc: dict[str, Any], op: PatchOperation, field: Field) -> None:
    if op.op == "remove":
        if not field.removable:
            raise BadRequest(f"Invalid patch path '{op.path}' specified for op 'remove'")
        _pop(doc, field.key)
        return
    node = _container(doc, field.key, create=True)
    assert node is not None
    node[field.key[-1]] = convert(field, op.path, op.value)


def _member(doc: dict[str, Any], op: PatchOperation, field: Field, name: str) -> None:
    node = _container(doc, field.key, create=op.op != "remove")
    if field.kind == "set":
        items: list[str] = list(node.get(field.key[-1]) or []) if node is not None else []
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
        if node is not None:
            node[field.key[-1]] = items
        return
    if op.op == "remove":
        if node is not None and isinstance(node.get(field.key[-1]), dict):
            node[field.key[-1]].pop(name, None)
        return
    assert node is not None
    members = node.setdefault(field.key[-1], {})
    members[name] = convert(field, op.path, op.value) if field.kind == "map_bool" else (op.value or "")
