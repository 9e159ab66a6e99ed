"""EventBridge event patterns: compile a pattern once, match it against many events (pure).

The language is AWS's (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html): a pattern is a JSON
object whose leaves are arrays of values, any one of which may match; every field named must match; `$or` takes
alternatives at any object level. A value is an exact string, number, boolean or null, or one of the operators
prefix, suffix, equals-ignore-case, anything-but (values, prefix, suffix, wildcard, equals-ignore-case), numeric,
exists, cidr and wildcard. An event's array matches when any of its elements does. Lambda's FilterCriteria use it
now; EventBridge's rules later.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Numeric matching takes JSON numbers between -5.0e9 and 5.0e9 inclusive
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-numeric-matching).
NUMERIC_LIMIT = 5.0e9
_LOWER = {">": lambda v, b: v > b, ">=": lambda v, b: v >= b}
_UPPER = {"<": lambda v, b: v < b, "<=": lambda v, b: v <= b}
_MISSING: Any = object()

Test = Callable[[Any], bool]


class InvalidEventPattern(ValueError):
    """A pattern that is not valid; the message says why (the caller maps it to its own AWS error)."""


@dataclass(frozen=True, slots=True)
class _Exists:
    present: bool


@dataclass(frozen=True, slots=True)
class _Leaf:
    """A field's array of values: it matches when any of its tests holds for any of the field's values."""

    tests: tuple[Test, ...]
    exists: tuple[_Exists, ...]

    def matches(self, value: Any) -> bool:
        values = list(_scalars(value))
        if any(e.present == bool(values) for e in self.exists):
            return True
        return any(test(v) for test in self.tests for v in values)


@dataclass(frozen=True, slots=True)
class _Object:
    """An object of the pattern: every field matches, and one alternative of each `$or`."""

    fields: tuple[tuple[str, _Leaf | _Object], ...]
    alternatives: tuple[tuple[_Object, ...], ...]

    def matches(self, value: Any) -> bool:
        if isinstance(value, list):
            objects = [v for v in value if isinstance(v, dict)]
            return any(self._matches_one(v) for v in objects) if objects else self._matches_one(None)
        return self._matches_one(value if isinstance(value, dict) else None)

    def _matches_one(self, event: Mapping[str, Any] | None) -> bool:
        for key, node in self.fields:
            if not node.matches(_MISSING if event is None else event.get(key, _MISSING)):
                return False
        return all(any(alt._matches_one(event) for alt in group) for group in self.alternatives)


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled event pattern."""

    root: _Object

    def matches(self, event: Mapping[str, Any]) -> bool:
        return self.root.matches(event)


def compile_pattern(text: str) -> Pattern:
    """The pattern `text` (JSON) compiled; InvalidEventPattern saying why when it is not a valid pattern."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise InvalidEventPattern(f"Filter is not valid JSON: {e}") from None
    if not isinstance(document, dict):
        raise InvalidEventPattern("Filter is not an object")
    return Pattern(_object(document))


def _scalars(value: Any) -> Iterator[Any]:
    """The leaf values of an event's field: arrays flattened, objects skipped, nothing when it is absent."""
    if value is _MISSING:
        return
    if isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    elif not isinstance(value, dict):
        yield value


def _object(document: Mapping[str, Any]) -> _Object:
    if not document:
        raise InvalidEventPattern("Empty objects are not allowed")
    fields: list[tuple[str, _Leaf | _Object]] = []
    alternatives: list[tuple[_Object, ...]] = []
    for key, value in document.items():
        if key == "$or":
            alternatives.append(_alternatives(value))
        elif isinstance(value, dict):
            fields.append((key, _object(value)))
        elif isinstance(value, list):
            fields.append((key, _leaf(key, value)))
        else:
            raise InvalidEventPattern(f'"{key}" must be an object or an array')
    return _Object(tuple(fields), tuple(alternatives))


