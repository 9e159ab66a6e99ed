"""AWS managed policies (`arn:aws:iam::aws:policy/...`): read from managed_policies.json, the same in every
account, attachable and readable as on AWS.

The file holds the policies SAM's templates and common templates attach, each with its path, times,
default version and document as AWS's managed policy reference shows them
(https://docs.aws.amazon.com/aws-managed-policy/latest/reference/). Their ids are made from their names
(stable across runs); AWS's own ids are not published.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from overcast.arn import parse_arn
from overcast.iam.records import POLICY_PREFIX

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
AWS_ACCOUNT = "aws"  # the account field of an AWS managed policy's ARN


@dataclass(frozen=True, slots=True)
class AwsPolicy:
    name: str
    path: str
    id: str
    description: str
    version: str  # the default version, "v3"
    document: str
    created_ms: int
    updated_ms: int

    def arn(self, partition: str) -> str:
        return f"arn:{partition}:iam::{AWS_ACCOUNT}:policy{self.path}{self.name}"


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _id(name: str) -> str:
    digest = hashlib.blake2b(name.encode(), digest_size=17).digest()
    return POLICY_PREFIX + "".join(_ALPHABET[b % 32] for b in digest)


@functools.cache
def aws_policies() -> dict[str, AwsPolicy]:
    """By path and name (`/service-role/AWSLambdaBasicExecutionRole`)."""
    data = json.loads((Path(__file__).parent / "managed_policies.json").read_text())
    found = {}
    for p in data["policies"]:
        policy = AwsPolicy(
            name=p["name"],
            path=p["path"],
            id=_id(p["name"]),
            description=p["description"],
            version=p["version"],
            document=json.dumps(p["document"], indent=4),
            created_ms=_ms(p["created"]),
            updated_ms=_ms(p["updated"]),
        )
        found[policy.path + policy.name] = policy
    return found


def is_aws_arn(arn: str) -> bool:
    parsed = parse_arn(arn)
    return parsed is not None and parsed.service == "iam" and parsed.account == AWS_ACCOUNT


def aws_policy(arn: str) -> AwsPolicy | None:
    """The AWS managed policy `arn` names, if Overcast has it."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.account != AWS_ACCOUNT or not parsed.resource.startswith("policy/"):
        return None
    return aws_policies().get(parsed.resource[len("policy") :])
