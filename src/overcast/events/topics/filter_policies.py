"""SNS subscription filter policies, pure: `compile_policy(text, scope)` once, then `FilterPolicy.matches(...)`.

The language (https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html and the
pages under it): each key of the policy names a message attribute (scope MessageAttributes) or a
property of the JSON message body, nested as the body is (scope MessageBody); its value is an array
of conditions, any of which may match: exact strings and numbers (and true/false/null in the body),
`prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a value, a list, or a prefix or suffix),
`numeric` comparisons and ranges, `exists`, `cidr`; `$or` joins alternative policies. Every key must
match. Constraints (https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html):
at most 5 keys, at most 150 combinations of values (the product of the arrays' lengths, summed over
`$or`'s alternatives), numbers within +-10^9 compared to five decimals, at most 256 KB, and attribute
policies are not nested. A message attribute is compared as its type says: String as a string,
Number as a number, String.Array as each element of its JSON array; Binary never matches a value.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ATTRIBUTES, BODY = "MessageAttributes", "MessageBody"
MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_BYTES = 256 * 1024
NUMERIC_LIMIT = 1e9
_ABSENT: tuple[Any, ...] = ()
_OPERATORS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class InvalidFilterPolicy(ValueError):
    """A policy SNS refuses; the message is SNS's reason (the caller words the AWS error around it)."""


Values = tuple[Any, ...] | None  # a key's values in a message (several for an array), None when absent
Test = Callable[[Values], bool]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _rounded(value: float) -> float:
    return round(float(value), 5)


@dataclass(frozen=True, slots=True)
class FilterPolicy:
    """A compiled policy: alternatives (from `$or`), each a set of keys that must all match."""

    scope: str
    alternatives: tuple[tuple[tuple[tuple[str, ...], tuple[Test, ...]], ...], ...]

    def matches_attributes(self, attributes: Mapping[str, tuple[str, str | bytes]]) -> bool:
        """`attributes`: name -> (DataType, value) as published."""
        return self._matches(lambda path: _attribute_values(attributes, path))

    def matches_body(self, message: str) -> bool:
        try:
            body = json.loads(message)
        except ValueError:
            return False
        if not isinstance(body, dict):
            return False
        return self._matches(lambda path: _body_values(body, path))

    def matches(self, message: str, attributes: Mapping[str, tuple[str, str | bytes]]) -> bool:
        return self.matches_body(message) if self.scope == BODY else self.matches_attributes(attributes)

    def _matches(self, lookup: Callable[[tuple[str, ...]], Values]) -> bool:
        return any(all(any(t(lookup(path)) for t in tests) for path, tests in keys) for keys in self.alternatives)


def _attribute_values(attributes: Mapping[str, tuple[str, str | bytes]], path: tuple[str, ...]) -> Values:
    found = attributes.get(path[0])
    if found is None:
        return None
    data_type, value = found
    base = data_type.split(".", 1)[0] if data_type != "String.Array" else "String.Array"
    if base == "Binary" or isinstance(value, bytes):
        return _ABSENT  # present, but no value a policy compares
    if base == "Number":
        try:
            return (float(value),)
        except ValueError:
            return _ABSENT
    if base == "String.Array":
        try:
            items = json.loads(value)
        except ValueError:
            return _ABSENT
        return tuple(items) if isinstance(items, list) else (items,)
    return (value,)


def _body_values(body: Any, path: tuple[str, ...]) -> Values:
    nodes = [body]
    for key in path:
        nxt: list[Any] = []
        for node in nodes:
            if isinstance(node, dict) and key in node:
                value = node[key]
                nxt.extend(value if isinstance(value, list) else [value])
            elif isinstance(node, list):
                nxt.extend(item[key] for item in node if isinstance(item, dict) and key in item)
        if not nxt:
            return None
        nodes = nxt
    flat: list[Any] = []
    for node in nodes:
        flat.extend(node if isinstance(node, list) else [node])
    return tuple(flat)


