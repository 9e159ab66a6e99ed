"""Intrinsic functions (States.Format, States.Array, ...): their small parser and evaluation.

https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
Arguments are string literals ('...', with \\' \\{ \\} \\\\ escapes), numbers, booleans, null,
paths ($..., $$..., $variable...) or nested calls. Failures raise IntrinsicFailure, which the
interpreter turns into States.IntrinsicFailure (or States.Runtime for missing paths).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overcast.workflows.asl.paths import Env, NoMatch, UndefinedVariable, compile_path, select


class IntrinsicError(ValueError):
    """The text is not a well-formed intrinsic function call."""


class IntrinsicFailure(Exception):
    """An intrinsic function failed while evaluating (States.IntrinsicFailure)."""


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Any, ...]  # Literal | PathArg | Call


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any


@dataclass(frozen=True, slots=True)
class PathArg:
    text: str


@functools.lru_cache(maxsize=2048)
def parse_intrinsic(text: str) -> Call:
    parser = _Parser(text)
    call = parser.call()
    parser.skip_space()
    if parser.pos != len(text):
        raise IntrinsicError(f"unexpected text at position {parser.pos}")
    return call


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self) -> Call:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "._"):
            self.pos += 1
        name = self.text[start : self.pos]
        if name not in FUNCTIONS:
            raise IntrinsicError(f"unknown function '{name}'")
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] != "(":
            raise IntrinsicError(f"expected '(' after {name}")
        self.pos += 1
        args: list[Any] = []
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] == ")":
            self.pos += 1
            return Call(name, ())
        while True:
            args.append(self.argument())
            self.skip_space()
            if self.pos >= len(self.text):
                raise IntrinsicError("unterminated argument list")
            char = self.text[self.pos]
            self.pos += 1
            if char == ")":
                return Call(name, tuple(args))
            if char != ",":
                raise IntrinsicError(f"unexpected '{char}'")

    def argument(self) -> Any:
        self.skip_space()
        text = self.text
        if self.pos >= len(text):
            raise IntrinsicError("missing argument")
        char = text[self.pos]
        if char == "'":
            return Literal(self.string())
        if char == "$":
            start = self.pos
            depth = 0
            quote = False
            while self.pos < len(text):
                c = text[self.pos]
                if quote:
                    if c == "\\":
                        self.pos += 1
                    elif c == "'":
                        quote = False
                elif c == "'":
                    quote = True
                elif c in "[(":
                    depth += 1
                elif c in "])":
                    if depth == 0:
                        break
                    depth -= 1
                elif c == "," and depth == 0:
                    break
                self.pos += 1
            path = text[start : self.pos].strip()
            try:
                compile_path(path)
            except ValueError as exc:
                raise IntrinsicError(str(exc)) from None
            return PathArg(path)
        if text.startswith("States.", self.pos):
            return self.call()
        start = self.pos
        while self.pos < len(text) and text[self.pos] not in ",)":
            self.pos += 1
        token = text[start : self.pos].strip()
        if token in ("true", "false"):
            return Literal(token == "true")
        if token == "null":
            return Literal(None)
        try:
            number = json.loads(token)
        except ValueError:
            raise IntrinsicError(f"invalid argument '{token}'") from None
        if not isinstance(number, (int, float)):
            raise IntrinsicError(f"invalid argument '{token}'")
        return Literal(number)

    def string(self) -> str:
        self.pos += 1
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c == "\\" and self.pos + 1 < len(text):
                escaped = text[self.pos + 1]
                out.append(_ESCAPED.get(escaped, escaped))
                self.pos += 2
                continue
            if c == "'":
                self.pos += 1
                return "".join(out)
            out.append(c)
            self.pos += 1
        raise IntrinsicError("unterminated string literal")


# Escaped braces stay distinct from States.Format's {} placeholders until formatting is done.
_ESCAPED = {"{": "\ue000", "}": "\ue001"}
_UNESCAPE = str.maketrans({"\ue000": "{", "\ue001": "}"})


def evaluate_intrinsic(text: str, data: Any, env: Env) -> Any:
    try:
        call = parse_intrinsic(text)
    except IntrinsicError as exc:
        raise IntrinsicFailure(f"Invalid intrinsic function call '{text}': {exc}") from None
    return _evaluate(call, data, env)


def _evaluate(node: Any, data: Any, env: Env) -> Any:
    if isinstance(node, Literal):
        return node.value.translate(_UNESCAPE) if isinstance(node.value, str) else node.value
    if isinstance(node, PathArg):
        return select(node.text, data, env)  # NoMatch / UndefinedVariable go up
    args = [_evaluate(arg, data, env) for arg in node.args]
    if node.name == "States.Format" and node.args and isinstance(node.args[0], Literal):
        args[0] = node.args[0].value  # keeps escaped braces apart from placeholders
    function, arity = FUNCTIONS[node.name]
    low, high = arity
    if len(args) < low or (high is not None and len(args) > high):
        raise IntrinsicFailure(
            f"The function '{node.name}' takes {_count(low, high)} argument(s) but {len(args)} "
            "were given."
        )
    result: Any = function(env, *args)
    return result


def _count(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low}"
    return str(low) if low == high else f"{low} to {high}"


# -- the functions ------------------------------------------------------------------------


def java_text(value: Any) -> str:
    """How States.Format renders a value: strings raw, objects as Java maps ({a=1, b=[]})."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_text(v) for v in value) + "]"
    return str(value)


