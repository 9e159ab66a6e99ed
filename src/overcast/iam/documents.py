"""Policy documents: checked as IAM checks them when a policy is stored (MalformedPolicyDocument), never
evaluated (enforcement comes with a later issue).

IAM's grammar (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html):
a JSON object with an optional Version ("2012-10-17" or "2008-10-17") and a Statement (one
statement or a list of them); each statement has an Effect of Allow or Deny and an Action or
NotAction. An identity policy names resources and no principal; a trust policy (a role's
AssumeRolePolicyDocument) names a principal and no resource. Size limits are IAM's quotas
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length),
counted without whitespace.
"""

from __future__ import annotations

import json
from typing import Any

from overcast.iam.errors import LimitExceeded, MalformedPolicyDocument

VERSIONS = ("2012-10-17", "2008-10-17")
_TOP = {"Version", "Id", "Statement"}
_STATEMENT = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
TRUST_SIZE, MANAGED_SIZE, INLINE_ROLE_SIZE = 2048, 6144, 10240


def _syntax() -> MalformedPolicyDocument:
    return MalformedPolicyDocument("Syntax errors in policy.")


def size(document: str) -> int:
    return sum(1 for ch in document if not ch.isspace())


def _parse(document: str) -> dict[str, Any]:
    try:
        parsed = json.loads(document)
    except ValueError:
        raise MalformedPolicyDocument("This policy contains invalid Json") from None
    if not isinstance(parsed, dict):
        raise MalformedPolicyDocument("This policy contains invalid Json")
    if set(parsed) - _TOP or "Statement" not in parsed:
        raise _syntax()
    if "Version" in parsed and parsed["Version"] not in VERSIONS:
        raise MalformedPolicyDocument("The policy failed legacy parsing")
    return parsed


def _statements(parsed: dict[str, Any]) -> list[dict[str, Any]]:
    statements = parsed["Statement"]
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements or not all(isinstance(s, dict) for s in statements):
        raise _syntax()
    for statement in statements:
        if set(statement) - _STATEMENT or statement.get("Effect") not in ("Allow", "Deny"):
            raise _syntax()
        if "Action" not in statement and "NotAction" not in statement:
            raise MalformedPolicyDocument("Policy statement must contain actions.")
    return statements


def check_identity_policy(document: str) -> None:
    """A managed or inline policy: resources, and no principal."""
    for statement in _statements(_parse(document)):
        if "Principal" in statement or "NotPrincipal" in statement:
            raise MalformedPolicyDocument("Policy document should not specify a principal.")
        if "Resource" not in statement and "NotResource" not in statement:
            raise MalformedPolicyDocument("Policy statement must contain resources.")


def check_trust_policy(document: str) -> None:
    """A role's trust policy: a principal, and no resource."""
    if size(document) > TRUST_SIZE:
        raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_SIZE}")
    for statement in _statements(_parse(document)):
        for field in ("Resource", "NotResource"):
            if field in statement:
                raise MalformedPolicyDocument(f"Has prohibited field {field}")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise MalformedPolicyDocument("Missing required field Principal")


def check_managed_policy(document: str) -> None:
    if size(document) > MANAGED_SIZE:
        raise LimitExceeded(f"Cannot exceed quota for PolicySize: {MANAGED_SIZE}")
    check_identity_policy(document)


def check_role_policy(document: str, role: str) -> None:
    if size(document) > INLINE_ROLE_SIZE:
        raise LimitExceeded(f"Maximum policy size of {INLINE_ROLE_SIZE} bytes exceeded for role {role}")
    check_identity_policy(document)