def compile_policy(text: str, scope: str = ATTRIBUTES) -> FilterPolicy:
    """The policy `text` compiled for `scope`, or InvalidFilterPolicy with SNS's reason."""
    if len(text.encode()) > MAX_BYTES:
        raise InvalidFilterPolicy("Filter policy is too large")
    try:
        policy = json.loads(text)
    except ValueError:
        raise InvalidFilterPolicy("failed to parse JSON.") from None
    if not isinstance(policy, dict):
        raise InvalidFilterPolicy("Filter policy must be a JSON object")
    alternatives = [dict(keys) for keys in _alternatives(policy, (), scope)]
    if not alternatives or not any(alternatives):
        raise InvalidFilterPolicy("Filter policy must not be empty" if not policy else "Empty arrays are not allowed")
    combinations = 0
    for keys in alternatives:
        if len(keys) > MAX_KEYS:
            raise InvalidFilterPolicy("Filter policy can not have more than 5 keys")
        product = 1
        for tests in keys.values():
            product *= len(tests)
        combinations += product
    if combinations > MAX_COMBINATIONS:
        raise InvalidFilterPolicy("Filter policy is too complex")
    compiled = tuple(tuple((path, tuple(tests)) for path, tests in keys.items()) for keys in alternatives)
    return FilterPolicy(scope, compiled)


Keys = list[tuple[tuple[str, ...], list[Test]]]  # one alternative: each key's path and its conditions


def _alternatives(node: Mapping[str, Any], prefix: tuple[str, ...], scope: str) -> list[Keys]:
    """Every alternative `node` allows: lists of (path, tests), one per key; `$or` multiplies them."""
    result: list[Keys] = [[]]
    for key, value in node.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, dict) for v in value):
                raise InvalidFilterPolicy("$or must be an array of at least 2 objects")
            options = [alt for branch in value for alt in _alternatives(branch, prefix, scope)]
        elif isinstance(value, dict):
            if scope != BODY:
                raise InvalidFilterPolicy(f"Filter policy scope {ATTRIBUTES} does not support nested filter policy")
            options = _alternatives(value, (*prefix, key), scope)
        elif isinstance(value, list):
            if not value:
                raise InvalidFilterPolicy("Empty arrays are not allowed")
            options = [[((*prefix, key), [_condition(item) for item in value])]]
        else:
            raise InvalidFilterPolicy(f'"{key}" must be an object or an array')
        result = [[*done, *option] for done in result for option in options]
    return result


def _condition(item: Any) -> Test:
    if item is None or isinstance(item, str | bool):
        literal: Any = item

        def exact(values: Values) -> bool:
            return any(v == literal and type(v) is type(literal) for v in values or ())

        return exact
    if _number(item):
        _check_number(item)
        want = _rounded(item)
        return lambda values: any(_number(v) and _rounded(v) == want for v in values or ())
    if isinstance(item, list):
        raise InvalidFilterPolicy("Match value must be String, number, true, false, or null")
    if not isinstance(item, dict) or len(item) != 1:
        raise InvalidFilterPolicy("Only one key allowed in match expression")
    ((operator, operand),) = item.items()
    maker = _OPERATIONS.get(operator)
    if maker is None:
        raise InvalidFilterPolicy(f"Unrecognized match type {operator}")
    return maker(operand)


def _check_number(value: Any) -> float:
    if not _number(value):
        raise InvalidFilterPolicy("Value of numeric must be a number")
    if not -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT:
        raise InvalidFilterPolicy("Numeric value must be between -1.0E9 and 1.0E9 inclusive")
    return float(value)


def _string_operand(name: str, operand: Any) -> str:
    if not isinstance(operand, str):
        raise InvalidFilterPolicy(f"{name} match pattern must be a string")
    return operand


def _strings(values: Values) -> list[str]:
    return [v for v in values or () if isinstance(v, str)]


