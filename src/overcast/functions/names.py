"""Function and layer references: names, partial and full ARNs, qualifiers, as Lambda accepts them.

FunctionName may be `name`, `name:qualifier`, `123456789012:function:name[:qualifier]` or
`arn:aws:lambda:region:123456789012:function:name[:qualifier]`
(https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html#API_GetFunction_RequestSyntax).
The patterns (the API's own) say what is well-formed; a full ARN's parts are read by `overcast.arn`,
and the ARNs Lambda reports are made there too, in the region's partition.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from overcast.arn import Arn, format_arn, parse_arn, partition_of
from overcast.errors import AwsError
from overcast.functions.errors import InvalidParameterValue, ResourceNotFound, ValidationException

# The FunctionName pattern of the Lambda API (botocore model shape FunctionName), anchored.
FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?"
    r"(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
_FUNCTION_REF = re.compile(
    r"^(?P<arn>arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?P<function>function:)?(?P<name>[a-zA-Z0-9_-]+)"
    r"(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9_-]+))?$"
)
_QUALIFIER = re.compile(r"^[a-zA-Z0-9$_-]+$")
LAYER_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")
LAYER_ARN = re.compile(
    r"^arn:(?:aws[a-zA-Z-]*)?:lambda:(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d:\d{12}:"
    r"layer:[a-zA-Z0-9_-]+(?::[0-9]+)?$"
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
    account: str | None = None  # another account's, when its ARN named one and that was allowed


def parse_function_ref(
    text: str, account: str, region: str, qualifier: str | None = None, *, other_accounts: bool = False
) -> FunctionRef:
    """Resolve a FunctionName (+ optional Qualifier parameter) for a caller in (account, region). A name in
    another account is refused, unless `other_accounts` (Invoke, which checks the function's policy)."""
    match = _FUNCTION_REF.match(text or "")
    if match is None or len(text) > 140:
        raise constraint_error(
            text, "functionName", f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}"
        )
    named_region, named_account, name, derived = match["region"], match["account"], match["name"], match["qualifier"]
    full = match["arn"] and named_region and named_account and match["function"]
    arn = parse_arn(text) if full else None
    if arn is not None:  # a full ARN: arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]
        named_region, named_account = arn.region, arn.account
        _, name, *rest = arn.fields()
        derived = rest[0] if rest else None
    if named_region and named_region != region:
        # What Lambda answers when an ARN names another region than the endpoint's.
        raise ResourceNotFound(f"Functions from '{named_region}' are not reachable in this region ('{region}')")
    other = named_account if named_account and named_account != account else None
    if other is not None and not other_accounts:
        # Only Invoke reads another account's function, under its policy (functions/permissions.py).
        raise AccessDenied(
            f"User: {caller_arn(account, region)} is not authorized to access function {text} in account "
            f"{named_account}"
        )
    if qualifier is not None:
        if not _QUALIFIER.match(qualifier) or len(qualifier) > 128:
            raise constraint_error(
                qualifier, "qualifier", "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)"
            )
        if derived and derived != qualifier:
            raise InvalidParameterValue(
                "The derived qualifier from the function name does not match the specified qualifier."
            )
    return FunctionRef(name, qualifier or derived, other)


def function_arn(account: str, region: str, name: str, qualifier: str | None = None) -> str:
    return format_arn("lambda", region, account, f"function:{name}:{qualifier}" if qualifier else f"function:{name}")


def layer_arn(account: str, region: str, name: str, version: int | None = None) -> str:
    return format_arn("lambda", region, account, f"layer:{name}" if version is None else f"layer:{name}:{version}")


def runtime_version_arn(region: str, runtime: str) -> str:
    """The runtime version a function runs, as RuntimeVersionConfig reports it: `arn:<partition>:lambda:<region>::
    runtime:<64 hex>` (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html#runtime-management-identify).
    Overcast runs the runtime the host has, so each runtime has one version, named by a digest of its name."""
    return format_arn("lambda", region, "", f"runtime:{hashlib.sha256(runtime.encode()).hexdigest()}")


def caller_arn(account: str, region: str) -> str:
    """The caller as AWS names it in an access-denied message (Overcast's callers are their account's root)."""
    return format_arn("iam", "", account, "root", partition_of(region))


def layer_denied(account: str, region: str, arn: str, action: str = "GetLayerVersion") -> AccessDenied:
    """Another account's layer version: using it needs a grant in its resource-based policy
    (https://docs.aws.amazon.com/lambda/latest/dg/permissions-layer-cross-account.html,
    functions/layer_policies.py)."""
    return AccessDenied(
        f"User: {caller_arn(account, region)} is not authorized to perform: lambda:{action} on resource: {arn}"
    )


def _layer(text: str) -> tuple[Arn, str, int | None] | None:
    """A layer ARN's parts as overcast.arn reads them (the ARN, the layer's name, its version if it names
    one), or None when `text` is not a layer ARN."""
    arn = parse_arn(text) if LAYER_ARN.match(text or "") else None
    if arn is None:
        return None
    _, name, *version = arn.fields()
    return arn, name, int(version[0]) if version else None


def parse_layer_name(text: str, account: str, region: str, action: str) -> str:
    """LayerName as a name or a layer ARN (without version) of the caller's account and region.
    Another account's layer in the caller's region is AccessDenied for `action`, as AWS answers
    without a grant; one in another region names nothing."""
    owner, name = parse_layer_owner(text, account, region)
    if owner != account:
        raise layer_denied(account, region, text, action)
    return name


def parse_layer_owner(text: str, account: str, region: str) -> tuple[str, str]:
    """LayerName as a name or a layer ARN (without version): (the account that owns it, its name). One in
    another region names nothing."""
    if LAYER_NAME.match(text or "") and len(text) <= 140:
        return account, text
    layer = _layer(text)
    if layer is None or layer[2] is not None:
        raise constraint_error(
            text,
            "layerName",
            "Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:"
            "[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+",
        )
    arn, name, _ = layer
    if arn.region != region:
        raise ResourceNotFound("The resource you requested does not exist.")
    return arn.account, name


@dataclass(frozen=True, slots=True)
class LayerVersionRef:
    account: str
    region: str
    name: str
    version: int


def parse_layer_version_arn(text: str, member: str = "arn") -> LayerVersionRef:
    layer = _layer(text)
    if layer is None or layer[2] is None:
        raise constraint_error(
            text, member, f"Member must satisfy regular expression pattern: {LAYER_VERSION_ARN_PATTERN}"
        )
    arn, name, version = layer
    return LayerVersionRef(arn.account, arn.region, name, int(version or 0))
