"""Hypothesis strategies producing valid parameters for any botocore shape (inputs and outputs).

`value_for_shape(shape)` generates what `boto3.client(...).<op>(**params)` accepts (or what a
botocore client parser returns for an output shape), respecting the model's constraints:
`required`, `enum`, string length `min`/`max`, numeric `min`/`max`, list `min`/`max`, tagged
unions (exactly one member), documents (plain JSON values).

What it deliberately does not generate, so that every value can cross the wire and come back:
- members marked `eventstream` (event streams need a live connection, not one body);
- `pattern` is not honoured (botocore patterns are Java regexes; the parser does not check them),
  except that host labels (`hostLabel`) use [A-Za-z0-9-] since the client refuses anything else;
- NaN (never equal to itself) and +-Infinity floats; `float` shapes get 32-bit floats, since the
  CBOR protocol writes them as single precision;
- timestamps outside 1971-2100, or with sub-millisecond precision; timestamps sent in HTTP headers
  are whole seconds (botocore writes headers at second precision);
- strings in headers are printable ASCII without surrounding spaces, header-map keys lower case
  (HTTP header names are case-insensitive), URI labels non-empty;
- query-string map keys never equal a sibling query-string member's name;
- required lists and maps in the query string or headers are never empty (nothing is sent then).
Collections are kept small (0-3 items unless `min` asks for more) and nesting is depth-limited:
past MAX_DEPTH only required members are generated.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from hypothesis import strategies as st

MAX_DEPTH = 4
MAX_ITEMS = 3
MAX_STRING = 12

_EPOCH_MIN = datetime(1971, 1, 1, tzinfo=UTC)
_SECONDS_SPAN = int((datetime(2100, 1, 1, tzinfo=UTC) - _EPOCH_MIN).total_seconds())

_HEADER_CHARS = string.ascii_letters + string.digits + " !#$%&'()*+-./:;<=>?@[]^_`{|}~,\""
_HOST_LABEL_CHARS = string.ascii_letters + string.digits + "-"
_HEADER_KEY_CHARS = string.ascii_lowercase + string.digits + "-"
_TEXT_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(_TEXT_CHARS, max_size=MAX_STRING)
)
json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=MAX_ITEMS)
        | st.dictionaries(st.text(_TEXT_CHARS, max_size=MAX_STRING), inner, max_size=MAX_ITEMS)
    ),
    max_leaves=8,
)
"""Plain JSON values, as a `document` member carries."""

_cache: dict[tuple[Any, ...], st.SearchStrategy[Any]] = {}


def _limits(shape: Shape, low: int, high: int) -> tuple[int, int]:
    lo = shape.metadata.get("min", low)
    hi = shape.metadata.get("max", high)
    return int(max(lo, low)), int(min(hi, high))


def _text(shape: Shape, location: str | None) -> st.SearchStrategy[str]:
    lo, hi = _limits(shape, 0, 2**31)
    hi = min(hi, max(lo, MAX_STRING))
    if shape.serialization.get("hostLabel"):
        return st.text(_HOST_LABEL_CHARS, min_size=max(lo, 1), max_size=max(hi, 1))
    if location in ("header", "headers"):
        inner = st.text(_HEADER_CHARS, min_size=max(lo, 1), max_size=max(hi, 1))
        return inner.map(str.strip).filter(lambda s: len(s) >= max(lo, 1))
    if location == "uri":
        lo = max(lo, 1)
        hi = max(hi, lo)
    return st.text(_TEXT_CHARS, min_size=lo, max_size=hi)


def _timestamp(location: str | None, shape: Shape) -> st.SearchStrategy[datetime]:
    whole_seconds = location in ("header", "headers") or shape.serialization.get("timestampFormat") == "rfc822"
    millis = st.just(0) if whole_seconds else st.sampled_from([0, 0, 1, 123, 500, 999]) | st.integers(0, 999)
    return st.builds(
        lambda s, ms: _EPOCH_MIN + timedelta(seconds=s, milliseconds=ms),
        st.integers(0, _SECONDS_SPAN),
        millis,
    )


def _number_bounds(shape: Shape, low: float, high: float) -> tuple[Any, Any]:
    lo = shape.metadata.get("min", low)
    hi = shape.metadata.get("max", high)
    return max(lo, low), min(hi, high)


def _key(shape: Shape, depth: int, location: str | None, avoid: frozenset[str]) -> tuple[Any, ...]:
    # Shape names repeat across services: the resolver (one per loaded service model) tells them apart.
    return (
        id(getattr(shape, "_shape_resolver", None)),
        shape.name,
        shape.type_name,
        depth,
        location,
        avoid,
        repr(sorted(shape.serialization.items())),
        repr(sorted((k, v) for k, v in shape.metadata.items() if k != "documentation")),
    )


def value_for_shape(
    shape: Shape, *, depth: int = 0, location: str | None = None, avoid_keys: frozenset[str] = frozenset()
) -> st.SearchStrategy[Any]:
    """A strategy of valid values for `shape` (see the module docstring for what is left out).

    `location` is where the value travels in a REST request or response (`uri`, `querystring`,
    `header`, `headers`, or None for a body); structures work it out for their members.
    """
    key = _key(shape, depth, location, avoid_keys)
    cached = _cache.get(key)
    if cached is None:
        cached = _build(shape, depth, location, avoid_keys)
        _cache[key] = cached
    return cached


def _build(shape: Shape, depth: int, location: str | None, avoid_keys: frozenset[str]) -> st.SearchStrategy[Any]:
    if depth > 3 * MAX_DEPTH:
        raise RecursionError(f"shape {shape.name} requires itself: no finite value exists")
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if shape.is_document_type:
            return json_values.filter(lambda v: v is not None)
        return _structure(shape, depth)
    if kind == "list":
        assert isinstance(shape, ListShape)
        lo, hi = _limits(shape, 0, 2**31)
        if depth >= MAX_DEPTH:
            hi = lo
        if hi == 0:
            return st.just([])
        return st.lists(
            value_for_shape(shape.member, depth=depth + 1, location=location),
            min_size=lo,
            max_size=max(lo, min(hi, MAX_ITEMS)),
        )
    if kind == "map":
        assert isinstance(shape, MapShape)
        lo, hi = _limits(shape, 0, 2**31)
        if depth >= MAX_DEPTH:
            hi = lo
        if hi == 0:
            return st.just({})
        if location == "headers":
            keys: st.SearchStrategy[str] = st.text(_HEADER_KEY_CHARS, min_size=1, max_size=MAX_STRING)
        else:
            keys = value_for_shape(shape.key, depth=depth + 1, location="uri" if location else None)
        if avoid_keys:
            keys = keys.filter(lambda k: k not in avoid_keys)
        return st.dictionaries(
            keys,
            value_for_shape(shape.value, depth=depth + 1, location=location),
            min_size=lo,
            max_size=max(lo, min(hi, MAX_ITEMS)),
        )
    if kind == "string":
        if shape.serialization.get("jsonvalue"):
            return st.dictionaries(st.text(string.ascii_letters, max_size=6), json_values, max_size=MAX_ITEMS)
        enum = shape.metadata.get("enum")
        if enum:
            return st.sampled_from(list(enum))
        return _text(shape, location)
    if kind in ("integer", "long"):
        width = 31 if kind == "integer" else 63
        lo, hi = _number_bounds(shape, -(2**width), 2**width - 1)
        return st.integers(int(lo), int(hi))
    if kind in ("float", "double"):
        lo, hi = _number_bounds(shape, float("-inf"), float("inf"))
        return st.floats(
            min_value=None if lo == float("-inf") else float(lo),
            max_value=None if hi == float("inf") else float(hi),
            allow_nan=False,
            allow_infinity=False,
            width=32 if kind == "float" else 64,
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        lo, hi = _limits(shape, 0, 2**31)
        return st.binary(min_size=lo, max_size=max(lo, min(hi, 16)))
    if kind == "timestamp":
        return _timestamp(location, shape)
    raise NotImplementedError(f"no strategy for shape type {kind!r}")


def _structure(shape: StructureShape, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    members = {name: member for name, member in shape.members.items() if not member.serialization.get("eventstream")}
    querystring_names = frozenset(
        member.serialization.get("name", name)
        for name, member in members.items()
        if member.serialization.get("location") == "querystring" and member.type_name != "map"
    )

    def member_strategy(name: str, member: Shape) -> st.SearchStrategy[Any]:
        location = member.serialization.get("location")
        avoid = querystring_names if location == "querystring" and member.type_name == "map" else frozenset()
        strategy = value_for_shape(member, depth=depth + 1, location=location, avoid_keys=avoid)
        if location in ("querystring", "header", "headers") and name in shape.required_members:
            strategy = strategy.filter(lambda v: v != [] and v != {})  # an empty one is never sent
        return strategy

    if shape.is_tagged_union:
        return st.one_of(
            [member_strategy(name, member).map(lambda v, n=name: {n: v}) for name, member in members.items()]
        )
    required = [name for name in shape.required_members if name in members]
    optional = [name for name in members if name not in required] if depth < MAX_DEPTH else []
    return st.fixed_dictionaries(
        {name: member_strategy(name, members[name]) for name in required},
        optional={name: member_strategy(name, members[name]) for name in optional},
    )
