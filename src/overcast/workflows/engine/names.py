"""Names and ARNs of Step Functions resources: validation as AWS applies it, and ARN forms.

https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (names: 1-80 characters,
no whitespace, wildcards, brackets, special or control characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from overcast.arn import format_arn, parse_arn
from overcast.context import RequestContext
from overcast.workflows.engine.errors import InvalidArn, InvalidName

_BAD = re.compile(r"[\s?*<>{}\[\]\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def check_name(name: str) -> None:
    if not 1 <= len(name) <= 80 or _BAD.search(name):
        raise InvalidName(f"Invalid Name: '{name}'")


def machine_arn(ctx: RequestContext, name: str) -> str:
    return format_arn("states", ctx.region, ctx.account_id, f"stateMachine:{name}")


def activity_arn(ctx: RequestContext, name: str) -> str:
    return format_arn("states", ctx.region, ctx.account_id, f"activity:{name}")


def execution_arn(machine: str, name: str, express: bool = False) -> str:
    """`...:execution:<machine>:<name>`, or `...:express:<machine>:<name>:<id>` handled by the caller."""
    parts = parse_arn(machine)
    assert parts is not None
    machine_name = parts.resource.split(":")[1]
    kind = "express" if express else "execution"
    return format_arn("states", parts.region, parts.account, f"{kind}:{machine_name}:{name}", parts.partition)


@dataclass(frozen=True, slots=True)
class MachineRef:
    """A state machine ARN as StartExecution accepts it: the machine, one version, or one alias."""

    machine_arn: str
    version: int | None = None
    alias: str | None = None


def parse_machine_ref(arn: str, ctx: RequestContext | None = None) -> MachineRef:
    parts = parse_arn(arn)
    if parts is None or parts.service != "states" or not parts.resource.startswith("stateMachine:"):
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {arn}'")
    pieces = parts.resource.split(":")
    if len(pieces) < 2 or not pieces[1] or len(pieces) > 3:
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    base = format_arn("states", parts.region, parts.account, f"stateMachine:{pieces[1]}", parts.partition)
    if len(pieces) == 3:
        qualifier = pieces[2]
        if qualifier.isdigit():
            return MachineRef(base, version=int(qualifier))
        return MachineRef(base, alias=qualifier)
    return MachineRef(base)


def resource_kind(arn: str) -> str:
    """'stateMachine', 'activity', 'execution', 'express' ... for an ARN of this service."""
    parts = parse_arn(arn)
    if parts is None or parts.service != "states":
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return parts.resource.split(":", 1)[0]


def check_execution_arn(arn: str) -> None:
    if resource_kind(arn) not in ("execution", "express"):
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {arn}'")
