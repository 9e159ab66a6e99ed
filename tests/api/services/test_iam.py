"""IAM's roles, inline and managed policies, AWS managed policies and instance profiles through boto3 against a
real server, answered as IAM answers (codes, messages, ids, paging)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
DOC: dict[str, Any] = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


@pytest.fixture(scope="module")
def iam(aws: Any) -> Any:
    return aws("iam")


@pytest.fixture(scope="module")
def unchecked(aws: Any) -> Any:
    """A client that sends what boto3 would refuse itself, so the server's own checks answer."""
    return aws("iam", config=Config(retries={"max_attempts": 1}, parameter_validation=False))


def _name(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:8]}"


def _error(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_a_role_is_created_read_listed_updated_and_deleted_as_iam_does(iam: Any) -> None:
    name = _name("role")
    made = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), Path="/app/", Description="d", Tags=[
            {"Key": "team", "Value": "a"}
        ],
    )["Role"]  # fmt: skip
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", made["RoleId"])
    assert made["Arn"] == f"arn:aws:iam::000000000000:role/app/{name}"
    assert made["MaxSessionDuration"] == 3600 and made["AssumeRolePolicyDocument"] == TRUST
    got = iam.get_role(RoleName=name.upper())["Role"]  # names are case-insensitive
    assert got["RoleName"] == name and got["Tags"] == [{"Key": "team", "Value": "a"}] and got["RoleLastUsed"] == {}
    assert got["CreateDate"] == made["CreateDate"]

    iam.update_role(RoleName=name, Description="new", MaxSessionDuration=7200)
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps({**TRUST, "Version": "2008-10-17"}))
    got = iam.get_role(RoleName=name)["Role"]
    assert (got["Description"], got["MaxSessionDuration"]) == ("new", 7200)
    assert got["AssumeRolePolicyDocument"]["Version"] == "2008-10-17"
    assert iam.update_role_description(RoleName=name, Description="again")["Role"]["Description"] == "again"

    listed = iam.list_roles(PathPrefix="/app/")["Roles"]
    assert name in [r["RoleName"] for r in listed] and "Tags" not in listed[0]
    assert name not in [r["RoleName"] for r in iam.list_roles(PathPrefix="/other/")["Roles"]]

    assert _error(iam.create_role, RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST)) == (
        "EntityAlreadyExists", f"Role with name {name} already exists.", 409
    )  # fmt: skip
    iam.delete_role(RoleName=name)
    assert _error(iam.get_role, RoleName=name) == ("NoSuchEntity", f"The role with name {name} cannot be found.", 404)


def test_a_permissions_boundary_is_stored_with_its_role(iam: Any) -> None:
    role = _name("bounded")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST), PermissionsBoundary=BASIC)
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": BASIC
    }  # fmt: skip
    missing = "arn:aws:iam::000000000000:policy/none"
    assert _error(
        iam.create_role, RoleName=_name("b"), AssumeRolePolicyDocument=json.dumps(TRUST), PermissionsBoundary=missing
    ) == ("NoSuchEntity", f"Scope ARN: {missing} does not exist or is not attachable.", 404)
    iam.delete_role(RoleName=role)


