"""Function and layer references: names, partial and full ARNs, qualifiers, as Lambda accepts them.

FunctionName may be `name`, `name:qualifier`, `123456789012:function:name[:qualifier]` or
`arn:aws:lambda:region:123456789012:function:name[:qualifier]`
(https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html#API_GetFunction_RequestSyntax).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from overcast.errors import AwsError
from overcast.functions.errors import InvalidParameterValue, ResourceNotFound, ValidationException

# The FunctionName pattern of the Lambda API (botocore model shape FunctionName), anchored.
FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?"
    r"(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
_FUNCTION_REF = re.compile(
    r"^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$"
)
_QUALIFIER = re.compile(r"^[a-zA-Z0-9$_-]+$")
LAYER_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
LAYER_ARN = re.compile(
    r"^arn:(?:aws[a-zA-Z-]*)?:lambda:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):"
    r"(?P<account>\d{12}):layer:(?P<name>[a-zA-Z0-9_-]+)(?::(?P<version>[0-9]+))?$"
)
LAYER_VERSION_ARN_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:"
    r"[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)"
)


class AccessDenied(AwsError):
    code, status = "AccessDeniedException", 403


def constraint_error(value: object, member: str, constraint: str) -> ValidationException:
    """AWS's model-validation text for one failed constraint."""
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    )


@dataclass(frozen=True, slots=True)
class FunctionRef:
    name: str
    qualifier: str | None  # None: unqualified


def parse_function_ref(text: str, account: str, region: str, qualifier: str | None = None) -> FunctionRef:
    """Resolve a FunctionName (+ optional Qualifier parameter) for a caller in (account, region)."""
    match = _FUNCTION_REF.match(text or "")
    if match is None or len(text) > 140:
        raise constraint_error(
            text, "functionName", f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}"
        )
    if match["region"] and match["region"] != region:
        # What Lambda answers when an ARN names another region than the endpoint's.
        raise ResourceNotFound(f"Functions from '{match['region']}' are not reachable in this region ('{region}')")
    if match["account"] and match["account"] != account:
        # Cross-account use needs a resource-based policy, which Overcast does not evaluate yet.
        raise AccessDenied(
            f"User: arn:aws:iam::{account}:root is not authorized to access function {text} in account "
            f"{match['account']}"
        )
    if qualifier is not None:
        if not _QUALIFIER.match(qualifier) or len(qualifier) > 128:
            raise constraint_error(
                qualifier, "qualifier", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)"
            )
        if match["qualifier"] and match["qualifier"] != qualifier:
            raise InvalidParameterValue(
                "The derived qualifier from the function name does not match the specified qualifier."
            )
    return FunctionRef(match["name"], qualifier or match["qualifier"])


def function_arn(account: str, region: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def parse_layer_name(text: str, account: str, region: str) -> str:
    """LayerName as a name or a layer ARN (without version) of the caller's account and region."""
    if LAYER_NAME.match(text or "") and len(text) <= 140:
        return text
    match = LAYER_ARN.match(text or "")
    if match is None or match["version"] is not None:
        raise constraint_error(
            text,
            "layerName",
            "Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:"
            "[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+",
        )
    if match["region"] != region or match["account"] != account:
        raise ResourceNotFound("The resource you requested does not exist.")
    return match["name"]


@dataclass(frozen=True, slots=True)
class LayerVersionRef:
    account: str
    region: str
    name: str
    version: int


def parse_layer_version_arn(text: str, member: str = "arn") -> LayerVersionRef:
    match = LAYER_ARN.match(text or "")
    if match is None or match["version"] is None:
        raise constraint_error(
            text, member, f"Member must satisfy regular expression pattern: {LAYER_VERSION_ARN_PATTERN}"
        )
    return LayerVersionRef(match["account"], match["region"], match["name"], int(match["version"]))
