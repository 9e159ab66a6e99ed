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

    def fields(self, separator: str = ":", most: int = -1) -> list[str]:
        """The resource's fields: `function:name:1` -> ["function", "name", "1"]; `/restapis/a` with "/"."""
        return self.resource.strip(separator).split(separator, most)

    @property
    def resource_type(self) -> str:
        """`function` of `function:name`, `restapis` of `/restapis/id`: the resource's first field."""
        return self.resource.lstrip("/").split("/", 1)[0].split(":", 1)[0]

    def owned_by(self, account: str, region: str) -> bool:
        """Whether this ARN names a resource of that account in that region (a global one: any region)."""
        return self.account == account and self.region in ("", region)


def parse_arn(text: str) -> Arn | None:
    """The ARN's parts, or None when `text` is not an ARN."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def format_arn(service: str, region: str, account: str, resource: str, partition: str | None = None) -> str:
    """An ARN in the region's own partition unless one is given."""
    return str(Arn(partition or partition_of(region), service, region, account, resource))


# Regions by partition prefix, longest first: the partitions of botocore's partitions.json (each
# partition's regionRegex; tests/test_arn.py checks every region it lists), including the AWS European
# Sovereign Cloud's `aws-eusc` (eusc-de-east-1)
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html#arns-syntax).
_PARTITIONS = (
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("eusc-", "aws-eusc"),
    ("cn-", "aws-cn"),
)


def partition_of(region: str) -> str:
    """`aws`, or the partition a region belongs to (`cn-north-1` -> `aws-cn`)."""
    for prefix, partition in _PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws"


# API Gateway names the function a Lambda integration calls inside a URI of its own
# (https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html, `uri`).
_INTEGRATION_PATH = "/functions/"
_INTEGRATION_END = "/invocations"


def integration_function(uri: str) -> str | None:
    """The function ARN (or name) inside `arn:<p>:apigateway:<region>:lambda:path/<date>/functions/<fn>/invocations`."""
    arn = parse_arn(uri)
    if arn is None or arn.service != "apigateway" or not arn.resource.startswith("path/"):
        return None
    start = arn.resource.find(_INTEGRATION_PATH)
    if start < 0 or not arn.resource.endswith(_INTEGRATION_END) or arn.account != "lambda":
        return None
    function = arn.resource[start + len(_INTEGRATION_PATH) : -len(_INTEGRATION_END)]
    return function or None


def log_group_of(arn: str) -> tuple[str, str, str] | None:
    """(account, region, log group name) of a CloudWatch Logs group ARN, with or without the `:*` that
    API Gateway and Step Functions accept at its end."""
    parts = parse_arn(arn)
    if parts is None or parts.service != "logs" or parts.resource_type != "log-group":
        return None
    name = parts.resource.partition(":")[2].removesuffix(":*")
    return (parts.account, parts.region, name) if name else None


def function_in_uri(uri: str) -> str:
    """The function a Lambda integration or authorizer URI names: the ARN inside an API Gateway
    integration URI (`integration_function`), or the URI itself (HTTP APIs take a function ARN)."""
    return integration_function(uri) or uri


def new_request_id() -> str:
    """A random version-4 UUID, the form AWS request ids take."""
    bits = _ids.getrandbits(128) & ~(0xF000 << 64 | 0xC000 << 48) | (0x4000 << 64 | 0x8000 << 48)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