def test_roles_are_paged_with_marker_and_max_items(iam: Any) -> None:
    path = f"/{_name('paged')}/"
    names = sorted(_name("r") for _ in range(5))
    for name in names:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), Path=path)
    seen, marker, pages = [], None, 0
    while True:
        answer = iam.list_roles(PathPrefix=path, MaxItems=2, **({"Marker": marker} if marker else {}))
        pages += 1
        seen += [r["RoleName"] for r in answer["Roles"]]
        if not answer["IsTruncated"]:
            assert "Marker" not in answer
            break
        marker = answer["Marker"]
    assert (seen, pages) == (names, 3)
    paginated = [r["RoleName"] for p in iam.get_paginator("list_roles").paginate(PathPrefix=path) for r in p["Roles"]]
    assert paginated == names


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        ({"RoleName": "a b"}, "ValidationError", "Member must satisfy regular expression pattern: [\\w+=,.@-]+"),
        ({"RoleName": "x" * 65}, "ValidationError", "Member must have length less than or equal to 64"),
        ({"Path": "app"}, "ValidationError", "The specified value for path is invalid"),
        ({"MaxSessionDuration": 100}, "ValidationError", "Member must have value greater than or equal to 3600"),
        ({"AssumeRolePolicyDocument": "{not json"}, "MalformedPolicyDocument", "This policy contains invalid Json"),
        ({"AssumeRolePolicyDocument": '{"Version": "2012-10-17"}'}, "MalformedPolicyDocument", "Syntax errors"),
        (
            {"AssumeRolePolicyDocument": json.dumps({**TRUST, "Version": "2011-01-01"})},
            "MalformedPolicyDocument",
            "The policy failed legacy parsing",
        ),
        (
            {"AssumeRolePolicyDocument": json.dumps({"Statement": [{**TRUST["Statement"][0], "Resource": "*"}]})},
            "MalformedPolicyDocument",
            "Has prohibited field Resource",
        ),
    ],
)
def test_a_bad_role_is_refused_as_iam_refuses_it(
    unchecked: Any, params: dict[str, Any], code: str, message: str
) -> None:
    params = {"RoleName": _name("bad"), "AssumeRolePolicyDocument": json.dumps(TRUST), **params}
    got_code, got_message, _ = _error(unchecked.create_role, **params)
    assert got_code == code and message in got_message, got_message


def test_inline_policies_are_put_read_listed_and_deleted(iam: Any) -> None:
    role = _name("inline")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName=role, PolicyName="logs", PolicyDocument=json.dumps(DOC))
    iam.put_role_policy(RoleName=role, PolicyName="more", PolicyDocument=json.dumps(DOC))
    got = iam.get_role_policy(RoleName=role, PolicyName="logs")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == (role, "logs", DOC)
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["logs", "more"]
    assert _error(iam.delete_role, RoleName=role) == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409
    )  # fmt: skip
    with_principal = {"Statement": [{**DOC["Statement"][0], "Principal": "*"}]}
    put = {"RoleName": role, "PolicyName": "p", "PolicyDocument": json.dumps(with_principal)}
    assert _error(iam.put_role_policy, **put)[:2] == (
        "MalformedPolicyDocument", "Policy document should not specify a principal."
    )  # fmt: skip
    iam.delete_role_policy(RoleName=role, PolicyName="logs")
    iam.delete_role_policy(RoleName=role, PolicyName="more")
    assert _error(iam.get_role_policy, RoleName=role, PolicyName="logs") == (
        "NoSuchEntity", "The role policy with name logs cannot be found.", 404
    )  # fmt: skip
    iam.delete_role(RoleName=role)


def test_a_managed_policy_keeps_five_versions_and_its_default(iam: Any) -> None:
    name = _name("policy")
    policy = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(DOC), Path="/team/", Description="x")[
        "Policy"
    ]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::000000000000:policy/team/{name}"
    assert re.fullmatch(r"ANPA[A-Z2-7]{17}", policy["PolicyId"]) and policy["DefaultVersionId"] == "v1"
    for n in range(2, 6):
        version = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC), SetAsDefault=n == 3)
        assert version["PolicyVersion"]["VersionId"] == f"v{n}"
    code, message, status = _error(iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(DOC))
    assert (code, status) == ("LimitExceeded", 409) and "up to 5 versions" in message
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [
        ("v5", False), ("v4", False), ("v3", True), ("v2", False), ("v1", False)
    ]  # fmt: skip
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"] == DOC
    assert _error(iam.delete_policy_version, PolicyArn=arn, VersionId="v3")[:2] == (
        "DeleteConflict", "Cannot delete the default version of a policy."
    )  # fmt: skip
    assert _error(iam.delete_policy, PolicyArn=arn)[0] == "DeleteConflict"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v5")
    for n in range(1, 5):
        iam.delete_policy_version(PolicyArn=arn, VersionId=f"v{n}")
    assert _error(iam.get_policy_version, PolicyArn=arn, VersionId="v1")[0] == "NoSuchEntity"
    assert _error(iam.create_policy, PolicyName=name, PolicyDocument=json.dumps(DOC))[:2] == (
        "EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed."
    )  # fmt: skip
    iam.delete_policy(PolicyArn=arn)
    assert _error(iam.get_policy, PolicyArn=arn) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)


