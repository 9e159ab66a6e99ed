"""Queue addresses: a queue named by URL (every form boto3 and the AWS CLI produce), ARN or name.

Overcast hands out AWS's local form `http://sqs.<region>.localhost:<port>/<account>/<name>` and accepts
that, the path form `http://localhost:<port>/<account>/<name>`, AWS's own hosts
(`https://sqs.<region>.amazonaws.com/<account>/<name>`, `https://queue.amazonaws.com/...`), LocalStack's
`/queue/<region>/<account>/<name>` paths, an ARN `arn:aws:sqs:<region>:<account>:<name>` or a bare name.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from overcast.arn import parse_arn

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")


@dataclass(frozen=True, slots=True)
class Address:
    """What a queue reference names: its name, and the account and region when it says them."""

    name: str
    account: str | None = None
    region: str | None = None


def parse(reference: str) -> Address | None:
    """The address in `reference`, or None when it names no queue."""
    text = reference.strip()
    if text.startswith("arn:"):
        arn = parse_arn(text)
        if arn is None or arn.service != "sqs" or ":" in arn.resource or "/" in arn.resource:
            return None
        return Address(arn.resource, arn.account or None, arn.region or None)
    if "/" not in text:
        return Address(text) if text else None
    parts = urlsplit(text if "://" in text else "http://" + text.lstrip("/"))
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None
    account, name = segments[-2], segments[-1]
    region = segments[-3] if len(segments) >= 4 and segments[-4] == "queue" else _region_of(parts.hostname or "")
    return Address(name, account, region)


def _region_of(host: str) -> str | None:
    labels = host.split(".")
    if len(labels) >= 3 and labels[0] == "sqs":
        return labels[1]
    return None


def valid_name(name: str, fifo: bool) -> bool:
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html: up to 80
    alphanumerics, hyphens and underscores; a FIFO queue's name ends with `.fifo` (counted in the 80)."""
    return bool(_FIFO_NAME.match(name) if fifo else _NAME.match(name))


def url_of(base: str, region: str, account: str, name: str) -> str:
    """AWS's local form of a queue URL on the server at `base` (`http://host:port`)."""
    parts = urlsplit(base)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'http'}://sqs.{region}.localhost{port}/{account}/{name}"
