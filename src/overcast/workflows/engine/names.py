"""Names and ARNs of Step Functions resources: validation as AWS applies it, and ARN forms.

https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (names: 1-80 characters,
no whitespace, wildcards, brackets, special or control characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from overcast.arn import Arn, format_arn, parse_arn
from overcast.context import RequestContext
from overcast.workflows.engine.errors import AccessDenied, InvalidArn, InvalidName

_BAD = re.compile(r"[\s?*<>{}\[\]\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def check_name(name: str) -> None:
    if not 1 <= len(name) <= 80 or _BAD.search(name):
        raise InvalidName(f"Invalid Name: '{name}'")


# An IAM role's ARN: arn:<partition>:iam::<account>:role/<path/>name
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html). CreateStateMachine and
# UpdateStateMachine refuse anything else with InvalidArn "Invalid Role Arn: '<arn>'"
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html, InvalidArn).
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/([!-.0-~]+/)*[a-zA-Z0-9_+=,.@-]{1,64}$")


def check_role_arn(arn: str) -> None:
    if not _ROLE.match(arn):
        raise InvalidArn(f"Invalid Role Arn: '{arn}'")


def machine_arn(ctx: RequestContext, name: str) -> str:
    return format_arn("states", ctx.region, ctx.account_id, f"stateMachine:{name}")


def activity_arn(ctx: RequestContext, name: str) -> str:
    return format_arn("states", ctx.region, ctx.account_id, f"activity:{name}")


def execution_arn(machine: str, name: str, express: bool = False) -> str:
    """`...:execution:<machine>:<name>`, or `...:express:<machine>:<name>:<id>` handled by the caller."""
    parts = _states_arn(machine)
    kind = "express" if express else "execution"
    return format_arn("states", parts.region, parts.account, f"{kind}:{parts.fields()[1]}:{name}", parts.partition)


def machine_name(arn: str) -> str:
    """The state machine's name in its ARN (or in one of its versions', aliases' or executions' ARNs)."""
    return _states_arn(arn).fields()[1]


def is_version(arn: str) -> bool:
    """Whether a state machine ARN names one of its versions (`...:stateMachine:<name>:<number>`)."""
    fields = _states_arn(arn).fields()
    return len(fields) == 3 and fields[2].isdigit()


def map_label(arn: str) -> tuple[str, str] | None:
    """(the state machine's ARN, the label) when `arn` names a Distributed Map state of one
    (`...:stateMachine:<name>/<label>`, API_DescribeStateMachine.html), else None."""
    parts = _states_arn(arn)
    fields = parts.fields()
    if parts.resource_type != "stateMachine" or len(fields) != 2 or "/" not in fields[1]:
        return None
    name, _, label = fields[1].partition("/")
    return format_arn("states", parts.region, parts.account, f"stateMachine:{name}", parts.partition), label


def owns(ctx: RequestContext, arn: str, kind: str | None = None) -> bool:
    """Whether an ARN of this service names a resource of the caller's region; another account's is refused.

    Without IAM's resource-based policies, nothing of another account can be reached: AWS answers
    AccessDeniedException there. An ARN of another region names nothing the caller can see. `kind` is the
    resource type the operation takes ('stateMachine', 'activity'); another type is an InvalidArn."""
    parts = _states_arn(arn)
    if kind is not None and parts.resource_type != kind:
        raise wrong_kind(parts.resource_type)
    if parts.account != ctx.account_id:
        raise AccessDenied(
            f"User: arn:{parts.partition}:iam::{ctx.account_id}:root is not authorized to perform: "
            f"states:{ctx.operation or 'access'} on resource: {arn}"
        )
    return parts.region == ctx.region


def context_of(arn: str) -> RequestContext:
    """The account and region a resource lives in, for what the engine does on its behalf (nested executions)."""
    parts = _states_arn(arn)
    return RequestContext(account_id=parts.account, region=parts.region)


def _states_arn(arn: str) -> Arn:
    parts = parse_arn(arn)
    if parts is None or parts.service != "states" or len(parts.fields()) < 2:
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return parts


@dataclass(frozen=True, slots=True)
class MachineRef:
    """A state machine ARN as StartExecution accepts it: the machine, one version, or one alias."""

    machine_arn: str
    version: int | None = None
    alias: str | None = None


def parse_machine_ref(arn: str, ctx: RequestContext | None = None) -> MachineRef:
    parts = _states_arn(arn)
    if parts.resource_type != "stateMachine":
        raise wrong_kind(parts.resource_type)
    pieces = parts.fields()
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
    return parts.resource_type


def check_execution_arn(arn: str) -> None:
    kind = _states_arn(arn).resource_type
    if kind not in ("execution", "express"):
        raise wrong_kind(kind)


def wrong_kind(kind: str) -> InvalidArn:
    """A well-formed ARN of this service that names another type of resource than the operation takes.

    AWS names the type, not the ARN: StartExecution given an execution's ARN answers "Invalid Arn:
    'Resource type not valid in this context: execution'" (AWS's message as clients record it; the API
    reference lists InvalidArn without its texts)."""
    return InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {kind}'")