def _prefix(operand: Any) -> Test:
    want = _string_operand("prefix", operand)
    return lambda values: any(v.startswith(want) for v in _strings(values))


def _suffix(operand: Any) -> Test:
    want = _string_operand("suffix", operand)
    return lambda values: any(v.endswith(want) for v in _strings(values))


def _ignore_case(operand: Any) -> Test:
    want = _string_operand("equals-ignore-case", operand).casefold()
    return lambda values: any(v.casefold() == want for v in _strings(values))


def _exists(operand: Any) -> Test:
    if not isinstance(operand, bool):
        raise InvalidFilterPolicy("exists match pattern must be either true or false.")
    return lambda values: (values is not None) == operand


def _cidr(operand: Any) -> Test:
    try:
        network = ipaddress.ip_network(_string_operand("cidr", operand), strict=False)
    except ValueError:
        raise InvalidFilterPolicy(f"Malformed CIDR, one '/' required: {operand}") from None

    def test(values: Values) -> bool:
        for value in _strings(values):
            try:
                if ipaddress.ip_address(value) in network:
                    return True
            except ValueError:
                continue
        return False

    return test


def _numeric(operand: Any) -> Test:
    if not isinstance(operand, list) or not operand or len(operand) % 2:
        raise InvalidFilterPolicy("Value of numeric must be an array.")
    checks: list[tuple[Callable[[float, float], bool], float]] = []
    for i in range(0, len(operand), 2):
        op, bound = operand[i], operand[i + 1]
        if op not in _OPERATORS:
            raise InvalidFilterPolicy(f"Unrecognized numeric range operator: {op}")
        checks.append((_OPERATORS[op], _rounded(_check_number(bound))))
    ops = [operand[i] for i in range(0, len(operand), 2)]
    if len(ops) > 2 or (len(ops) == 2 and (ops[0] not in (">", ">=") or ops[1] not in ("<", "<="))):
        raise InvalidFilterPolicy("Bad numeric range operator")
    if len(ops) == 2 and checks[0][1] >= checks[1][1]:
        raise InvalidFilterPolicy("Bottom must be less than top")
    return lambda values: any(
        _number(v) and all(compare(_rounded(v), bound) for compare, bound in checks) for v in values or ()
    )


def _anything_but(operand: Any) -> Test:
    """Matches a present key none of whose values is excluded (a missing key never matches)."""
    excluded: Callable[[Any], bool]
    if isinstance(operand, dict):
        if len(operand) != 1 or next(iter(operand)) not in ("prefix", "suffix"):
            raise InvalidFilterPolicy("Unsupported anything-but pattern: " + ", ".join(operand))
        ((kind, text),) = operand.items()
        text = _string_operand(f"anything-but {kind}", text)
        if kind == "prefix":
            excluded = lambda v: isinstance(v, str) and v.startswith(text)  # noqa: E731
        else:
            excluded = lambda v: isinstance(v, str) and v.endswith(text)  # noqa: E731
    else:
        items: Sequence[Any] = operand if isinstance(operand, list) else [operand]
        if not items or not all(isinstance(i, str) or _number(i) for i in items):
            raise InvalidFilterPolicy("anything-but list must contain strings or numbers")
        strings = {i for i in items if isinstance(i, str)}
        numbers = {_rounded(i) for i in items if _number(i)}
        excluded = lambda v: (isinstance(v, str) and v in strings) or (_number(v) and _rounded(v) in numbers)  # noqa: E731
    return lambda values: bool(values) and not any(excluded(v) for v in values or ())


_OPERATIONS: dict[str, Callable[[Any], Test]] = {
    "prefix": _prefix,
    "suffix": _suffix,
    "equals-ignore-case": _ignore_case,
    "exists": _exists,
    "cidr": _cidr,
    "numeric": _numeric,
    "anything-but": _anything_but,
}
