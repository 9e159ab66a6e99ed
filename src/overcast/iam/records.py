"""IAM's records as the domain hands them out, and the ids, ARNs and times IAM gives them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from overcast.arn import format_arn, partition_of

# An id is a four-letter prefix naming its kind and 17 characters of base32 (21 in all), as IAM's
# unique ids are (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes).
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
ROLE_PREFIX, POLICY_PREFIX, PROFILE_PREFIX = "AROA", "ANPA", "AIPA"
DEFAULT_MAX_SESSION = 3600  # seconds (API_CreateRole.html, MaxSessionDuration)


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(17))


def iam_arn(region: str, account: str, kind: str, path: str, name: str) -> str:
    """`arn:<partition>:iam::<account>:<kind><path><name>` (IAM's ARNs name no region)."""
    return format_arn("iam", "", account, f"{kind}{path}{name}", partition_of(region))


def moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    id: str
    arn: str
    path: str
    trust_policy: str  # the assume-role policy document as it was given
    description: str | None
    max_session: int
    created_ms: int
    tags: dict[str, str]
    boundary: str | None = None  # the ARN of the managed policy that is its permissions boundary (stored only)


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    """A managed policy: the account's own (`aws_managed` False) or one of AWS's."""

    name: str
    id: str
    arn: str
    path: str
    description: str | None
    default_version: str  # "v1"
    attachments: int
    created_ms: int
    updated_ms: int
    aws_managed: bool = False


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    version: str  # "v1"
    document: str
    is_default: bool
    created_ms: int


@dataclass(frozen=True, slots=True)
class InstanceProfile:
    name: str
    id: str
    arn: str
    path: str
    created_ms: int
    roles: tuple[Role, ...]  # none or one
