"""IAM's policy types for stacks: AWS::IAM::Policy, AWS::IAM::RolePolicy and AWS::IAM::ManagedPolicy.

Over IAM's own domain (`overcast.iam`), so a policy a stack makes is what PutRolePolicy or CreatePolicy would
have made (same checks, same errors). Documents are stored, never enforced (enforcement comes with a later
issue). Properties, Ref and Fn::GetAtt as the template reference documents each type
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_IAM.html).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from overcast.context import RequestContext
from overcast.iam.errors import IamValidationError, NoSuchEntity
from overcast.iam.names import version_number
from overcast.templates.providers.base import Made, ResourceRequest

if TYPE_CHECKING:
    from overcast.iam import Iam
    from overcast.iam.records import ManagedPolicy

# IAM is built on its first use (parts.py): its providers are given a way to reach it that builds it if need be.
IamOf = Callable[[], Awaitable["Iam"]]
T = TypeVar("T")
PAGE = 1000  # the most IAM serves in one page

# "ManagedPolicyName ... Maximum: 128" (aws-resource-iam-managedpolicy.html)
MANAGED_POLICY_NAME_LENGTH = 128


def policy_document(value: Any) -> str:
    """A document as IAM stores it: a template's object as JSON, a string as given ("CloudFormation always
    converts a YAML policy to JSON format before submitting it to IAM", aws-resource-iam-rolepolicy.html)."""
    return value if isinstance(value, str) else json.dumps(value)