def test_aws_and_own_managed_policies_attach_to_a_role_and_block_its_deletion(iam: Any) -> None:
    role = _name("attached")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    own = iam.create_policy(PolicyName=_name("own"), PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    before = iam.get_policy(PolicyArn=BASIC)["Policy"]["AttachmentCount"]
    iam.attach_role_policy(RoleName=role, PolicyArn=BASIC)
    iam.attach_role_policy(RoleName=role, PolicyArn=own)
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert {a["PolicyArn"] for a in attached} == {BASIC, own}
    assert {a["PolicyName"] for a in attached} >= {"AWSLambdaBasicExecutionRole"}
    assert iam.get_policy(PolicyArn=BASIC)["Policy"]["AttachmentCount"] == before + 1
    entities = iam.list_entities_for_policy(PolicyArn=own)
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role] and entities["PolicyUsers"] == []
    local_attached = iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]
    assert own in [p["Arn"] for p in local_attached]
    assert _error(iam.delete_role, RoleName=role)[:2] == (
        "DeleteConflict", "Cannot delete entity, must detach all policies first."
    )  # fmt: skip
    assert _error(iam.delete_policy, PolicyArn=own)[:2] == (
        "DeleteConflict",
        "Cannot delete a policy attached to entities.",
    )
    missing = "arn:aws:iam::aws:policy/NoSuchPolicyAtAll"
    assert _error(iam.attach_role_policy, RoleName=role, PolicyArn=missing)[:2] == (
        "NoSuchEntity", f"Policy {missing} does not exist or is not attachable."
    )  # fmt: skip
    iam.detach_role_policy(RoleName=role, PolicyArn=BASIC)
    iam.detach_role_policy(RoleName=role, PolicyArn=own)
    assert _error(iam.detach_role_policy, RoleName=role, PolicyArn=own)[:2] == (
        "NoSuchEntity",
        f"Policy {own} was not found.",
    )
    iam.delete_policy(PolicyArn=own)
    iam.delete_role(RoleName=role)


