"""ARNs: parsing and formatting `arn:partition:service:region:account:resource`, and ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: str) -> Arn | None:
    """The ARN's parts, or None when `text` is not an ARN."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def format_arn(service: str, region: str, account: str, resource: str, partition: str = "aws") -> str:
    return str(Arn(partition, service, region, account, resource))


def new_request_id() -> str:
    return str(uuid.uuid4())