def _alternatives(value: Any) -> tuple[_Object, ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise InvalidEventPattern("Value of $or must be an array of at least 2 objects")
    if not all(isinstance(item, dict) for item in value):
        raise InvalidEventPattern("Value of $or must be an array of objects")
    return tuple(_object(item) for item in value)


def _leaf(key: str, values: list[Any]) -> _Leaf:
    if not values:
        raise InvalidEventPattern(f'Empty arrays are not allowed: "{key}"')
    tests: list[Test] = []
    exists: list[_Exists] = []
    for item in values:
        if isinstance(item, dict):
            operator = _operator(item)
            (exists if isinstance(operator, _Exists) else tests).append(operator)  # type: ignore[arg-type]
        elif isinstance(item, list):
            raise InvalidEventPattern(f'Match value must be String, number, true, false, or null: "{key}"')
        else:
            tests.append(_exact(item))
    return _Leaf(tuple(tests), tuple(exists))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _exact(expected: Any) -> Test:
    if expected is None or isinstance(expected, bool):
        return lambda v: v is expected
    if _is_number(expected):
        return lambda v: _is_number(v) and float(v) == float(expected)
    return lambda v: isinstance(v, str) and v == expected


def _operator(item: Mapping[str, Any]) -> Test | _Exists:
    if len(item) != 1:
        raise InvalidEventPattern("Only one key allowed in match expression")
    ((name, argument),) = item.items()
    match name:
        case "exists":
            if not isinstance(argument, bool):
                raise InvalidEventPattern("exists match pattern must be either true or false.")
            return _Exists(argument)
        case "prefix" | "suffix":
            text, ignore_case = _affix_argument(name, argument)
            return _affix(name, text, ignore_case)
        case "equals-ignore-case":
            folded = _string(name, argument).lower()
            return lambda v: isinstance(v, str) and v.lower() == folded
        case "wildcard":
            whole = _matcher(_wildcard(_string(name, argument)))
            return lambda v: isinstance(v, str) and whole(v)
        case "anything-but":
            return _anything_but(argument)
        case "numeric":
            return _numeric(argument)
        case "cidr":
            return _cidr(argument)
    raise InvalidEventPattern(f"Unrecognized match type {name}")


def _string(name: str, argument: Any) -> str:
    if not isinstance(argument, str):
        raise InvalidEventPattern(f"{name} match pattern must be a string.")
    return argument


def _affix_argument(name: str, argument: Any) -> tuple[str, bool]:
    if isinstance(argument, dict):
        if list(argument) != ["equals-ignore-case"]:
            raise InvalidEventPattern(f"Unsupported {name} pattern: {json.dumps(argument)}")
        return _string(name, argument["equals-ignore-case"]), True
    return _string(name, argument), False


def _affix(name: str, text: str, ignore_case: bool) -> Test:
    wanted = text.lower() if ignore_case else text
    if name == "prefix":
        if ignore_case:
            return lambda v: isinstance(v, str) and v.lower().startswith(wanted)
        return lambda v: isinstance(v, str) and v.startswith(wanted)
    if ignore_case:
        return lambda v: isinstance(v, str) and v.lower().endswith(wanted)
    return lambda v: isinstance(v, str) and v.endswith(wanted)


def _wildcard(text: str) -> re.Pattern[str]:
    """A wildcard pattern: `*` any run of characters, `\\*` a star, `\\\\` a backslash; `**` is refused."""
    parts: list[str] = []
    i, previous_star = 0, False
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "*\\":
                raise InvalidEventPattern(f"Invalid escape character at pos {i}")
            parts.append(re.escape(text[i + 1]))
            i, previous_star = i + 2, False
            continue
        if char == "*":
            if previous_star:
                raise InvalidEventPattern(f"Consecutive wildcard characters at pos {i}")
            parts.append(".*")
            previous_star = True
        else:
            parts.append(re.escape(char))
            previous_star = False
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _matcher(regex: re.Pattern[str]) -> Test:
    return lambda v: regex.fullmatch(v) is not None


def _strings(name: str, argument: Any) -> list[str]:
    items = argument if isinstance(argument, list) else [argument]
    if not items or not all(isinstance(item, str) for item in items):
        raise InvalidEventPattern(f"Value of {name} must be a string or a non-empty array of strings.")
    return items


def _anything_but(argument: Any) -> Test:
    if isinstance(argument, dict):
        if len(argument) != 1:
            raise InvalidEventPattern("Only one key allowed in match expression")
        ((name, inner),) = argument.items()
        if name in ("prefix", "suffix"):
            tests = [_affix(name, text, False) for text in _strings(name, inner)]
        elif name == "equals-ignore-case":
            folded = {text.lower() for text in _strings(name, inner)}
            return lambda v: isinstance(v, str) and v.lower() not in folded
        elif name == "wildcard":
            tests = [_matcher(_wildcard(text)) for text in _strings(name, inner)]
        else:
            raise InvalidEventPattern(f"Unsupported anything-but pattern: {name}")
        # The operator names a string form: values of another type are not what it excludes, and are not matched.
        return lambda v: isinstance(v, str) and not any(test(v) for test in tests)
    items = argument if isinstance(argument, list) else [argument]
    if not items:
        raise InvalidEventPattern("Value of anything-but must be an array or single string/number value.")
    for item in items:
        if item is None or isinstance(item, bool | dict | list):
            raise InvalidEventPattern("Inside anything but list, start|null|boolean is not supported.")
    excluded = [_exact(item) for item in items]
    return lambda v: not any(test(v) for test in excluded)


def _number(argument: Any) -> float:
    if not _is_number(argument):
        raise InvalidEventPattern(f"Value of numeric match must be numeric: {json.dumps(argument)}")
    if not -NUMERIC_LIMIT <= argument <= NUMERIC_LIMIT:
        raise InvalidEventPattern("Value of numeric match must be between -5.0E9 and 5.0E9 inclusive")
    return float(argument)


def _numeric(argument: Any) -> Test:
    if not isinstance(argument, list) or not argument:
        raise InvalidEventPattern("Value of numeric must be an array.")
    if len(argument) % 2 or len(argument) > 4:
        raise InvalidEventPattern("Too many elements in numeric expression")
    if argument[0] == "=":
        if len(argument) != 2:
            raise InvalidEventPattern("Too many elements in numeric expression")
        wanted = _number(argument[1])
        return lambda v: _is_number(v) and float(v) == wanted
    conditions: list[tuple[Callable[[float, float], bool], float]] = []
    for position in range(0, len(argument), 2):
        op, bound = argument[position], _number(argument[position + 1])
        # A lower bound may come first; an upper bound first or after a lower one.
        table = _LOWER if position == 0 and op in _LOWER else _UPPER
        if op not in table or (position == 2 and argument[0] not in _LOWER):
            raise InvalidEventPattern(f"Invalid member in numeric match: {json.dumps(op)}")
        conditions.append((table[op], bound))
    if len(conditions) == 2 and conditions[0][1] >= conditions[1][1]:
        raise InvalidEventPattern("Bottom must be less than top")
    return lambda v: _is_number(v) and all(test(float(v), bound) for test, bound in conditions)


def _cidr(argument: Any) -> Test:
    if not isinstance(argument, str):
        raise InvalidEventPattern("cidr match pattern must be a string.")
    try:
        network = ipaddress.ip_network(argument, strict=False)
    except ValueError:
        raise InvalidEventPattern(f"Nonstandard IP address: {argument}") from None

    def test(v: Any) -> bool:
        if not isinstance(v, str):
            return False
        try:
            return ipaddress.ip_address(v) in network
        except ValueError:
            return False

    return test