@pytest.mark.parametrize(
    ("arn", "action"),
    [
        (BASIC, "logs:PutLogEvents"),
        ("arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole", "ec2:CreateNetworkInterface"),
        ("arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess", "xray:PutTraceSegments"),
        ("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess", "xray:PutTraceSegments"),  # SAM's for Tracing: Active
        ("arn:aws:iam::aws:policy/AWSStepFunctionsFullAccess", "states:*"),
        ("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "s3:Get*"),
        ("arn:aws:iam::aws:policy/AdministratorAccess", "*"),
        ("arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess", "dynamodb:*"),
        ("arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole", "sqs:ReceiveMessage"),
    ],
)
def test_aws_managed_policies_are_read_by_arn(iam: Any, arn: str, action: str) -> None:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["Arn"] == arn and policy["IsAttachable"] and re.fullmatch(r"ANPA[A-Z2-7]{17}", policy["PolicyId"])
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    actions = [
        a
        for s in version["Document"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert version["IsDefaultVersion"] and action in actions
    assert arn in [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]]
    assert _error(iam.delete_policy, PolicyArn=arn)[0] == "AccessDenied"


def test_list_policies_scopes_and_path_prefix(iam: Any) -> None:
    own = iam.create_policy(PolicyName=_name("scoped"), PolicyDocument=json.dumps(DOC), Path="/scoped/")["Policy"]
    local = [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]]
    aws = [p["Arn"] for p in iam.list_policies(Scope="AWS")["Policies"]]
    assert own["Arn"] in local and own["Arn"] not in aws and BASIC in aws and BASIC not in local
    service_roles = iam.list_policies(Scope="AWS", PathPrefix="/service-role/")["Policies"]
    assert service_roles and all(p["Path"] == "/service-role/" for p in service_roles)
    iam.delete_policy(PolicyArn=own["Arn"])


def test_an_instance_profile_holds_one_role(iam: Any) -> None:
    role, other, profile = _name("pr"), _name("pr"), _name("profile")
    for name in (role, other):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    made = iam.create_instance_profile(InstanceProfileName=profile, Path="/p/")["InstanceProfile"]
    assert re.fullmatch(r"AIPA[A-Z2-7]{17}", made["InstanceProfileId"]) and made["Roles"] == []
    assert made["Arn"] == f"arn:aws:iam::000000000000:instance-profile/p/{profile}"
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert _error(iam.add_role_to_instance_profile, InstanceProfileName=profile, RoleName=other)[:2] == (
        "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    )  # fmt: skip
    assert [
        r["RoleName"] for r in iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]
    ] == [role]
    assert [
        p["InstanceProfileName"] for p in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
    ] == [profile]
    assert profile in [
        p["InstanceProfileName"] for p in iam.list_instance_profiles(PathPrefix="/p/")["InstanceProfiles"]
    ]
    assert _error(iam.delete_role, RoleName=role)[:2] == (
        "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first."
    )  # fmt: skip
    assert _error(iam.delete_instance_profile, InstanceProfileName=profile)[0] == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)
    assert _error(iam.get_instance_profile, InstanceProfileName=profile) == (
        "NoSuchEntity", f"Instance Profile {profile} cannot be found.", 404
    )  # fmt: skip
    for name in (role, other):
        iam.delete_role(RoleName=name)


def test_role_tags_are_added_listed_and_removed(iam: Any) -> None:
    role = _name("tagged")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.tag_role(RoleName=role, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    assert iam.list_role_tags(RoleName=role)["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    iam.untag_role(RoleName=role, TagKeys=["a"])
    assert iam.list_role_tags(RoleName=role)["Tags"] == [{"Key": "b", "Value": "2"}]
    code, _, _ = _error(iam.tag_role, RoleName=role, Tags=[{"Key": f"k{n}", "Value": ""} for n in range(50)])
    assert code == "LimitExceeded"
    iam.delete_role(RoleName=role)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    assert iam.list_role_tags(RoleName=role)["Tags"] == []  # a deleted role's tags went with it
    iam.delete_role(RoleName=role)


def test_iam_is_one_per_account_whatever_the_region(aws: Any) -> None:
    east, west = aws("iam", region_name="us-east-1"), aws("iam", region_name="eu-west-1")
    role = _name("global")
    east.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    assert west.get_role(RoleName=role)["Role"]["Arn"] == east.get_role(RoleName=role)["Role"]["Arn"]
    china = aws("iam", region_name="cn-north-1")
    assert china.get_role(RoleName=role)["Role"]["Arn"].startswith("arn:aws-cn:iam::")
    west.delete_role(RoleName=role)


def test_the_aws_cli_round_trips_a_role(aws_cli: Any) -> None:
    role = _name("cli")
    made = aws_cli("iam", "create-role", "--role-name", role, "--assume-role-policy-document", json.dumps(TRUST))
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["Role"]["AssumeRolePolicyDocument"] == TRUST
    attached = aws_cli("iam", "attach-role-policy", "--role-name", role, "--policy-arn", BASIC)
    assert attached.returncode == 0, attached.stderr
    listed = json.loads(aws_cli("iam", "list-attached-role-policies", "--role-name", role).stdout)
    assert [p["PolicyArn"] for p in listed["AttachedPolicies"]] == [BASIC]
    aws_cli("iam", "detach-role-policy", "--role-name", role, "--policy-arn", BASIC, check=True)
    aws_cli("iam", "delete-role", "--role-name", role, check=True)
    gone = aws_cli("iam", "get-role", "--role-name", role)
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr
