"""Queue attributes: the settable ones with AWS's ranges and defaults, checked as AWS checks them.

https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
(MaximumMessageSize: 1,024 bytes to 1 MiB, default 1 MiB since SQS raised its limit in 2025).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from overcast.arn import parse_arn
from overcast.events.queues.errors import InvalidAttributeName, InvalidAttributeValue

MAX_MESSAGE_BYTES = 1024 * 1024

# name -> (lowest, highest, default) for the integer attributes.
RANGES: dict[str, tuple[int, int, int]] = {
    "DelaySeconds": (0, 900, 0),
    "MaximumMessageSize": (1024, MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES),
    "MessageRetentionPeriod": (60, 1_209_600, 345_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20, 0),
    "VisibilityTimeout": (0, 43_200, 30),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400, 300),
}
TEXT = ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId")
BOOLEANS = ("SqsManagedSseEnabled", "FifoQueue", "ContentBasedDeduplication")
FIFO_ONLY = ("ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
CHOICES = {"DeduplicationScope": ("messageGroup", "queue"), "FifoThroughputLimit": ("perQueue", "perMessageGroupId")}
SETTABLE = frozenset({*RANGES, *TEXT, *BOOLEANS, *CHOICES})
COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
ALL_NAMES = frozenset({*SETTABLE, *COMPUTED})


def invalid(name: str, reason: str | None = None) -> InvalidAttributeValue:
    text = f"Invalid value for the parameter {name}."
    return InvalidAttributeValue(text if reason is None else f"Value for parameter {name} is invalid. Reason: {reason}")


def defaults(fifo: bool) -> dict[str, str]:
    values = {name: str(default) for name, (_, _, default) in RANGES.items()}
    values["SqsManagedSseEnabled"] = "true"  # SSE-SQS is on for new queues since 2022
    if fifo:
        values.update(
            FifoQueue="true",
            ContentBasedDeduplication="false",
            DeduplicationScope="queue",
            FifoThroughputLimit="perQueue",
        )
    return values


def checked(given: Mapping[str, str], fifo: bool, creating: bool) -> dict[str, str]:
    """The attributes `given` as they will be stored; raises AWS's error for the first that is wrong."""
    out: dict[str, str] = {}
    for name, raw in given.items():
        value = str(raw)
        if name not in SETTABLE:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        if name in RANGES:
            low, high, _ = RANGES[name]
            try:
                number = int(value)
            except ValueError:
                raise invalid(name) from None
            if not low <= number <= high:
                raise invalid(name)
            value = str(number)
        elif name in BOOLEANS:
            if value.lower() not in ("true", "false"):
                raise invalid(name)
            value = value.lower()
            if name == "FifoQueue":
                if not creating:
                    raise InvalidAttributeName(f"Unknown Attribute {name}.")  # it cannot change after creation
                if (value == "true") != fifo:
                    raise invalid(name)
        elif name in CHOICES:
            if value not in CHOICES[name]:
                raise invalid(name)
        elif name == "RedrivePolicy" and value:
            value = _redrive(value)
        elif name == "RedriveAllowPolicy" and value:
            _redrive_allow(value)
        elif name == "Policy" and value:
            _policy(value)
        if name in FIFO_ONLY and not fifo:
            raise InvalidAttributeName(f"Unknown Attribute {name}.")
        out[name] = value
    return out


def _json(name: str, text: str) -> dict[str, object]:
    try:
        document = json.loads(text)
    except ValueError:
        raise invalid(name, f"Invalid JSON for {name}: {text}") from None
    if not isinstance(document, dict):
        raise invalid(name, f"{name} must be a JSON object")
    return document


def _redrive(text: str) -> str:
    """https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"""
    document = _json("RedrivePolicy", text)
    target = document.get("deadLetterTargetArn")
    count = document.get("maxReceiveCount")
    if not isinstance(target, str) or count is None:
        raise invalid(
            "RedrivePolicy",
            "Redrive policy does not contain mandatory attribute: "
            + ("deadLetterTargetArn." if not isinstance(target, str) else "maxReceiveCount."),
        )
    arn = parse_arn(target)
    if arn is None or arn.service != "sqs":
        raise invalid("RedrivePolicy", f"Invalid value for deadLetterTargetArn: {target}")
    try:
        receives = int(str(count))
    except ValueError:
        raise invalid("RedrivePolicy", "Invalid value for maxReceiveCount: " + str(count)) from None
    if not 1 <= receives <= 1000:
        raise invalid("RedrivePolicy", f"Value {receives} for parameter maxReceiveCount is invalid.")
    # AWS answers the policy back with a numeric maxReceiveCount.
    return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": receives}, separators=(",", ":"))


def _redrive_allow(text: str) -> None:
    document = _json("RedriveAllowPolicy", text)
    permission = document.get("redrivePermission")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise invalid("RedriveAllowPolicy", "Invalid value for redrivePermission")
    sources = document.get("sourceQueueArns")
    if permission == "byQueue" and (not isinstance(sources, list) or not 1 <= len(sources) <= 10):
        raise invalid(
            "RedriveAllowPolicy", "sourceQueueArns must hold 1 to 10 queue ARNs when redrivePermission is byQueue"
        )
    if permission != "byQueue" and sources:
        raise invalid("RedriveAllowPolicy", "sourceQueueArns is allowed only when redrivePermission is byQueue")


def _policy(text: str) -> None:
    document = _json("Policy", text)
    if "Statement" not in document:
        raise invalid("Policy", "Invalid policy document: it has no Statement")


def check_together(values: Mapping[str, str]) -> None:
    """High throughput for FIFO queues: a per-group throughput limit needs deduplication per group.
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/high-throughput-fifo.html"""
    if values.get("FifoThroughputLimit") == "perMessageGroupId" and values.get("DeduplicationScope") != "messageGroup":
        raise invalid(
            "FifoThroughputLimit",
            "The perMessageGroupId value is allowed only when DeduplicationScope is messageGroup.",
        )
