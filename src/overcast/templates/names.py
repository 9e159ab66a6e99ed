"""Physical names CloudFormation gives resources whose templates name none: `<stack>-<logical id>-<suffix>`."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_uppercase + string.digits


def physical_name(stack_name: str, logical_id: str, max_length: int = 64) -> str:
    """`<stack name>-<logical id>-<12 random upper-case letters and digits>`, the stack name and logical id
    cut so that the whole fits `max_length`, as CloudFormation names them
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html)."""
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    room = max(2, max_length - len(suffix) - 2)
    stack_part = stack_name[: max(1, room // 2)] if len(stack_name) + len(logical_id) > room else stack_name
    logical_part = logical_id[: max(1, room - len(stack_part))]
    return f"{stack_part}-{logical_part}-{suffix}"[:max_length]
