"""A template's Parameters: the values a stack is given checked against their declarations, defaults applied.

Types and constraints as https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/
parameters-section-structure.html documents them. CloudFormation's texts where they are known
("Parameters: [X] must have values", "Parameter 'X' must be one of AllowedValues", "Parameter 'X' must
match pattern P", and "Parameter X failed to satisfy constraint: <ConstraintDescription>" when one is
given); the length and number texts follow the same form and are marked as guesses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.templates.errors import TemplateValidationError, format_error

MAX_PARAMETERS = 200  # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
PLAIN_TYPES = frozenset(("String", "Number", "List<Number>", "CommaDelimitedList"))
# AWS-specific types name EC2 and Route 53 resources, which mean nothing on one host: their values are
# taken as written (a string, or a list for List<...>), as a String of that shape would be.
_AWS_SPECIFIC = re.compile(r"(List<)?AWS::(EC2|Route53)::[A-Za-z0-9:]+(>)?")
_SSM = re.compile(r"AWS::SSM::Parameter::(Name|Value<.+>)")
_CONSTRAINTS = ("AllowedValues", "AllowedPattern", "MinLength", "MaxLength", "MinValue", "MaxValue")


@dataclass(frozen=True, slots=True)
class Parameter:
    """One parameter as the stack holds it: its value (a list for list types) and whether it is NoEcho."""

    name: str
    type: str
    value: Any
    no_echo: bool = False

    @property
    def shown(self) -> str:
        """As DescribeStacks shows it: NoEcho values masked."""
        if self.no_echo:
            return "****"
        return ",".join(self.value) if isinstance(self.value, list) else str(self.value)


def declarations(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The Parameters section, each declaration checked for its own shape."""
    declared = template.get("Parameters") or {}
    if len(declared) > MAX_PARAMETERS:
        raise format_error(f"Parameter count {len(declared)} is greater than max allowed {MAX_PARAMETERS}")
    for name, declaration in declared.items():
        if not isinstance(declaration, dict) or not isinstance(declaration.get("Type"), str):
            raise format_error(f"Every Parameters object must contain a Type member. [{name}]")  # (a guess)
        kind = declaration["Type"]
        if kind not in PLAIN_TYPES and not _AWS_SPECIFIC.fullmatch(kind) and not _SSM.fullmatch(kind):
            raise format_error(f"Unrecognized parameter type: {kind}")
        allowed = declaration.get("AllowedValues")
        if allowed is not None and not isinstance(allowed, list):
            raise format_error("Every AllowedValues member must be a list.")
    return declared


def resolve_parameters(template: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Parameter]:
    """Each declared parameter's value: `given` (strings, as the API passes them) or its Default."""
    declared = declarations(template)
    unknown = [name for name in given if name not in declared]
    if unknown:
        raise TemplateValidationError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    missing = [name for name, d in declared.items() if name not in given and "Default" not in d]
    if missing:
        raise TemplateValidationError(f"Parameters: [{', '.join(missing)}] must have values")
    resolved = {}
    for name, declaration in declared.items():
        raw = given[name] if name in given else declaration["Default"]
        resolved[name] = Parameter(
            name, declaration["Type"], _value(name, declaration, raw), flag(declaration.get("NoEcho"))
        )
    return resolved


def _value(name: str, declaration: Mapping[str, Any], raw: Any) -> Any:
    kind = declaration["Type"]
    if _SSM.fullmatch(kind):
        raise TemplateValidationError(
            f"Parameter {name} is of type {kind}, which reads SSM Parameter Store: Overcast does not have it yet"
        )
    written = text(raw)
    is_list = kind in ("List<Number>", "CommaDelimitedList") or kind.startswith("List<")
    items = [item.strip() if kind == "List<Number>" else item for item in written.split(",")] if is_list else [written]
    if written == "" and is_list:
        items = []
    for item in items:
        _check(name, declaration, item, numeric=kind in ("Number", "List<Number>"))
    return items if is_list else written


def _check(name: str, declaration: Mapping[str, Any], value: str, *, numeric: bool) -> None:
    description = declaration.get("ConstraintDescription")

    def refused(reason: str) -> TemplateValidationError:
        if description:
            return TemplateValidationError(f"Parameter {name} failed to satisfy constraint: {description}")
        return TemplateValidationError(f"Parameter '{name}' {reason}")

    if numeric:
        try:
            number = float(value)
        except ValueError:
            raise TemplateValidationError(f"Parameter '{name}' must be a number") from None  # (a guess)
        if "MinValue" in declaration and number < float(declaration["MinValue"]):
            raise refused(f"must be a number not less than {declaration['MinValue']}")  # (a guess)
        if "MaxValue" in declaration and number > float(declaration["MaxValue"]):
            raise refused(f"must be a number not greater than {declaration['MaxValue']}")  # (a guess)
    else:
        if "MinLength" in declaration and len(value) < int(declaration["MinLength"]):
            raise refused(f"must contain at least {declaration['MinLength']} characters")  # (a guess)
        if "MaxLength" in declaration and len(value) > int(declaration["MaxLength"]):
            raise refused(f"must contain at most {declaration['MaxLength']} characters")  # (a guess)
        pattern = declaration.get("AllowedPattern")
        if pattern is not None and re.fullmatch(str(pattern), value) is None:
            raise refused(f"must match pattern {pattern}")
    allowed = declaration.get("AllowedValues")
    if allowed is not None and value not in [text(item) for item in allowed]:
        raise refused("must be one of AllowedValues")


def text(value: Any) -> str:
    """A value as the API would have passed it: YAML's `true`, `5` and lists as their text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(text(item) for item in value)
    return str(value)


def flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
