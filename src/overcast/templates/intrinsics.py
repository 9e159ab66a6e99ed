"""Intrinsic functions: a pure evaluator of Ref, Fn::GetAtt, Fn::Sub and the rest over a template's values.

`resolve(value, scope)` returns `value` with every intrinsic replaced by what it evaluates to, as
CloudFormation evaluates them when it creates a resource (https://docs.aws.amazon.com/AWSCloudFormation/
latest/TemplateReference/intrinsic-function-reference.html). `AWS::NoValue` removes the property (or
list item) it stands for. What the scope cannot answer (a resource not created yet, an export that does
not exist) and arguments of the wrong shape raise a ValidationError with CloudFormation's text.
`Fn::Length` and `Fn::ToJsonString` need the `AWS::LanguageExtensions` transform, as on AWS.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from overcast.templates.errors import TemplateValidationError, template_error


class _NoValue:
    """`Ref: AWS::NoValue`: the property it is the value of is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()
FUNCTIONS = frozenset(
    (
        "Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Split", "Fn::Select", "Fn::FindInMap", "Fn::If",
        "Fn::Base64", "Fn::GetAZs", "Fn::Cidr", "Fn::ImportValue", "Fn::Length", "Fn::ToJsonString",
        "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition",
    )
)  # fmt: skip
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SUB_NAME = re.compile(r"[A-Za-z0-9_.:]+")


class Resources(Protocol):
    """What the scope knows of the stack's resources: their Ref and Fn::GetAtt values once created."""

    def ref(self, logical_id: str) -> Any: ...

    def get_att(self, logical_id: str, attribute: str) -> Any: ...


@dataclass(frozen=True)
class Scope:
    """Everything an intrinsic can name. `parameters` holds resolved parameter values (a list for list types),
    `pseudo` the pseudo parameters (AWS::Region, AWS::AccountId, AWS::StackName, ...)."""

    parameters: Mapping[str, Any]
    pseudo: Mapping[str, Any]
    resources: Resources
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, bool] = field(default_factory=dict)
    exports: Callable[[str], Any | None] = lambda name: None
    language_extensions: bool = False

    @property
    def region(self) -> str:
        return str(self.pseudo.get("AWS::Region", "us-east-1"))


