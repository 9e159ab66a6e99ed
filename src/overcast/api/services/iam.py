"""IAM operations (query protocol): roles, their inline policies and tags, and instance profiles; the managed
policies' operations are in iam_policies.py. Botocore-named parameters in, the domain called, outputs out.

IAM answers policy documents URL-encoded (botocore and the CLI decode them); roles and policies are
stored with their documents and not enforced yet (enforcement comes with a later issue).
https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html
"""

from __future__ import annotations

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.api.services.iam_policies import HANDLERS as POLICY_HANDLERS
from overcast.api.services.iam_policies import document_out, page
from overcast.context import RequestContext
from overcast.iam import Iam
from overcast.iam.records import InstanceProfile, Role, moment
from overcast.kit.tags import from_pairs, to_pairs


def role_out(role: Role, full: bool = False) -> Output:
    """A Role; GetRole (`full`) adds RoleLastUsed and Tags, which ListRoles leaves out."""
    out: Output = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": role.arn,
        "CreateDate": moment(role.created_ms),
        "AssumeRolePolicyDocument": document_out(role.trust_policy),
        "MaxSessionDuration": role.max_session,
    }
    if role.description is not None:
        out["Description"] = role.description
    if role.boundary is not None:
        out["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": role.boundary}
    if full:
        if role.tags:
            out["Tags"] = to_pairs(role.tags)
        out["RoleLastUsed"] = {}  # Overcast does not record a role's use yet
    return out


def _profile_out(profile: InstanceProfile) -> Output:
    return {
        "Path": profile.path,
        "InstanceProfileName": profile.name,
        "InstanceProfileId": profile.id,
        "Arn": profile.arn,
        "CreateDate": moment(profile.created_ms),
        "Roles": [role_out(role) for role in profile.roles],
    }


async def create_role(s: Iam, ctx: RequestContext, p: Params) -> Output:
    boundary = p.get("PermissionsBoundary")
    role = await s.roles.create(
        ctx,
        p["RoleName"],
        p["AssumeRolePolicyDocument"],
        path=p.get("Path"),
        description=p.get("Description"),
        max_session=p.get("MaxSessionDuration"),
        role_tags=from_pairs(p.get("Tags", [])),
        boundary=None if boundary is None else await s.policies.boundary(ctx, boundary),
    )
    out = role_out(role, full=True)
    del out["RoleLastUsed"]  # CreateRole's answer has none (API_CreateRole.html, Response Elements)
    return {"Role": out}


async def get_role(s: Iam, ctx: RequestContext, p: Params) -> Output:
    return {"Role": role_out(await s.roles.get(ctx, p["RoleName"]), full=True)}


async def list_roles(s: Iam, ctx: RequestContext, p: Params) -> Output:
    roles, marker = await s.roles.page(ctx, p.get("PathPrefix"), p.get("MaxItems"), p.get("Marker"))
    return page("Roles", [role_out(r) for r in roles], marker)


async def update_role(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.roles.update(ctx, p["RoleName"], p.get("Description"), p.get("MaxSessionDuration"))
    return {}


async def update_role_description(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.roles.update(ctx, p["RoleName"], p["Description"], None)
    return {"Role": role_out(await s.roles.get(ctx, p["RoleName"]), full=True)}


async def update_assume_role_policy(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.roles.update_trust(ctx, p["RoleName"], p["PolicyDocument"])
    return {}


async def delete_role(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.roles.delete(ctx, p["RoleName"])
    return {}


async def tag_role(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.roles.tag(ctx, p["RoleName"], from_pairs(p["Tags"]))
    return {}


async def untag_role(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.roles.untag(ctx, p["RoleName"], p["TagKeys"])
    return {}


async def list_role_tags(s: Iam, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.roles.tags(ctx, p["RoleName"], p.get("MaxItems"), p.get("Marker"))
    return page("Tags", [{"Key": k, "Value": v} for k, v in found], marker)


async def put_role_policy(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.roles.put_policy(ctx, p["RoleName"], p["PolicyName"], p["PolicyDocument"])
    return {}


async def get_role_policy(s: Iam, ctx: RequestContext, p: Params) -> Output:
    role, name, document = await s.roles.get_policy(ctx, p["RoleName"], p["PolicyName"])
    return {"RoleName": role, "PolicyName": name, "PolicyDocument": document_out(document)}


async def delete_role_policy(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.roles.delete_policy(ctx, p["RoleName"], p["PolicyName"])
    return {}


async def list_role_policies(s: Iam, ctx: RequestContext, p: Params) -> Output:
    names, marker = await s.roles.policy_names(ctx, p["RoleName"], p.get("MaxItems"), p.get("Marker"))
    return page("PolicyNames", names, marker)


async def create_instance_profile(s: Iam, ctx: RequestContext, p: Params) -> Output:
    profile = await s.profiles.create(ctx, p["InstanceProfileName"], p.get("Path"), from_pairs(p.get("Tags", [])))
    return {"InstanceProfile": _profile_out(profile)}


async def get_instance_profile(s: Iam, ctx: RequestContext, p: Params) -> Output:
    return {"InstanceProfile": _profile_out(await s.profiles.get(ctx, p["InstanceProfileName"]))}


async def list_instance_profiles(s: Iam, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.profiles.page(ctx, p.get("PathPrefix"), p.get("MaxItems"), p.get("Marker"))
    return page("InstanceProfiles", [_profile_out(i) for i in found], marker)


async def list_instance_profiles_for_role(s: Iam, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.profiles.page(ctx, None, p.get("MaxItems"), p.get("Marker"), role=p["RoleName"])
    return page("InstanceProfiles", [_profile_out(i) for i in found], marker)


async def add_role_to_instance_profile(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.profiles.add_role(ctx, p["InstanceProfileName"], p["RoleName"])
    return {}


async def remove_role_from_instance_profile(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.profiles.remove_role(ctx, p["InstanceProfileName"], p["RoleName"])
    return {}


async def delete_instance_profile(s: Iam, ctx: RequestContext, p: Params) -> Output:
    await s.profiles.delete(ctx, p["InstanceProfileName"])
    return {}


HANDLERS: dict[str, Unbound[Iam]] = {
    "CreateRole": create_role,
    "GetRole": get_role,
    "ListRoles": list_roles,
    "UpdateRole": update_role,
    "UpdateRoleDescription": update_role_description,
    "UpdateAssumeRolePolicy": update_assume_role_policy,
    "DeleteRole": delete_role,
    "TagRole": tag_role,
    "UntagRole": untag_role,
    "ListRoleTags": list_role_tags,
    "PutRolePolicy": put_role_policy,
    "GetRolePolicy": get_role_policy,
    "DeleteRolePolicy": delete_role_policy,
    "ListRolePolicies": list_role_policies,
    "CreateInstanceProfile": create_instance_profile,
    "GetInstanceProfile": get_instance_profile,
    "ListInstanceProfiles": list_instance_profiles,
    "ListInstanceProfilesForRole": list_instance_profiles_for_role,
    "AddRoleToInstanceProfile": add_role_to_instance_profile,
    "RemoveRoleFromInstanceProfile": remove_role_from_instance_profile,
    "DeleteInstanceProfile": delete_instance_profile,
    **POLICY_HANDLERS,
}


def operations(iam: Iam) -> OperationTable:
    return bind(HANDLERS, iam)