def same_document(old: Any, new: Any) -> bool:
    """Whether two documents say the same, one given as an object and the other as its JSON text or not."""

    def parsed(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    return bool(parsed(old) == parsed(new))


def names(given: Any) -> list[str]:
    """A list property of names (Roles ...), as strings, once each in order."""
    return list(dict.fromkeys(str(name) for name in given or ()))


def refuse_users_and_groups(resource_type: str, properties: Mapping[str, Any]) -> None:
    """Users and Groups name IAM users and groups, which Overcast's IAM does not have yet: refused before
    anything is made, rather than dropped."""
    for field in ("Users", "Groups"):
        if properties.get(field):
            raise IamValidationError(
                f"{resource_type} {field} needs IAM {field.lower()}, which Overcast does not have yet: "
                "attach the policy to Roles instead."
            )


async def every(fetch: Callable[[str | None], Awaitable[tuple[list[T], str | None]]]) -> list[T]:
    """Every item of a paged IAM list, page by page."""
    found: list[T] = []
    marker: str | None = None
    while True:
        page, marker = await fetch(marker)
        found.extend(page)
        if marker is None:
            return found


def _by_name(roles: Iterable[str]) -> dict[str, str]:
    """Role names by their lower-case form: IAM's names are case-insensitive."""
    return {role.lower(): role for role in roles}


def _policy_roles(resource_type: str, properties: Mapping[str, Any]) -> list[str]:
    """An AWS::IAM::Policy's Roles: "you must specify at least one of these properties" (Groups, Roles, Users;
    aws-resource-iam-policy.html), and only Roles are served yet."""
    refuse_users_and_groups(resource_type, properties)
    roles = names(properties.get("Roles"))
    if not roles:
        raise IamValidationError("At least one of [Groups, Roles, Users] must be specified.")
    return roles


class PolicyProvider:
    """AWS::IAM::Policy: one inline policy put in each of its Roles (aws-resource-iam-policy.html). Ref and
    Fn::GetAtt Id are the physical id CloudFormation makes for it (`<stack>-<logical id>-<suffix>`)."""

    def __init__(self, iam: IamOf) -> None:
        self.iam = iam

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        roles = _policy_roles(request.resource_type, p)
        iam, name, document = await self.iam(), str(p["PolicyName"]), policy_document(p["PolicyDocument"])
        done: list[str] = []
        try:
            for role in roles:
                await iam.roles.put_policy(request.ctx, role, name, document)
                done.append(role)
        except Exception:
            await _delete_inline(iam, request.ctx, done, name)  # nothing half made is left behind
            raise
        physical = request.physical_name()
        return Made(physical, {"Id": physical})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p = request.properties
        new_roles = _policy_roles(request.resource_type, p)
        iam, name, document = await self.iam(), str(p["PolicyName"]), policy_document(p["PolicyDocument"])
        old_name, old_roles = str(previous["PolicyName"]), names(previous.get("Roles"))
        for role in new_roles:
            await iam.roles.put_policy(request.ctx, role, name, document)
        kept = _by_name(new_roles) if old_name == name else {}
        await _delete_inline(iam, request.ctx, [r for r in old_roles if r.lower() not in kept], old_name)
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        p = request.properties
        await _delete_inline(await self.iam(), request.ctx, names(p.get("Roles")), str(p.get("PolicyName", "")))


class RolePolicyProvider:
    """AWS::IAM::RolePolicy: one inline policy of one role (aws-resource-iam-rolepolicy.html). PolicyName and
    RoleName are create-only, so an update is a new document. The page documents no Ref value; Ref is the
    type's primary identifier, `<PolicyName>|<RoleName>`, as CloudFormation joins a compound identifier."""

    def __init__(self, iam: IamOf) -> None:
        self.iam = iam

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        name, role = str(p["PolicyName"]), str(p["RoleName"])
        await (await self.iam()).roles.put_policy(request.ctx, role, name, policy_document(p["PolicyDocument"]))
        return Made(f"{name}|{role}")

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p = request.properties
        await (await self.iam()).roles.put_policy(
            request.ctx, str(p["RoleName"]), str(p["PolicyName"]), policy_document(p["PolicyDocument"])
        )
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        name, _, role = current.ref.partition("|")
        await _delete_inline(await self.iam(), request.ctx, [role], name)


async def _delete_inline(iam: Iam, ctx: RequestContext, roles: Iterable[str], name: str) -> None:
    """DeleteRolePolicy of `name` in each of `roles`; a role or policy already gone is not an error."""
    for role in roles:
        with contextlib.suppress(NoSuchEntity):
            await iam.roles.delete_policy(ctx, role, name)


def _timestamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def managed_policy_made(policy: ManagedPolicy) -> Made:
    """Ref is the policy's ARN; Fn::GetAtt as aws-resource-iam-managedpolicy.html lists them."""
    return Made(
        policy.arn,
        {
            "AttachmentCount": policy.attachments,
            "CreateDate": _timestamp(policy.created_ms),
            "DefaultVersionId": policy.default_version,
            "IsAttachable": True,
            "PermissionsBoundaryUsageCount": 0,  # boundaries are stored, not counted yet
            "PolicyArn": policy.arn,
            "PolicyId": policy.id,
            "UpdateDate": _timestamp(policy.updated_ms),
        },
    )


class ManagedPolicyProvider:
    """AWS::IAM::ManagedPolicy: a customer managed policy, attached to its Roles (aws-resource-iam-managedpolicy.html).

    ManagedPolicyName, Path and Description are create-only. A new PolicyDocument is a new default version;
    when the policy already has IAM's five versions (access_policies_managed-versioning.html), the oldest
    version that is not the default is deleted first, as CloudFormation's handler does, so a stack's sixth
    change of the document does not fail on IAM's limit."""

    def __init__(self, iam: IamOf) -> None:
        self.iam = iam

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        refuse_users_and_groups(request.resource_type, p)
        iam = await self.iam()
        name = str(p.get("ManagedPolicyName") or request.physical_name(MANAGED_POLICY_NAME_LENGTH))
        description = p.get("Description")
        policy = await iam.policies.create(
            request.ctx,
            name,
            policy_document(p["PolicyDocument"]),
            p.get("Path"),
            None if description is None else str(description),
        )
        try:
            for role in names(p.get("Roles")):
                await iam.attachments.attach(request.ctx, role, policy.arn)
        except Exception:
            await self._remove(iam, request.ctx, policy.arn)  # nothing half made is left behind
            raise
        return managed_policy_made(await iam.policies.get(request.ctx, policy.arn))

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p, ctx, arn = request.properties, request.ctx, current.ref
        refuse_users_and_groups(request.resource_type, p)
        iam = await self.iam()
        if not same_document(previous.get("PolicyDocument"), p["PolicyDocument"]):
            versions = await every(lambda marker: iam.policies.versions(ctx, arn, PAGE, marker))
            if len(versions) >= 5:  # IAM keeps five versions (access_policies_managed-versioning.html)
                oldest = min((v for v in versions if not v.is_default), key=lambda v: version_number(v.version))
                await iam.policies.delete_version(ctx, arn, oldest.version)
            await iam.policies.create_version(ctx, arn, policy_document(p["PolicyDocument"]), make_default=True)
        old, new = _by_name(names(previous.get("Roles"))), _by_name(names(p.get("Roles")))
        for key, role in old.items():
            if key not in new:
                await detach(iam, ctx, role, arn)
        for key, role in new.items():
            if key not in old:
                await iam.attachments.attach(ctx, role, arn)
        return managed_policy_made(await iam.policies.get(ctx, arn))

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        await self._remove(await self.iam(), request.ctx, current.ref)

    @staticmethod
    async def _remove(iam: Iam, ctx: RequestContext, arn: str) -> None:
        """Detached from every role and its older versions deleted first, so DeletePolicy's DeleteConflict
        never blocks a stack's delete; a policy already gone is not an error."""
        try:
            for role in await every(lambda marker: iam.attachments.roles_of(ctx, arn, None, PAGE, marker)):
                await detach(iam, ctx, role.name, arn)
            for version in await every(lambda marker: iam.policies.versions(ctx, arn, PAGE, marker)):
                if not version.is_default:
                    await iam.policies.delete_version(ctx, arn, version.version)
            await iam.policies.delete(ctx, arn)
        except NoSuchEntity:
            return None


async def detach(iam: Iam, ctx: RequestContext, role: str, arn: str) -> None:
    """DetachRolePolicy; a role already gone, or the policy no longer attached, is not an error."""
    with contextlib.suppress(NoSuchEntity):
        await iam.attachments.detach(ctx, role, arn)
