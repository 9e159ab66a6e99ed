"""Sharing a layer version with another account: AddLayerVersionPermission, RemoveLayerVersionPermission,
GetLayerVersionPolicy, and what the grant lets the other account do, through the real server.

https://docs.aws.amazon.com/lambda/latest/dg/permissions-layer-cross-account.html"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory
from tests.functions.hostile import ROLE, create, invoke
from tests.functions.zips import make_zip

OWNER, OTHER = "333333333333", "444444444444"
READER = """
def handler(event, context):
    with open("/opt/shared.txt") as f:
        return {"layer": f.read()}
"""


def _client(aws: ClientFactory, account: str) -> Any:
    return aws("lambda", aws_access_key_id=account, aws_secret_access_key="x")


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


@pytest.fixture
def layer(aws: ClientFactory) -> dict[str, Any]:
    name = f"shared-{uuid.uuid4().hex[:8]}"
    made: dict[str, Any] = _client(aws, OWNER).publish_layer_version(
        LayerName=name, Content={"ZipFile": make_zip({"shared.txt": "from the owner"})}
    )
    return made


def test_a_granted_account_reads_and_uses_the_layer_version_until_the_grant_is_removed(
    aws: ClientFactory, layer: dict[str, Any]
) -> None:
    owner, other = _client(aws, OWNER), _client(aws, OTHER)
    arn, name = layer["LayerVersionArn"], layer["LayerArn"].rsplit(":", 1)[1]
    with pytest.raises(ClientError) as none:
        owner.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert _code(none) == "ResourceNotFoundException"
    assert none.value.response["Error"]["Message"] == "No policy is associated with the given resource."
    with pytest.raises(ClientError) as denied:
        other.get_layer_version_by_arn(Arn=arn)
    assert _code(denied) == "AccessDeniedException"

    granted = owner.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="other", Action="lambda:GetLayerVersion", Principal=OTHER
    )
    assert json.loads(granted["Statement"]) == {
        "Sid": "other",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
        "Action": "lambda:GetLayerVersion",
        "Resource": arn,
    }
    policy = owner.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert policy["RevisionId"] == granted["RevisionId"]
    assert json.loads(policy["Policy"])["Statement"] == [json.loads(granted["Statement"])]

    assert other.get_layer_version_by_arn(Arn=arn)["LayerVersionArn"] == arn
    assert other.get_layer_version(LayerName=layer["LayerArn"], VersionNumber=1)["Version"] == 1
    function = create(other, "python3.12", {"index.py": READER}, prefix="layered", Layers=[arn])
    assert invoke(other, function, {}) == {"layer": "from the owner"}  # the owner's layer, in the other's function

    owner.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="other")
    with pytest.raises(ClientError) as again:
        other.get_layer_version_by_arn(Arn=arn)
    assert _code(again) == "AccessDeniedException"
    with pytest.raises(ClientError) as new_function:
        other.create_function(
            FunctionName=f"late-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=ROLE, Handler="index.handler",
            Code={"ZipFile": make_zip({"index.py": READER})}, Layers=[arn],
        )  # fmt: skip
    assert _code(new_function) == "AccessDeniedException"
    assert invoke(other, function, {}) == {"layer": "from the owner"}  # a function keeps the layers it has


def test_a_grant_to_everyone_and_one_to_an_organization(aws: ClientFactory, layer: dict[str, Any]) -> None:
    owner, other = _client(aws, OWNER), _client(aws, OTHER)
    arn, name = layer["LayerVersionArn"], layer["LayerArn"].rsplit(":", 1)[1]
    org = owner.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="org", Action="lambda:GetLayerVersion", Principal="*",
        OrganizationId="o-abcdefghij",
    )  # fmt: skip
    assert json.loads(org["Statement"])["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}
    with pytest.raises(ClientError) as outside:  # Overcast's accounts belong to no organization
        other.get_layer_version_by_arn(Arn=arn)
    assert _code(outside) == "AccessDeniedException"
    owner.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="all", Action="lambda:GetLayerVersion", Principal="*"
    )
    assert other.get_layer_version_by_arn(Arn=arn)["Version"] == 1
    statements = json.loads(owner.get_layer_version_policy(LayerName=name, VersionNumber=1)["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["org", "all"] and statements[1]["Principal"] == "*"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Action": "lambda:InvokeFunction"}, "ValidationException"),
        ({"Principal": "someone"}, "ValidationException"),
        ({"StatementId": "no spaces"}, "ValidationException"),
        ({"OrganizationId": "org-1"}, "ValidationException"),
        ({"RevisionId": "not-the-current-one"}, "PreconditionFailedException"),
        ({"VersionNumber": 9}, "ResourceNotFoundException"),
    ],
)
def test_bad_grants_are_refused_and_change_nothing(
    aws: ClientFactory, layer: dict[str, Any], params: dict[str, Any], code: str
) -> None:
    owner = _client(aws, OWNER)
    name = layer["LayerArn"].rsplit(":", 1)[1]
    owner.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="first", Action="lambda:GetLayerVersion", Principal=OTHER
    )
    before = owner.get_layer_version_policy(LayerName=name, VersionNumber=1)
    grant = {"LayerName": name, "VersionNumber": 1, "StatementId": "second", "Action": "lambda:GetLayerVersion",
             "Principal": OTHER, **params}  # fmt: skip
    with pytest.raises(ClientError) as refused:
        owner.add_layer_version_permission(**grant)
    assert _code(refused) == code
    after = owner.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert (after["Policy"], after["RevisionId"]) == (before["Policy"], before["RevisionId"])


def test_a_duplicate_statement_id_and_removing_what_is_not_there(aws: ClientFactory, layer: dict[str, Any]) -> None:
    owner = _client(aws, OWNER)
    name = layer["LayerArn"].rsplit(":", 1)[1]
    grant = {"LayerName": name, "VersionNumber": 1, "StatementId": "s", "Action": "lambda:GetLayerVersion",
             "Principal": OTHER}  # fmt: skip
    owner.add_layer_version_permission(**grant)
    with pytest.raises(ClientError) as duplicate:
        owner.add_layer_version_permission(**grant)
    assert _code(duplicate) == "ResourceConflictException"
    with pytest.raises(ClientError) as missing:
        owner.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="nope")
    assert _code(missing) == "ResourceNotFoundException"
    owner.delete_layer_version(LayerName=name, VersionNumber=1)  # its policy goes with it
    with pytest.raises(ClientError) as gone:
        owner.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert _code(gone) == "ResourceNotFoundException"
