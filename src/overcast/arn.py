"""ARNs: parsing and formatting `arn:partition:service:region:account:resource`, and ids."""

from __future__ import annotations

import random
from dataclasses import dataclass

# Request ids need to be unique, not secret: a PRNG seeded from the OS, not os.urandom per id (a
# syscall that cost ~5 % of a warm invoke's CPU).
_ids = random.Random()


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
    """A random version-4 UUID, the form AWS request ids take."""
    bits = _ids.getrandbits(128) & ~(0xF000 << 64 | 0xC000 << 48) | (0x4000 << 64 | 0x8000 << 48)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
