"""Queue policies as AddPermission and RemovePermission change them: one statement per label.

Overcast stores a queue's Policy and answers it back; it does not evaluate it yet, so another account
naming the queue is denied whatever the policy grants.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_AddPermission.html
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from overcast.events.queues.errors import InvalidParameterValue


def _document(policy: str, queue_arn: str) -> dict[str, Any]:
    if policy:
        document: dict[str, Any] = json.loads(policy)
        return document
    return {"Version": "2012-10-17", "Id": f"{queue_arn}/SQSDefaultPolicy", "Statement": []}


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def with_permission(policy: str, queue_arn: str, label: str, accounts: Sequence[str], actions: Sequence[str]) -> str:
    document = _document(policy, queue_arn)
    statements = _statements(document)
    if any(s.get("Sid") == label for s in statements):
        raise InvalidParameterValue(f"Value {label} for parameter Label is invalid. Reason: Already exists.")
    principals = [f"arn:aws:iam::{account}:root" for account in accounts]
    statements.append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": [f"SQS:{a}" for a in actions] if len(actions) > 1 else f"SQS:{actions[0]}",
            "Resource": queue_arn,
        }
    )
    document["Statement"] = statements
    return json.dumps(document, separators=(",", ":"))


def without_permission(policy: str, queue_arn: str, label: str) -> str:
    document = _document(policy, queue_arn)
    statements = _statements(document)
    kept = [s for s in statements if s.get("Sid") != label]
    if len(kept) == len(statements):
        raise InvalidParameterValue(
            f"Value {label} for parameter Label is invalid. Reason: can't find label on existing policy."
        )
    if not kept:
        return ""
    document["Statement"] = kept
    return json.dumps(document, separators=(",", ":"))
