"""Resource-based policies of functions: who a policy's statements let call a function, as a pure function.

A function's policy (AddPermission writes its statements, functions/permissions.py keeps them) is
what lets a principal of another account, or an AWS service acting for a resource, use the function
(https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html). `allows` reads it
as IAM does for the parts Lambda's policies use
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny wins; otherwise one Allow statement whose Principal, Action and every Condition
match is enough. A condition on a key the request does not carry does not match, nor does an
operator this module does not know, so anything unrecognised denies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from overcast.arn import parse_arn
from overcast.context import Caller

INVOKE = "lambda:InvokeFunction"


def allows(statements: Sequence[Mapping[str, Any]], caller: Caller, action: str = INVOKE) -> bool:
    """Whether the policy made of `statements` lets `caller` perform `action` on the function it is attached to."""
    allowed = False
    for statement in statements:
        if not (_principal_matches(statement.get("Principal"), caller) and _action_matches(statement, action)):
            continue
        if not _conditions_hold(statement.get("Condition") or {}, caller):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(v) for v in value]
    return []


def _principal_matches(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if caller.is_service:
        return caller.principal in _values(principal.get("Service"))
    return any(_names(name, caller) for name in _values(principal.get("AWS")))


def _names(name: str, caller: Caller) -> bool:
    """Whether an `AWS` principal names the caller: "*", the caller's account (its id or its root ARN, which
    stand for every principal of the account), or the caller's own ARN (a role also names its sessions)."""
    if name in ("*", caller.account, caller.principal):
        return True
    named = parse_arn(name)
    if named is None or named.service != "iam" or named.account != caller.account:
        return False
    if named.resource == "root":
        return True
    session = parse_arn(caller.principal)
    if session is None or session.service != "sts" or not session.resource.startswith("assumed-role/"):
        return False
    # arn:aws:sts::<account>:assumed-role/<role>/<session> is a session of arn:aws:iam::<account>:role[/path]/<role>
    role = session.resource.split("/")[1]
    return named.resource.startswith("role/") and named.resource.rsplit("/", 1)[-1] == role


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    return any(_like(pattern, action, case_sensitive=False) for pattern in _values(statement.get("Action")))


def _like(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    """IAM's wildcard match: `*` any run of characters, `?` any one."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-separated parts is matched on its own
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN)."""
    patterns, values = pattern.split(":", 5), value.split(":", 5)
    return len(patterns) == len(values) == 6 and all(_like(p, v) for p, v in zip(patterns, values, strict=True))


_OPERATORS = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": _like,
    "ArnEquals": lambda pattern, value: pattern == value,
    "ArnLike": _arn_like,
}


def _conditions_hold(conditions: Mapping[str, Any], caller: Caller) -> bool:
    keys = caller.condition_keys()
    for operator, tests in conditions.items():
        compare = _OPERATORS.get(operator)
        if compare is None or not isinstance(tests, Mapping):
            return False
        for key, expected in tests.items():
            value = keys.get(key.lower())
            if value is None or not any(compare(pattern, value) for pattern in _values(expected)):
                return False
    return True