def _format(env: Env, template: Any, *args: Any) -> str:
    if not isinstance(template, str):
        raise IntrinsicFailure("The first argument of States.Format must be a string.")
    out: list[str] = []
    i = n = 0
    while i < len(template):
        if template.startswith("{}", i):
            if n >= len(args):
                raise IntrinsicFailure(
                    "Number of arguments in States.Format do not match the occurrences of {}"
                )
            out.append(java_text(args[n]))
            n += 1
            i += 2
            continue
        out.append(template[i])
        i += 1
    if n != len(args):
        raise IntrinsicFailure("Number of arguments in States.Format do not match the occurrences of {}")
    return "".join(out).translate(_UNESCAPE)


def _string_to_json(env: Env, text: Any) -> Any:
    if not isinstance(text, str):
        raise IntrinsicFailure("The argument of States.StringToJson must be a string.")
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        raise IntrinsicFailure(f"Unable to parse '{text}' as JSON.") from None


def _json_to_string(env: Env, value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _array(env: Env, *values: Any) -> list[Any]:
    return list(values)


def _int_arg(name: str, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise IntrinsicFailure(f"The {what} argument of {name} must be an integer.")
    if isinstance(value, float):
        if not value.is_integer():
            raise IntrinsicFailure(f"The {what} argument of {name} must be an integer.")
        value = int(value)
    return value


def _list_arg(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise IntrinsicFailure(f"The first argument of {name} must be an array.")
    return value


def _array_partition(env: Env, array: Any, size: Any) -> list[list[Any]]:
    items = _list_arg("States.ArrayPartition", array)
    chunk = _int_arg("States.ArrayPartition", size, "second")
    if chunk <= 0:
        raise IntrinsicFailure("The chunk size of States.ArrayPartition must be greater than 0.")
    return [items[i : i + chunk] for i in range(0, len(items), chunk)]


def _array_contains(env: Env, array: Any, value: Any) -> bool:
    return any(_json_equal(item, value) for item in _list_arg("States.ArrayContains", array))


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _array_range(env: Env, start: Any, end: Any, step: Any) -> list[int]:
    # AWS rounds non-integer bounds and steps to the nearest integer, as for States.MathAdd:
    # https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-arrays
    first = _rounded("States.ArrayRange", start, "first")
    last = _rounded("States.ArrayRange", end, "second")
    delta = _rounded("States.ArrayRange", step, "third")
    if delta == 0:
        raise IntrinsicFailure("The step of States.ArrayRange must not be 0.")
    count = max(0, (last - first) // delta + 1)
    if count > _RANGE_MAX:
        raise IntrinsicFailure(f"States.ArrayRange can produce at most {_RANGE_MAX} elements.")
    return list(range(first, last + (1 if delta > 0 else -1), delta))


_RANGE_MAX = 1000


def _array_get_item(env: Env, array: Any, index: Any) -> Any:
    items = _list_arg("States.ArrayGetItem", array)
    position = _int_arg("States.ArrayGetItem", index, "second")
    if position < 0 or position >= len(items):
        raise IntrinsicFailure(f"Index {position} is out of bounds for an array of {len(items)}.")
    return items[position]


def _array_length(env: Env, array: Any) -> int:
    return len(_list_arg("States.ArrayLength", array))


def _array_unique(env: Env, array: Any) -> list[Any]:
    out: list[Any] = []
    seen: set[str] = set()
    for item in _list_arg("States.ArrayUnique", array):
        fingerprint = json.dumps(item, sort_keys=True) + type(item).__name__
        if fingerprint not in seen:
            seen.add(fingerprint)
            out.append(item)
    return out


_BASE64_MAX = 10_000


def _base64_encode(env: Env, text: Any) -> str:
    if not isinstance(text, str):
        raise IntrinsicFailure("The argument of States.Base64Encode must be a string.")
    if len(text) > _BASE64_MAX:
        raise IntrinsicFailure("The input of States.Base64Encode exceeds 10000 characters.")
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _base64_decode(env: Env, text: Any) -> str:
    if not isinstance(text, str):
        raise IntrinsicFailure("The argument of States.Base64Decode must be a string.")
    if len(text) > _BASE64_MAX:
        raise IntrinsicFailure("The input of States.Base64Decode exceeds 10000 characters.")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, UnicodeError):
        raise IntrinsicFailure(f"Unable to decode '{text}' as base64.") from None


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(env: Env, data: Any, algorithm: Any) -> str:
    if algorithm not in _HASHES:
        raise IntrinsicFailure(
            f"The hash algorithm '{algorithm}' is not supported. Supported algorithms: "
            "MD5, SHA-1, SHA-256, SHA-384, SHA-512"
        )
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    if len(text) > _BASE64_MAX:
        raise IntrinsicFailure("The input of States.Hash exceeds 10000 characters.")
    return hashlib.new(_HASHES[algorithm], text.encode("utf-8")).hexdigest()


def _json_merge(env: Env, left: Any, right: Any, deep: Any) -> dict[str, Any]:
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise IntrinsicFailure("The arguments of States.JsonMerge must be JSON objects.")
    if deep is not False:
        raise IntrinsicFailure("States.JsonMerge supports only shallow merging (false).")
    return {**left, **right}


def _math_random(env: Env, start: Any, end: Any, seed: Any = None) -> int:
    # https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-math-operation
    # The start is inclusive and the end exclusive; non-integer bounds are rounded to the nearest
    # integer, and a seed makes the number repeatable (the service is Java: java.util.Random).
    low = _rounded("States.MathRandom", start, "first")
    high = _rounded("States.MathRandom", end, "second")
    if high <= low:
        raise IntrinsicFailure("The end of States.MathRandom must be greater than its start.")
    if seed is not None:
        return low + JavaRandom(_rounded("States.MathRandom", seed, "third")).next_int(high - low)
    return low + min(high - low - 1, math.floor(env.random() * (high - low)))


class JavaRandom:
    """java.util.Random's 48-bit linear congruential generator, for seeded States.MathRandom."""

    _MULTIPLIER = 0x5DEECE66D
    _MASK = (1 << 48) - 1

    def __init__(self, seed: int) -> None:
        self._seed = (seed ^ self._MULTIPLIER) & self._MASK

    def _next(self, bits: int) -> int:
        self._seed = (self._seed * self._MULTIPLIER + 0xB) & self._MASK
        value = self._seed >> (48 - bits)
        return value - (1 << 32) if value >= 1 << 31 else value  # Java's (int) cast

    def next_int(self, bound: int) -> int:
        if bound <= 0 or bound >= 1 << 31:
            # Java's nextInt(int) takes a positive int bound; wider ranges draw from nextLong.
            return int(self._next_long() % bound) if bound > 0 else 0
        if bound & -bound == bound:
            return (bound * self._next(31)) >> 31
        while True:
            bits = self._next(31)
            value = bits % bound
            if bits - value + (bound - 1) < 1 << 31:
                return value

    def _next_long(self) -> int:
        return ((self._next(32) << 32) + self._next(32)) & ((1 << 63) - 1)  # Math.abs-free draw


def _math_add(env: Env, left: Any, right: Any) -> int:
    # "If you specify a non-integer value for one or both the arguments, Step Functions will round
    # it off to the nearest integer" (half up, as Java's Math.round):
    # https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-math-operation
    return _rounded("States.MathAdd", left, "first") + _rounded("States.MathAdd", right, "second")


def _rounded(name: str, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise IntrinsicFailure(f"The {what} argument of {name} must be a number.")
    if isinstance(value, int):
        return value
    if not math.isfinite(value):
        raise IntrinsicFailure(f"The {what} argument of {name} must be a number.")
    return math.floor(value + 0.5) if not value.is_integer() else int(value)


def _string_split(env: Env, text: Any, delimiters: Any) -> list[str]:
    if not isinstance(text, str) or not isinstance(delimiters, str):
        raise IntrinsicFailure("The arguments of States.StringSplit must be strings.")
    parts: list[str] = []
    current: list[str] = []
    for char in text:
        if char in delimiters:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part]


def _uuid(env: Env) -> str:
    return env.uuid()


FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[int, int | None]]] = {
    "States.Format": (_format, (1, None)),
    "States.StringToJson": (_string_to_json, (1, 1)),
    "States.JsonToString": (_json_to_string, (1, 1)),
    "States.Array": (_array, (0, None)),
    "States.ArrayPartition": (_array_partition, (2, 2)),
    "States.ArrayContains": (_array_contains, (2, 2)),
    "States.ArrayRange": (_array_range, (3, 3)),
    "States.ArrayGetItem": (_array_get_item, (2, 2)),
    "States.ArrayLength": (_array_length, (1, 1)),
    "States.ArrayUnique": (_array_unique, (1, 1)),
    "States.Base64Encode": (_base64_encode, (1, 1)),
    "States.Base64Decode": (_base64_decode, (1, 1)),
    "States.Hash": (_hash, (2, 2)),
    "States.JsonMerge": (_json_merge, (3, 3)),
    "States.MathRandom": (_math_random, (2, 3)),
    "States.MathAdd": (_math_add, (2, 2)),
    "States.StringSplit": (_string_split, (2, 2)),
    "States.UUID": (_uuid, (0, 0)),
}

__all__ = [
    "FUNCTIONS",
    "IntrinsicError",
    "IntrinsicFailure",
    "NoMatch",
    "UndefinedVariable",
    "evaluate_intrinsic",
    "parse_intrinsic",
]
