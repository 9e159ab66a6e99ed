"""The IAM policy a Lambda authorizer returns, evaluated for one execute-api:Invoke on one method ARN."""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache
from typing import Any

_ACTION = "execute-api:Invoke"


class Decision(Enum):
    ALLOW = "ALLOW"
    EXPLICIT_DENY = "EXPLICIT_DENY"  # a Deny statement matches: it wins over any Allow
    IMPLICIT_DENY = "IMPLICIT_DENY"  # nothing allows it


class InvalidPolicy(ValueError):
    """The authorizer's policy document is not a policy API Gateway can evaluate."""


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    # IAM wildcards: "*" any run of characters (including "/" and ":"), "?" exactly one.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _strings(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise InvalidPolicy(f"{what} must be a string or a non-empty list of strings")


def _any_match(globs: list[str], value: str, *, ignore_case: bool) -> bool:
    return any(_pattern(g, ignore_case).fullmatch(value) for g in globs)


def _applies(statement: dict[str, Any], arn: str) -> bool:
    if "Action" in statement:
        action_ok = _any_match(_strings(statement["Action"], "Action"), _ACTION, ignore_case=True)
    elif "NotAction" in statement:
        action_ok = not _any_match(_strings(statement["NotAction"], "NotAction"), _ACTION, ignore_case=True)
    else:
        raise InvalidPolicy("a statement needs Action or NotAction")
    if "Resource" in statement:
        resource_ok = _any_match(_strings(statement["Resource"], "Resource"), arn, ignore_case=False)
    elif "NotResource" in statement:
        resource_ok = not _any_match(_strings(statement["NotResource"], "NotResource"), arn, ignore_case=False)
    else:
        raise InvalidPolicy("a statement needs Resource or NotResource")
    return action_ok and resource_ok


def validate(document: Any) -> list[dict[str, Any]]:
    """The document's statements, or InvalidPolicy."""
    if not isinstance(document, dict):
        raise InvalidPolicy("policyDocument must be an object")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise InvalidPolicy("policyDocument.Statement must be a non-empty list")
    for statement in statements:
        if not isinstance(statement, dict):
            raise InvalidPolicy("each Statement must be an object")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise InvalidPolicy("Effect must be Allow or Deny")
        _applies(statement, "")  # checks the shapes of Action and Resource
    return statements


def evaluate(document: Any, arn: str) -> Decision:
    """Allow only when an Allow statement matches and no Deny does (an explicit Deny always wins)."""
    allowed = False
    for statement in validate(document):
        if _applies(statement, arn):
            if statement["Effect"] == "Deny":
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY
