"""IAM's resource providers over IAM's real domain and store: what a stack's Role, Policy, RolePolicy,
ManagedPolicy and InstanceProfile make, change in place and remove, with Ref and Fn::GetAtt as AWS documents
them, and (through a real server in this process) what boto3's IAM client then sees."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from overcast import iam
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.iam import Iam
from overcast.iam.errors import IamValidationError, NoSuchEntity
from overcast.store import Store
from overcast.templates.intrinsics import resolve
from overcast.templates.providers.base import Made, Provider, Providers, ResourceRequest
from overcast.templates.providers.iam import register
from overcast.templates.sam import transform
from tests.in_process import call, serving
from tests.templates.scope import PSEUDO, Created, scope

CTX = RequestContext(account_id="111111111111", region="us-east-1")
STACK_ID = "arn:aws:cloudformation:us-east-1:111111111111:stack/app/0f1e2d3c-0000-4000-8000-000000000000"
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}
    ],
}
LOGS: dict[str, Any] = {"Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
TABLE = "arn:aws:dynamodb:us-east-1:111111111111:table/app-Table-1ABC"
# The role aws-sam-translator makes for `AWS::Serverless::Function` with no Role and
# `Policies: [DynamoDBCrudPolicy: {TableName: !Ref Table}]`, its intrinsics resolved as the engine resolves them
# (test_every_role_sams_transform_makes_is_made_as_it_is_written checks it against the translator's output).
SAM_ROLE: dict[str, Any] = {
    "AssumeRolePolicyDocument": TRUST,
    "ManagedPolicyArns": [BASIC],
    "Policies": [
        {
            "PolicyName": "FnRolePolicy0",
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan",
                                   "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem",
                                   "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"],
                        "Effect": "Allow",
                        "Resource": [TABLE, f"{TABLE}/index/*"],
                    }
                ]
            },
        }
    ],
    "Tags": [{"Key": "lambda:createdBy", "Value": "SAM"}],
}  # fmt: skip


def request(resource_type: str, logical_id: str, properties: dict[str, Any], stack: str = "app") -> ResourceRequest:
    """What the engine hands a provider for one resource of stack `stack`."""
    return ResourceRequest(CTX, stack, STACK_ID, logical_id, resource_type, properties)


class Stack:
    """IAM's providers as the engine reaches them: through the registry, by type."""

    def __init__(self, built: Iam) -> None:
        async def iam_of() -> Iam:
            return built

        self.iam = built
        self.providers = Providers()
        register(self.providers, iam_of)

    def _provider(self, resource_type: str) -> Provider:
        found = self.providers.get(resource_type)
        assert found is not None, resource_type
        return found

    async def create(
        self, resource_type: str, logical_id: str, properties: dict[str, Any], stack_name: str = "app"
    ) -> Made:
        return await self._provider(resource_type).create(request(resource_type, logical_id, properties, stack_name))

    async def update(
        self, resource_type: str, logical_id: str, properties: dict[str, Any], current: Made, previous: dict[str, Any]
    ) -> Made:
        return await self._provider(resource_type).update(
            request(resource_type, logical_id, properties), current, previous
        )

    async def delete(self, resource_type: str, logical_id: str, properties: dict[str, Any], current: Made) -> None:
        await self._provider(resource_type).delete(request(resource_type, logical_id, properties), current)


@pytest.fixture
async def stack(sqlite_store: Store) -> Stack:
    return Stack(await iam.build(sqlite_store, FakeClock()))


async def _inline(built: Iam, role: str) -> dict[str, Any]:
    names, _ = await built.roles.policy_names(CTX, role, None, None)
    return {name: json.loads((await built.roles.get_policy(CTX, role, name))[2]) for name in names}


async def _attached(built: Iam, role: str) -> set[str]:
    return {arn for _, arn in (await built.attachments.attached(CTX, role, None, None, None))[0]}


def test_the_five_types_are_registered() -> None:
    providers = Providers()
    register(providers, lambda: None)  # type: ignore[arg-type,return-value]
    assert providers.types() == {
        "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy",
        "AWS::IAM::InstanceProfile",
    }  # fmt: skip


async def test_sams_function_role_is_made_with_a_physical_name_its_policies_and_tags(stack: Stack) -> None:
    made = await stack.create("AWS::IAM::Role", "FnRole", SAM_ROLE)
    # Ref is the role's name; CloudFormation names an unnamed role `<stack>-<logical id>-<suffix>`, 64 at most
    assert re.fullmatch(r"app-FnRole-[A-Z0-9]{12}", made.ref)
    role = await stack.iam.roles.get(CTX, made.ref)
    assert made.attributes == {"Arn": f"arn:aws:iam::111111111111:role/{made.ref}", "RoleId": role.id}
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", role.id)
    assert json.loads(role.trust_policy) == TRUST and role.tags == {"lambda:createdBy": "SAM"}
    assert role.max_session == 3600 and role.path == "/"
    assert await _attached(stack.iam, made.ref) == {BASIC}
    assert await _inline(stack.iam, made.ref) == {"FnRolePolicy0": SAM_ROLE["Policies"][0]["PolicyDocument"]}

    long = await stack.create("AWS::IAM::Role", "AVeryLongLogicalIdForTheFunctionsRole" * 2, SAM_ROLE, "s" * 100)
    assert len(long.ref) == 64


async def test_every_role_sams_transform_makes_is_made_as_it_is_written(stack: Stack) -> None:
    """aws-sam-translator's own output: a role for each function without one, policy templates inline."""
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Table": {"Type": "AWS::Serverless::SimpleTable"},
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {
                "Handler": "app.handler", "Runtime": "python3.13", "CodeUri": "s3://overcast-artifacts/a.zip",
                "Policies": [{"DynamoDBCrudPolicy": {"TableName": {"Ref": "Table"}}}],
            }},
            "Plain": {"Type": "AWS::Serverless::Function", "Properties": {
                "Handler": "app.handler", "Runtime": "python3.13", "CodeUri": "s3://overcast-artifacts/a.zip",
            }},
        },
    }  # fmt: skip
    resources = transform(template, CTX.region, CTX.account_id)["Resources"]
    resolved = scope(
        pseudo={**PSEUDO, "AWS::AccountId": CTX.account_id}, resources=Created(refs={"Table": "app-Table-1ABC"})
    )
    roles = {lid: resolve(r["Properties"], resolved) for lid, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    assert set(roles) == {"FnRole", "PlainRole"} and roles["FnRole"] == SAM_ROLE
    for logical_id, props in roles.items():
        made = await stack.create("AWS::IAM::Role", logical_id, props)
        role = await stack.iam.roles.get(CTX, made.ref)
        assert role.tags == {"lambda:createdBy": "SAM"} and await _attached(stack.iam, made.ref) == {BASIC}
        documents = {p["PolicyName"]: p["PolicyDocument"] for p in props.get("Policies", [])}
        assert await _inline(stack.iam, made.ref) == documents


async def test_a_role_is_named_pathed_and_bounded_as_its_template_says(stack: Stack) -> None:
    props = {
        "RoleName": "worker", "Path": "/app/", "Description": "runs jobs", "MaxSessionDuration": "7200",
        "AssumeRolePolicyDocument": json.dumps(TRUST),  # a string is a document too
        "PermissionsBoundary": BASIC,
    }  # fmt: skip
    made = await stack.create("AWS::IAM::Role", "Worker", props)
    assert made.ref == "worker" and made.attributes["Arn"] == "arn:aws:iam::111111111111:role/app/worker"
    role = await stack.iam.roles.get(CTX, "worker")
    assert (role.description, role.max_session, role.boundary) == ("runs jobs", 7200, BASIC)


async def test_a_role_changes_in_place_what_iam_lets_change(stack: Stack) -> None:
    made = await stack.create("AWS::IAM::Role", "FnRole", SAM_ROLE)
    policy = await stack.create("AWS::IAM::ManagedPolicy", "Mine", {"PolicyDocument": LOGS})
    states = {**TRUST["Statement"][0], "Principal": {"Service": "states.amazonaws.com"}}
    trust = {**TRUST, "Statement": [*TRUST["Statement"], states]}
    changed = {
        **SAM_ROLE,
        "Description": "now described",
        "MaxSessionDuration": 7200,
        "AssumeRolePolicyDocument": trust,
        "PermissionsBoundary": policy.ref,
        "ManagedPolicyArns": [policy.ref],
        "Policies": [{"PolicyName": "Extra", "PolicyDocument": LOGS}],
        "Tags": [{"Key": "team", "Value": "a"}],
    }
    again = await stack.update("AWS::IAM::Role", "FnRole", changed, made, SAM_ROLE)
    assert again == made  # the same role: name, ARN and id kept
    role = await stack.iam.roles.get(CTX, made.ref)
    assert (role.description, role.max_session, role.boundary) == ("now described", 7200, policy.ref)
    assert json.loads(role.trust_policy) == trust and role.tags == {"team": "a"}
    assert await _attached(stack.iam, made.ref) == {policy.ref}
    assert await _inline(stack.iam, made.ref) == {"Extra": LOGS}

    back = await stack.update("AWS::IAM::Role", "FnRole", SAM_ROLE, made, changed)
    role = await stack.iam.roles.get(CTX, made.ref)
    assert back == made and (role.description, role.max_session, role.boundary) == ("", 3600, None)
    assert await _attached(stack.iam, made.ref) == {BASIC} and role.tags == {"lambda:createdBy": "SAM"}
    assert set(await _inline(stack.iam, made.ref)) == {"FnRolePolicy0"}


async def test_a_role_that_fails_midway_leaves_nothing_behind(stack: Stack) -> None:
    missing = "arn:aws:iam::111111111111:policy/nothing-here"
    with pytest.raises(NoSuchEntity, match="does not exist or is not attachable"):
        await stack.create(
            "AWS::IAM::Role", "Bad", {**SAM_ROLE, "RoleName": "bad", "ManagedPolicyArns": [BASIC, missing]}
        )
    with pytest.raises(NoSuchEntity):
        await stack.iam.roles.get(CTX, "bad")
    assert (await stack.iam.policies.get(CTX, BASIC)).attachments == 0


async def test_deleting_a_role_removes_what_would_block_delete_role_and_is_idempotent(stack: Stack) -> None:
    made = await stack.create("AWS::IAM::Role", "FnRole", SAM_ROLE)
    props = {"PolicyName": "side", "PolicyDocument": LOGS, "RoleName": made.ref}
    side = await stack.create("AWS::IAM::RolePolicy", "Side", props)
    managed = await stack.create("AWS::IAM::ManagedPolicy", "Mine", {"PolicyDocument": LOGS, "Roles": [made.ref]})
    profile = await stack.create("AWS::IAM::InstanceProfile", "Profile", {"Roles": [made.ref]})

    await stack.delete("AWS::IAM::Role", "FnRole", SAM_ROLE, made)
    with pytest.raises(NoSuchEntity):
        await stack.iam.roles.get(CTX, made.ref)
    await stack.delete("AWS::IAM::Role", "FnRole", SAM_ROLE, made)  # already gone: not an error
    # the resources that named the role delete cleanly after it, as in a stack's reverse order or a rollback
    await stack.delete("AWS::IAM::RolePolicy", "Side", props, side)
    await stack.delete("AWS::IAM::ManagedPolicy", "Mine", {"PolicyDocument": LOGS, "Roles": [made.ref]}, managed)
    await stack.delete("AWS::IAM::InstanceProfile", "Profile", {"Roles": [made.ref]}, profile)
    with pytest.raises(NoSuchEntity):
        await stack.iam.policies.get(CTX, managed.ref)
    with pytest.raises(NoSuchEntity):
        await stack.iam.profiles.get(CTX, profile.ref)


async def test_a_policy_is_put_in_each_role_and_follows_its_name_and_roles(stack: Stack) -> None:
    one = (await stack.create("AWS::IAM::Role", "One", SAM_ROLE)).ref
    two = (await stack.create("AWS::IAM::Role", "Two", SAM_ROLE)).ref
    props = {"PolicyName": "shared", "PolicyDocument": LOGS, "Roles": [one, two]}
    made = await stack.create("AWS::IAM::Policy", "Shared", props)
    # Ref and Fn::GetAtt Id: the physical id CloudFormation gives it (aws-resource-iam-policy.html)
    assert re.fullmatch(r"app-Shared-[A-Z0-9]{12}", made.ref) and made.attributes == {"Id": made.ref}
    assert "shared" in await _inline(stack.iam, one) and "shared" in await _inline(stack.iam, two)

    renamed = {"PolicyName": "renamed", "PolicyDocument": {**LOGS, "Version": "2012-10-17"}, "Roles": [two]}
    assert await stack.update("AWS::IAM::Policy", "Shared", renamed, made, props) == made
    assert set(await _inline(stack.iam, one)) == {"FnRolePolicy0"}
    assert (await _inline(stack.iam, two))["renamed"]["Version"] == "2012-10-17"
    assert "shared" not in await _inline(stack.iam, two)

    await stack.delete("AWS::IAM::Policy", "Shared", renamed, made)
    assert set(await _inline(stack.iam, two)) == {"FnRolePolicy0"}
    await stack.delete("AWS::IAM::Policy", "Shared", renamed, made)  # already gone: not an error


async def test_users_and_groups_are_refused_before_anything_is_made(stack: Stack) -> None:
    role = (await stack.create("AWS::IAM::Role", "Fn", SAM_ROLE)).ref
    for kind, props in (
        ("AWS::IAM::Policy", {"PolicyName": "p", "PolicyDocument": LOGS, "Roles": [role], "Users": ["alice"]}),
        ("AWS::IAM::ManagedPolicy", {"ManagedPolicyName": "m", "PolicyDocument": LOGS, "Groups": ["admins"]}),
    ):
        with pytest.raises(IamValidationError, match="which Overcast does not have yet"):
            await stack.create(kind, "P", props)
    with pytest.raises(IamValidationError, match=r"At least one of \[Groups, Roles, Users\]"):
        await stack.create("AWS::IAM::Policy", "P", {"PolicyName": "p", "PolicyDocument": LOGS})
    assert set(await _inline(stack.iam, role)) == {"FnRolePolicy0"}
    with pytest.raises(NoSuchEntity):
        await stack.iam.policies.get(CTX, "arn:aws:iam::111111111111:policy/m")


async def test_a_role_policy_is_one_inline_policy_of_one_role(stack: Stack) -> None:
    role = (await stack.create("AWS::IAM::Role", "Fn", SAM_ROLE)).ref
    props = {"PolicyName": "logs", "PolicyDocument": LOGS, "RoleName": role}
    made = await stack.create("AWS::IAM::RolePolicy", "Logs", props)
    assert made == Made(f"logs|{role}")  # the type's primary identifier, PolicyName|RoleName
    deny = {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    await stack.update("AWS::IAM::RolePolicy", "Logs", {**props, "PolicyDocument": deny}, made, props)
    assert (await _inline(stack.iam, role))["logs"] == deny
    await stack.delete("AWS::IAM::RolePolicy", "Logs", props, made)
    assert "logs" not in await _inline(stack.iam, role)


async def test_a_managed_policy_answers_its_arn_and_attributes_and_versions_its_document(stack: Stack) -> None:
    role = (await stack.create("AWS::IAM::Role", "Fn", SAM_ROLE)).ref
    props: dict[str, Any] = {"Description": "d", "Path": "/app/", "PolicyDocument": LOGS, "Roles": [role]}
    made = await stack.create("AWS::IAM::ManagedPolicy", "Mine", props)
    assert re.fullmatch(r"arn:aws:iam::111111111111:policy/app/app-Mine-[A-Z0-9]{12}", made.ref)
    attrs = made.attributes
    assert attrs["PolicyArn"] == made.ref and re.fullmatch(r"ANPA[A-Z2-7]{17}", attrs["PolicyId"])
    assert (attrs["DefaultVersionId"], attrs["AttachmentCount"], attrs["IsAttachable"]) == ("v1", 1, True)
    assert attrs["CreateDate"] == attrs["UpdateDate"] == "2026-01-01T00:00:00Z"
    assert await _attached(stack.iam, role) == {BASIC, made.ref}

    previous = props
    for n in range(2, 8):  # six new documents: IAM keeps five versions, the oldest non-default goes first
        document = {"Statement": [{"Effect": "Allow", "Action": f"logs:Get{n}", "Resource": "*"}]}
        changed = {**props, "PolicyDocument": document, "Roles": [] if n == 7 else [role]}
        again = await stack.update("AWS::IAM::ManagedPolicy", "Mine", changed, made, previous)
        previous = changed
        assert again.ref == made.ref and again.attributes["DefaultVersionId"] == f"v{n}"
    versions, _ = await stack.iam.policies.versions(CTX, made.ref, None, None)
    assert [v.version for v in versions] == ["v7", "v6", "v5", "v4", "v3"]
    assert json.loads(versions[0].document) == previous["PolicyDocument"] and versions[0].is_default
    assert await _attached(stack.iam, role) == {BASIC} and again.attributes["AttachmentCount"] == 0

    await stack.delete("AWS::IAM::ManagedPolicy", "Mine", previous, made)  # its older versions go with it
    with pytest.raises(NoSuchEntity):
        await stack.iam.policies.get(CTX, made.ref)


async def test_an_instance_profile_holds_its_role(stack: Stack) -> None:
    one = (await stack.create("AWS::IAM::Role", "One", SAM_ROLE)).ref
    two = (await stack.create("AWS::IAM::Role", "Two", SAM_ROLE)).ref
    props = {"InstanceProfileName": "web", "Path": "/p/", "Roles": [one]}
    made = await stack.create("AWS::IAM::InstanceProfile", "Profile", props)
    assert made == Made("web", {"Arn": "arn:aws:iam::111111111111:instance-profile/p/web"})
    await stack.update("AWS::IAM::InstanceProfile", "Profile", {**props, "Roles": [two]}, made, props)
    assert [r.name for r in (await stack.iam.profiles.get(CTX, "web")).roles] == [two]
    unnamed = await stack.create("AWS::IAM::InstanceProfile", "Other", {})
    assert re.fullmatch(r"app-Other-[A-Z0-9]{12}", unnamed.ref)


# --- through a real server: what boto3's IAM client sees of what the providers made ---


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[Stack, Any]]:
    """Overcast's composition root and HTTP server in this process; the providers over its store's IAM, and a
    boto3 IAM client of the stack's account."""
    async with serving(tmp_path) as (system, url):
        await system.parts["iam"].ready()
        assert system.store is not None
        client = boto3.client(  # a 12-digit access key id names the account: the stack's
            "iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id=CTX.account_id,
            aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}),
        )  # fmt: skip
        yield Stack(await iam.build(system.store, system.clock)), client


async def test_boto3_sees_the_stacks_role_made_changed_in_place_and_deleted(served: tuple[Stack, Any]) -> None:
    stack, client = served
    made = await stack.create("AWS::IAM::Role", "FnRole", SAM_ROLE)
    role = (await call(client, "get_role", RoleName=made.ref))["Role"]
    assert (role["Arn"], role["RoleId"]) == (made.attributes["Arn"], made.attributes["RoleId"])
    assert role["AssumeRolePolicyDocument"] == TRUST and role["Tags"] == [{"Key": "lambda:createdBy", "Value": "SAM"}]
    attached = (await call(client, "list_attached_role_policies", RoleName=made.ref))["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC}]
    inline = await call(client, "get_role_policy", RoleName=made.ref, PolicyName="FnRolePolicy0")
    assert inline["PolicyDocument"] == SAM_ROLE["Policies"][0]["PolicyDocument"]

    managed = await stack.create(
        "AWS::IAM::ManagedPolicy", "Mine", {"ManagedPolicyName": "mine", "PolicyDocument": LOGS}
    )
    changed = {
        **SAM_ROLE, "Description": "changed", "MaxSessionDuration": 7200, "ManagedPolicyArns": [managed.ref],
        "Policies": [{"PolicyName": "FnRolePolicy0", "PolicyDocument": LOGS}],
    }  # fmt: skip
    assert await stack.update("AWS::IAM::Role", "FnRole", changed, made, SAM_ROLE) == made
    role = (await call(client, "get_role", RoleName=made.ref))["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("changed", 7200)
    assert role["RoleId"] == made.attributes["RoleId"]
    attached = (await call(client, "list_attached_role_policies", RoleName=made.ref))["AttachedPolicies"]
    assert attached == [{"PolicyName": "mine", "PolicyArn": managed.ref}]
    inline = await call(client, "get_role_policy", RoleName=made.ref, PolicyName="FnRolePolicy0")
    assert inline["PolicyDocument"] == LOGS
    got = (await call(client, "get_policy", PolicyArn=managed.ref))["Policy"]
    assert (got["PolicyId"], got["AttachmentCount"]) == (managed.attributes["PolicyId"], 1)

    await stack.delete("AWS::IAM::Role", "FnRole", changed, made)
    with pytest.raises(ClientError) as caught:
        await call(client, "get_role", RoleName=made.ref)
    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
    await stack.delete("AWS::IAM::ManagedPolicy", "Mine", {"PolicyDocument": LOGS}, managed)
    with pytest.raises(ClientError) as caught:
        await call(client, "get_policy", PolicyArn=managed.ref)
    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
