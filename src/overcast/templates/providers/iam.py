"""IAM's CloudFormation types: AWS::IAM::Role and AWS::IAM::InstanceProfile here, the policy types in iam_policies.

Over IAM's own domain (`overcast.iam`), so a role a stack makes is what CreateRole, PutRolePolicy and
AttachRolePolicy would have made (same checks, same errors, same records). A role's trust policy and
permission policies are stored, not enforced: a function running with the role may call anything (enforcement
comes with a later issue). Properties, Ref and Fn::GetAtt as the template reference documents each type
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html and
aws-resource-iam-instanceprofile.html). RoleName, Path and InstanceProfileName are create-only (the engine
replaces the resource when they change); every other property changes in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.iam.errors import NoSuchEntity
from overcast.templates.providers.base import Made, Providers, ResourceRequest
from overcast.templates.providers.iam_policies import (
    PAGE,
    IamOf,
    ManagedPolicyProvider,
    PolicyProvider,
    RolePolicyProvider,
    detach,
    every,
    names,
    policy_document,
    same_document,
)

if TYPE_CHECKING:
    from overcast.iam import Iam
    from overcast.iam.records import Role

# "RoleName ... Maximum: 64" (aws-resource-iam-role.html); "InstanceProfileName ... Maximum: 128"
# (aws-resource-iam-instanceprofile.html).
ROLE_NAME_LENGTH, PROFILE_NAME_LENGTH = 64, 128


def _tags(properties: Mapping[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in properties.get("Tags") or []}


def _inline(properties: Mapping[str, Any]) -> dict[str, Any]:
    """Policies, by PolicyName: each {PolicyName, PolicyDocument} (aws-properties-iam-role-policy.html)."""
    return {str(p["PolicyName"]): p["PolicyDocument"] for p in properties.get("Policies") or []}


def _role_made(role: Role) -> Made:
    """Ref is the role's name; Fn::GetAtt Arn and RoleId (aws-resource-iam-role.html, Return values)."""
    return Made(role.name, {"Arn": role.arn, "RoleId": role.id})


class RoleProvider:
    """AWS::IAM::Role with its inline Policies, ManagedPolicyArns attached, PermissionsBoundary and Tags."""

    def __init__(self, iam: IamOf) -> None:
        self.iam = iam

    async def create(self, request: ResourceRequest) -> Made:
        p, ctx = request.properties, request.ctx
        iam = await self.iam()
        name = str(p.get("RoleName") or request.physical_name(ROLE_NAME_LENGTH))
        boundary = p.get("PermissionsBoundary")
        description, seconds = p.get("Description"), p.get("MaxSessionDuration")
        role = await iam.roles.create(
            ctx,
            name,
            policy_document(p["AssumeRolePolicyDocument"]),
            p.get("Path"),
            None if description is None else str(description),
            None if seconds is None else int(seconds),
            _tags(p),
            None if boundary is None else await iam.policies.boundary(ctx, str(boundary)),
        )
        try:
            for policy, document in _inline(p).items():
                await iam.roles.put_policy(ctx, name, policy, policy_document(document))
            for arn in names(p.get("ManagedPolicyArns")):
                await iam.attachments.attach(ctx, name, arn)
        except Exception:
            await _remove_role(iam, ctx, name)  # nothing half made is left behind
            raise
        return _role_made(role)

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p, ctx, name = request.properties, request.ctx, current.ref
        iam = await self.iam()
        if (p.get("Description"), p.get("MaxSessionDuration")) != (
            previous.get("Description"),
            previous.get("MaxSessionDuration"),
        ):
            # UpdateRole: a removed description is an empty one, a removed maximum IAM's default of an hour
            described, seconds = p.get("Description"), p.get("MaxSessionDuration")
            description = str(described) if described is not None else "" if "Description" in previous else None
            await iam.roles.update(ctx, name, description, int(seconds or 3600))
        if not same_document(previous.get("AssumeRolePolicyDocument"), p["AssumeRolePolicyDocument"]):
            await iam.roles.update_trust(ctx, name, policy_document(p["AssumeRolePolicyDocument"]))
        if previous.get("PermissionsBoundary") != p.get("PermissionsBoundary"):
            boundary = p.get("PermissionsBoundary")
            await iam.roles.set_boundary(
                ctx, name, None if boundary is None else await iam.policies.boundary(ctx, str(boundary))
            )
        old_inline, new_inline = _inline(previous), _inline(p)
        for policy, document in new_inline.items():
            if policy not in old_inline or not same_document(old_inline[policy], document):
                await iam.roles.put_policy(ctx, name, policy, policy_document(document))
        for policy in old_inline.keys() - new_inline.keys():
            await iam.roles.delete_policy(ctx, name, policy)
        old_arns, new_arns = names(previous.get("ManagedPolicyArns")), names(p.get("ManagedPolicyArns"))
        for arn in old_arns:  # detached first, so a swap never passes IAM's ten policies a role
            if arn not in new_arns:
                await detach(iam, ctx, name, arn)
        for arn in new_arns:
            if arn not in old_arns:
                await iam.attachments.attach(ctx, name, arn)
        old_tags, new_tags = _tags(previous), _tags(p)
        if gone := [key for key in old_tags if key not in new_tags]:
            await iam.roles.untag(ctx, name, gone)
        if changed := {key: value for key, value in new_tags.items() if old_tags.get(key) != value}:
            await iam.roles.tag(ctx, name, changed)
        return _role_made(await iam.roles.get(ctx, name))

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        await _remove_role(await self.iam(), request.ctx, current.ref)


async def _remove_role(iam: Iam, ctx: RequestContext, name: str) -> None:
    """DeleteRole, after what DeleteRole's DeleteConflict would refuse it for is undone: its inline policies
    deleted, its managed policies detached and its instance profiles emptied of it
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html). A role already gone is not an
    error: CloudFormation deletes idempotently."""
    try:
        for policy in await every(lambda marker: iam.roles.policy_names(ctx, name, PAGE, marker)):
            await iam.roles.delete_policy(ctx, name, policy)
        for _, arn in await every(lambda marker: iam.attachments.attached(ctx, name, None, PAGE, marker)):
            await iam.attachments.detach(ctx, name, arn)
        for profile in await every(lambda marker: iam.profiles.page(ctx, None, PAGE, marker, role=name)):
            await iam.profiles.remove_role(ctx, profile.name, name)
        await iam.roles.delete(ctx, name)
    except NoSuchEntity:
        return None


class InstanceProfileProvider:
    """AWS::IAM::InstanceProfile and the role it holds (IAM allows one). Ref is its name, Fn::GetAtt Arn its
    ARN (aws-resource-iam-instanceprofile.html, Return values)."""

    def __init__(self, iam: IamOf) -> None:
        self.iam = iam

    async def create(self, request: ResourceRequest) -> Made:
        p, ctx = request.properties, request.ctx
        iam = await self.iam()
        name = str(p.get("InstanceProfileName") or request.physical_name(PROFILE_NAME_LENGTH))
        profile = await iam.profiles.create(ctx, name, p.get("Path"))
        try:
            for role in names(p.get("Roles")):
                await iam.profiles.add_role(ctx, name, role)
        except Exception:
            await _remove_profile(iam, ctx, name)  # nothing half made is left behind
            raise
        return Made(profile.name, {"Arn": profile.arn})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        ctx, name = request.ctx, current.ref
        iam = await self.iam()
        old = {role.lower(): role for role in names(previous.get("Roles"))}
        new = {role.lower(): role for role in names(request.properties.get("Roles"))}
        for key, role in old.items():
            if key not in new:
                # a role gone already (its own stack resource replaced or deleted) is not in it any more
                with contextlib.suppress(NoSuchEntity):
                    await iam.profiles.remove_role(ctx, name, role)
        for key, role in new.items():
            if key not in old:
                await iam.profiles.add_role(ctx, name, role)
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        await _remove_profile(await self.iam(), request.ctx, current.ref)


async def _remove_profile(iam: Iam, ctx: RequestContext, name: str) -> None:
    """DeleteInstanceProfile, its role removed first; a profile already gone is not an error."""
    try:
        for role in (await iam.profiles.get(ctx, name)).roles:
            await iam.profiles.remove_role(ctx, name, role.name)
        await iam.profiles.delete(ctx, name)
    except NoSuchEntity:
        return None


def register(providers: Providers, iam: IamOf) -> None:
    """IAM's types, over `iam()`: the composition root's way to IAM, which builds it on a stack's first use."""
    providers.add("AWS::IAM::Role", RoleProvider(iam))
    providers.add("AWS::IAM::Policy", PolicyProvider(iam))
    providers.add("AWS::IAM::RolePolicy", RolePolicyProvider(iam))
    providers.add("AWS::IAM::ManagedPolicy", ManagedPolicyProvider(iam))
    providers.add("AWS::IAM::InstanceProfile", InstanceProfileProvider(iam))