def resolve(value: Any, scope: Scope) -> Any:
    """`value` with its intrinsics evaluated; NO_VALUE when the whole value is `Ref: AWS::NoValue`."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((name, argument),) = value.items()
            # {"Condition": <name>} is an intrinsic; a policy statement's {"Condition": {...}} is data.
            if name in FUNCTIONS and (name != "Condition" or isinstance(argument, str)):
                return _call(name, argument, scope)
        out = {}
        for key, item in value.items():
            resolved = resolve(item, scope)
            if resolved is not NO_VALUE:
                out[key] = resolved
        return out
    if isinstance(value, list):
        return [resolved for item in value if (resolved := resolve(item, scope)) is not NO_VALUE]
    return value


def _call(name: str, argument: Any, scope: Scope) -> Any:
    if name in ("Fn::Length", "Fn::ToJsonString") and not scope.language_extensions:
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/transform-aws-languageextensions.html
        raise template_error(f"{name} requires the AWS::LanguageExtensions transform")  # (a guess at the text)
    return _FUNCTIONS[name](argument, scope)


# --- references -------------------------------------------------------------------------------------------


def _ref(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, str):
        argument = resolve(argument, scope)  # Ref's argument may be computed, e.g. by Fn::Sub
        if not isinstance(argument, str):
            raise template_error("Ref's argument must be a string")  # (a guess at the text)
    if argument == "AWS::NoValue":
        return NO_VALUE
    if argument in scope.parameters:
        return scope.parameters[argument]
    if argument in scope.pseudo:
        return scope.pseudo[argument]
    return scope.resources.ref(argument)


def _get_att(argument: Any, scope: Scope) -> Any:
    if isinstance(argument, str):
        logical_id, dot, attribute = argument.partition(".")
        if not dot:
            raise template_error("every Fn::GetAtt object requires two non-empty parameters")
    elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        logical_id, attribute = argument[0], resolve(argument[1], scope)  # the attribute may be a Ref
    else:
        raise template_error("every Fn::GetAtt object requires two non-empty parameters")
    if not logical_id or not isinstance(attribute, str) or not attribute:
        raise template_error("every Fn::GetAtt object requires two non-empty parameters")
    return scope.resources.get_att(logical_id, attribute)


def _sub(argument: Any, scope: Scope) -> Any:
    if isinstance(argument, str):
        text, variables = argument, {}
    elif (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and isinstance(argument[1], dict)
    ):
        text, variables = argument[0], {key: resolve(item, scope) for key, item in argument[1].items()}
    else:
        raise template_error("One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a "
                             "string as first argument, and an optional second argument to specify a mapping of "
                             "values to replace in the string")  # fmt: skip

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):  # ${!Literal} is written as ${Literal}
            return "${" + name[1:] + "}"
        if not _SUB_NAME.fullmatch(name):
            raise template_error(
                "variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, periods, "
                "and colons"
            )
        if name in variables:
            value = variables[name]
        elif name in scope.parameters or name in scope.pseudo:
            value = _ref(name, scope)
        elif "." in name:
            logical_id, _, attribute = name.partition(".")
            value = scope.resources.get_att(logical_id, attribute)
        else:
            value = scope.resources.ref(name)
        return _as_text("Fn::Sub", value)

    return _SUB_VARIABLE.sub(substitute, text)


def _import_value(argument: Any, scope: Scope) -> Any:
    name = resolve(argument, scope)
    if not isinstance(name, str):
        raise template_error("Fn::ImportValue's argument must be a string")  # (a guess at the text)
    value = scope.exports(name)
    if value is None:
        raise TemplateValidationError(f"No export named {name} found.")
    return value


# --- strings and lists ------------------------------------------------------------------------------------


def _join(argument: Any, scope: Scope) -> str:
    if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
        raise template_error(_JOIN_SHAPE)
    items = resolve(argument[1], scope)
    if not isinstance(items, list):
        raise template_error(_JOIN_SHAPE)
    return argument[0].join(_as_text("Fn::Join", item) for item in items)


_JOIN_SHAPE = (
    "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined "
    "or a function that returns a list of strings (such as Fn::GetAZs) to be joined."
)


_SPLIT_SHAPE = (
    "every Fn::Split object requires two parameters, (1) a non-empty string delimiter and (2) a string to be split "
    "or a function that returns a string to be split."
)


def _split(argument: Any, scope: Scope) -> list[str]:
    if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str) and argument[0]):
        raise template_error(_SPLIT_SHAPE)
    source = resolve(argument[1], scope)
    if not isinstance(source, str):
        raise template_error("Fn::Split requires a string to split")  # (a guess at the text)
    return source.split(argument[0])


_SELECT_SHAPE = "Fn::Select requires a list argument with two elements: an integer index and a list"


def _select(argument: Any, scope: Scope) -> Any:
    if not (isinstance(argument, list) and len(argument) == 2):
        raise template_error(_SELECT_SHAPE)
    index, items = resolve(argument[0], scope), resolve(argument[1], scope)
    try:
        position = int(index)
    except (TypeError, ValueError):
        raise template_error(
            "Fn::Select requires a list argument with two elements: an integer index and a list"
        ) from None
    if not isinstance(items, list):
        raise template_error(_SELECT_SHAPE)
    if not 0 <= position < len(items):
        raise template_error(f"Fn::Select  cannot select nonexistent value at index {position}")
    return items[position]


def _base64(argument: Any, scope: Scope) -> str:
    text = resolve(argument, scope)
    if not isinstance(text, str):
        raise template_error("Fn::Base64 requires a string")  # (a guess at the text)
    return base64.b64encode(text.encode()).decode()


def _length(argument: Any, scope: Scope) -> int:
    items = resolve(argument, scope)
    if not isinstance(items, list):
        raise template_error("Fn::Length requires a list")  # (a guess at the text)
    return len(items)


def _to_json_string(argument: Any, scope: Scope) -> str:
    value = resolve(argument, scope)
    if not isinstance(value, (dict, list)):
        raise template_error("Fn::ToJsonString requires an object or an array")  # (a guess at the text)
    return json.dumps(value, separators=(",", ":"))


def _as_text(function: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise template_error(f"{function} can only join or substitute strings")  # (a guess at the text)


# --- maps, conditions, zones, networks --------------------------------------------------------------------


_FIND_IN_MAP_SHAPE = "Fn::FindInMap requires a list of three strings: map name, top-level key, second-level key"


def _find_in_map(argument: Any, scope: Scope) -> Any:
    if not isinstance(argument, list) or len(argument) not in (3, 4):
        raise template_error(
            "Fn::FindInMap requires a list of three strings: map name, top-level key, second-level key"
        )
    default: Any = None
    if len(argument) == 4:  # {DefaultValue: ...}, with the language extensions
        extra = argument[3]
        if not scope.language_extensions or not (isinstance(extra, dict) and set(extra) == {"DefaultValue"}):
            raise template_error(
                "Fn::FindInMap requires a list of three strings: map name, top-level key, second-level key"
            )
        default = extra["DefaultValue"]
    names = [resolve(item, scope) for item in argument[:3]]
    found = scope.mappings.get(str(names[0]))
    for key in names[1:]:
        found = found.get(str(key)) if isinstance(found, dict) else None
    if found is None:
        if default is not None:
            return resolve(default, scope)
        raise template_error(f"Unable to get mapping for {'::'.join(str(name) for name in names)}")
    return found


def _if(argument: Any, scope: Scope) -> Any:
    if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
        raise template_error("Fn::If requires a list argument with three elements: a condition name, and two values")
    if argument[0] not in scope.conditions:
        raise template_error(f"unresolved condition dependency {argument[0]} in Fn::If")
    return resolve(argument[1] if scope.conditions[argument[0]] else argument[2], scope)


def _condition(argument: Any, scope: Scope) -> bool:
    if not isinstance(argument, str) or argument not in scope.conditions:
        raise template_error(f"unresolved condition dependency {argument} in Condition")
    return scope.conditions[argument]


def _equals(argument: Any, scope: Scope) -> bool:
    if not (isinstance(argument, list) and len(argument) == 2):
        raise template_error("Fn::Equals requires a list argument with two elements")
    left, right = (resolve(item, scope) for item in argument)
    return _comparable(left) == _comparable(right)


def _comparable(value: Any) -> Any:
    """Fn::Equals compares values as strings (`"true"` equals `true`, `"1"` equals `1`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _and_or(name: str) -> Callable[[Any, Scope], bool]:
    def evaluate(argument: Any, scope: Scope) -> bool:
        if not (isinstance(argument, list) and 2 <= len(argument) <= 10):
            raise template_error(f"{name} requires a list argument with between 2 and 10 conditions")
        values = [_truth(name, resolve(item, scope)) for item in argument]
        return all(values) if name == "Fn::And" else any(values)

    return evaluate


def _not(argument: Any, scope: Scope) -> bool:
    if not (isinstance(argument, list) and len(argument) == 1):
        raise template_error("Fn::Not requires a list argument with one condition")
    return not _truth("Fn::Not", resolve(argument[0], scope))


def _truth(function: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise template_error(f"{function} can only combine conditions")  # (a guess at the text)


def _get_azs(argument: Any, scope: Scope) -> list[str]:
    """The Availability Zones of a Region ("" or none: the stack's): three, `<region>a` to `<region>c`."""
    region = resolve(argument, scope) or scope.region
    if not isinstance(region, str):
        raise template_error("Fn::GetAZs requires a Region name")  # (a guess at the text)
    return [f"{region}{letter}" for letter in "abc"]


def _cidr(argument: Any, scope: Scope) -> list[str]:
    """`count` address blocks of `bits` host bits each, carved in order from `ip_block`
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-cidr.html)."""
    if not (isinstance(argument, list) and len(argument) == 3):
        raise template_error("Fn::Cidr requires a list argument with three elements: an address block, a count and "
                             "a number of subnet bits")  # fmt: skip
    block, count, bits = (resolve(item, scope) for item in argument)
    try:
        network = ipaddress.ip_network(str(block), strict=False)
        count, bits = int(count), int(bits)
        prefix = network.max_prefixlen - bits
        if not 1 <= count <= 256 or prefix < network.prefixlen or bits < 1:
            raise ValueError
        subnets = network.subnets(new_prefix=prefix)
        return [str(next(subnets)) for _ in range(count)]
    except (ValueError, TypeError, StopIteration):
        raise template_error(f"Fn::Cidr cannot make {count} blocks of {bits} bits from {block}") from None  # (a guess)


_FUNCTIONS: dict[str, Callable[[Any, Scope], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::ImportValue": _import_value,
    "Fn::Join": _join,
    "Fn::Split": _split,
    "Fn::Select": _select,
    "Fn::Base64": _base64,
    "Fn::Length": _length,
    "Fn::ToJsonString": _to_json_string,
    "Fn::FindInMap": _find_in_map,
    "Fn::If": _if,
    "Condition": _condition,
    "Fn::Equals": _equals,
    "Fn::And": _and_or("Fn::And"),
    "Fn::Or": _and_or("Fn::Or"),
    "Fn::Not": _not,
    "Fn::GetAZs": _get_azs,
    "Fn::Cidr": _cidr,
}
