"""Choice rules (JSONPath): parsed from a definition's Choices, and every comparison operator,
And/Or/Not, evaluated by one pure `holds` function.

https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
A comparison of values of the wrong type is false, not an error; a Variable that selects
nothing is an error except for IsPresent.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

from overcast.workflows.asl.diagnostics import Findings
from overcast.workflows.asl.expressions import check_path
from overcast.workflows.asl.model import Combination, Comparison, Rule
from overcast.workflows.asl.paths import Env, NoMatch, UndefinedVariable, select

_COMPARISONS = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
_KINDS = ("String", "Numeric", "Timestamp")
OPERATORS: frozenset[str] = frozenset(
    [f"{k}{c}{p}" for k in _KINDS for c in _COMPARISONS for p in ("", "Path")]
    + ["BooleanEquals", "BooleanEqualsPath", "StringMatches"]
    + ["IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"]
)


def parse_rule(f: Findings, doc: Any, at: str) -> Rule | None:
    """A rule of a definition's Choices: a comparison, or And / Or / Not over rules (None when invalid)."""
    if not isinstance(doc, dict):
        f.schema("Expected value of type: Object", at)
        return None
    # Any rule, nested ones inside And / Or / Not included, may carry a Comment:
    # https://states-language.net/spec.html#choice-state ("Comment" is allowed in every object)
    if "Comment" in doc:
        if not isinstance(doc["Comment"], str):
            f.schema("Expected value of type: String", f"{at}/Comment")
        doc = {k: v for k, v in doc.items() if k != "Comment"}
    for combinator in ("And", "Or"):
        if combinator in doc:
            subs = doc[combinator]
            if not isinstance(subs, list) or not subs:
                f.schema("Expected value of type: non-empty Array", f"{at}/{combinator}")
                return None
            rules = [parse_rule(f, s, f"{at}/{combinator}[{i}]") for i, s in enumerate(subs)]
            return Combination(combinator, tuple(r for r in rules if r is not None))
    if "Not" in doc:
        sub = parse_rule(f, doc["Not"], f"{at}/Not")
        return Combination("Not", (sub,) if sub else ())
    variable = doc.get("Variable")
    ops = [k for k in doc if k in OPERATORS]
    unknown = [k for k in doc if k not in OPERATORS and k != "Variable"]
    for k in unknown:
        f.schema(f"Field '{k}' is not supported", f"{at}/{k}")
    if not isinstance(variable, str):
        f.schema("These fields are required: [Variable]", at)
        return None
    if len(ops) != 1:
        f.schema("A choice rule must have exactly one comparison operator", at)
        return None
    check_path(f, variable, f"{at}/Variable")
    op = ops[0]
    if op.endswith("Path"):
        if not isinstance(doc[op], str):
            f.schema("Expected value of type: String", f"{at}/{op}")
        else:
            check_path(f, doc[op], f"{at}/{op}")
    return Comparison(variable, op, doc[op])


class ChoicePathError(LookupError):
    """A Variable or *Path operand selected nothing."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def holds(rule: Rule, data: Any, env: Env) -> bool:
    if isinstance(rule, Combination):
        if rule.operator == "And":
            return all(holds(sub, data, env) for sub in rule.rules)
        if rule.operator == "Or":
            return any(holds(sub, data, env) for sub in rule.rules)
        return not holds(rule.rules[0], data, env)
    return _compare(rule, data, env)


def _compare(rule: Comparison, data: Any, env: Env) -> bool:
    op = rule.operator
    try:
        value = select(rule.variable, data, env)
        present = True
    except (NoMatch, UndefinedVariable):
        value, present = None, False
    if op == "IsPresent":
        return present is bool(rule.value)
    if not present:
        raise ChoicePathError(rule.variable)
    expected = rule.value
    if op.startswith("Is"):
        return _TESTS[op](value) is bool(expected)
    if op.endswith("Path"):
        try:
            expected = select(expected, data, env)
        except (NoMatch, UndefinedVariable):
            raise ChoicePathError(rule.value) from None
        op = op[:-4]
    if op == "StringMatches":
        return isinstance(value, str) and isinstance(expected, str) and _matcher(expected)(value)
    if op == "BooleanEquals":
        return isinstance(value, bool) and isinstance(expected, bool) and value == expected
    for kind in _KINDS:
        if op.startswith(kind):
            comparison = op[len(kind) :]
            left, right = _coerce(kind, value), _coerce(kind, expected)
            if left is None or right is None:
                return False
            return _ORDER[comparison](left, right)
    return False


def _coerce(kind: str, value: Any) -> Any:
    if kind == "String":
        return value if isinstance(value, str) else None
    if kind == "Numeric":
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return parse_timestamp(value)


_ORDER = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}

# RFC 3339 with an uppercase T, a zone (Z or offset), optional fractional seconds.
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)


def parse_timestamp(value: Any) -> datetime | None:
    """An ASL timestamp (RFC 3339 profile, e.g. 2016-03-14T01:59:00Z) or None."""
    if not isinstance(value, str):
        return None
    match = _TIMESTAMP.match(value)
    if match is None:
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    if match.group(1):
        fraction = match.group(1)[1:]
        text = text.replace(match.group(1), "." + (fraction + "000000")[:6], 1)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _is_numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TESTS = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_numeric,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: parse_timestamp(v) is not None,
}


@functools.lru_cache(maxsize=512)
def _matcher(pattern: str) -> Any:
    """StringMatches: `*` matches any run of characters; `\\*` and `\\\\` are literal."""
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        i += 1
    regex = re.compile("".join(parts), re.DOTALL)
    return lambda text: regex.fullmatch(text) is not None
