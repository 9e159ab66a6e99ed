"""IAM's managed policy operations: the account's policies and their versions, AWS's managed policies by
ARN, and their attachments to roles. Policies are stored, not enforced (enforcement comes later)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from overcast.api.services import Output, Params, Unbound
from overcast.context import RequestContext
from overcast.iam import Iam
from overcast.iam.records import ManagedPolicy, PolicyVersion, moment
from overcast.kit.tags import from_pairs


def document_out(document: str) -> str:
    """A policy document as IAM writes it: URL-encoded (RFC 3986); botocore and the CLI decode it."""
    return quote(document, safe="")


def page(key: str, items: list[Any], marker: str | None) -> Output:
    """IAM's list shape: the items, IsTruncated, and the Marker of the next page when there is one."""
    out: Output = {key: items, "IsTruncated": marker is not None}
    if marker is not None:
        out["Marker"] = marker
    return out


def _policy_out(policy: ManagedPolicy) -> Output:
    out: Output = {
        "PolicyName": policy.name,
        "PolicyId": policy.id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version,
        "AttachmentCount": policy.attachments,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": moment(policy.created_ms),
        "UpdateDate": moment(policy.updated_ms),
    }
    if policy.description:
        out["Description"] = policy.description
    return out


def _version_out(version: PolicyVersion) -> Output:
    return {
        "Document": document_out(version.document),
        "VersionId": version.version,
        "IsDefaultVersion": version.is_default,
        "CreateDate": moment(version.created_ms),
    }


async def create_policy(s: Iam, ctx: RequestContext, p: Params) -> Output:
    policy = await s.policies.create(
        ctx,
        p["PolicyName"],
        p["PolicyDocument"],
        path=p.get("Path"),
        description=p.get("Description"),
        policy_tags=from_pairs(p.get("Tags", [])),
    )
    out = _policy_out(policy)
    out.pop("Description", None)  # CreatePolicy's answer leaves it out (API_CreatePolicy.html)
    return {"Policy": out}


async def get_policy(s: Iam, ctx: RequestContext, p: Params) -> Output:
    return {"Policy": _policy_out(await s.policies.get(ctx, p["PolicyArn"]))}


async def list_policies(s: Iam, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.policies.page(
        ctx,
        p.get("Scope", "All"),
        bool(p.get("OnlyAttached", False)),
        p.get("PathPrefix"),
        p.get("MaxItems"),
        p.get("Marker"),
    )
    listed = []
    for policy in found:
        out = _policy_out(policy)
        out.pop("Description", None)  # ListPolicies does not return descriptions (API_ListPolicies.html)
        listed.append(out)
    return page("Policies", listed, marker)


async def delete_policy(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.policies.delete(ctx, p["PolicyArn"])
    return {}


async def create_policy_version(s: Iam, ctx: RequestContext, p: Params) -> Output:
    version = await s.policies.create_version(
        ctx, p["PolicyArn"], p["PolicyDocument"], bool(p.get("SetAsDefault", False))
    )
    out = _version_out(version)
    out.pop("Document")  # CreatePolicyVersion answers without the document
    return {"PolicyVersion": out}


async def get_policy_version(s: Iam, ctx: RequestContext, p: Params) -> Output:
    return {"PolicyVersion": _version_out(await s.policies.version(ctx, p["PolicyArn"], p["VersionId"]))}


async def list_policy_versions(s: Iam, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.policies.versions(ctx, p["PolicyArn"], p.get("MaxItems"), p.get("Marker"))
    return page("Versions", [_version_out(v) for v in found], marker)


async def delete_policy_version(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.policies.delete_version(ctx, p["PolicyArn"], p["VersionId"])
    return {}


async def set_default_policy_version(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.policies.set_default(ctx, p["PolicyArn"], p["VersionId"])
    return {}


async def attach_role_policy(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.attachments.attach(ctx, p["RoleName"], p["PolicyArn"])
    return {}


async def detach_role_policy(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.attachments.detach(ctx, p["RoleName"], p["PolicyArn"])
    return {}


async def list_attached_role_policies(s: Iam, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.attachments.attached(
        ctx, p["RoleName"], p.get("PathPrefix"), p.get("MaxItems"), p.get("Marker")
    )
    return page("AttachedPolicies", [{"PolicyName": n, "PolicyArn": a} for n, a in found], marker)


async def list_entities_for_policy(s: Iam, ctx: RequestContext, p: Params) -> Output:
    kind = p.get("EntityFilter")
    roles, marker = await s.attachments.roles_of(
        ctx, p["PolicyArn"], p.get("PathPrefix"), p.get("MaxItems"), p.get("Marker")
    )
    if kind not in (None, "Role", "LocalManagedPolicy", "AWSManagedPolicy"):
        roles, marker = [], None  # users and groups: Overcast has none yet
    out = page("PolicyRoles", [{"RoleName": r.name, "RoleId": r.id} for r in roles], marker)
    return out | {"PolicyGroups": [], "PolicyUsers": []}


HANDLERS: dict[str, Unbound[Iam]] = {
    "CreatePolicy": create_policy,
    "GetPolicy": get_policy,
    "ListPolicies": list_policies,
    "DeletePolicy": delete_policy,
    "CreatePolicyVersion": create_policy_version,
    "GetPolicyVersion": get_policy_version,
    "ListPolicyVersions": list_policy_versions,
    "DeletePolicyVersion": delete_policy_version,
    "SetDefaultPolicyVersion": set_default_policy_version,
    "AttachRolePolicy": attach_role_policy,
    "DetachRolePolicy": detach_role_policy,
    "ListAttachedRolePolicies": list_attached_role_policies,
    "ListEntitiesForPolicy": list_entities_for_policy,
}
