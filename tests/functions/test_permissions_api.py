"""AddPermission, RemovePermission and GetPolicy through boto3: statements and errors as Lambda writes them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory
from tests.functions.deployed import ROLE, python_function
from tests.functions.zips import handler_zip

OWNER = "330000000001"
API_ARN = f"arn:aws:execute-api:us-east-1:{OWNER}:abc123/*/GET/pets"


@pytest.fixture(scope="module")
def lam(aws: ClientFactory) -> Any:
    return aws("lambda", aws_access_key_id=OWNER, aws_secret_access_key="x")


@pytest.fixture
def name(lam: Any) -> str:
    return python_function(lam, "policy", "def handler(e, c):\n    return e\n").rsplit(":", 1)[1]


def _error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_statements_are_written_as_lambda_writes_them(lam: Any, name: str) -> None:
    arn = f"arn:aws:lambda:us-east-1:{OWNER}:function:{name}"
    api = lam.add_permission(
        FunctionName=name, StatementId="api", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
        SourceArn=API_ARN, SourceAccount=OWNER,
    )  # fmt: skip
    assert json.loads(api["Statement"]) == {
        "Sid": "api",
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {"StringEquals": {"AWS:SourceAccount": OWNER}, "ArnLike": {"AWS:SourceArn": API_ARN}},
    }
    account = lam.add_permission(FunctionName=arn, StatementId="xaccount", Action="lambda:*", Principal="444455556666")
    assert json.loads(account["Statement"])["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}
    policy = lam.get_policy(FunctionName=name)
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17" and document["Id"] == "default"
    assert [s["Sid"] for s in document["Statement"]] == ["api", "xaccount"]  # in the order they were added
    assert policy["RevisionId"] == lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]


def test_each_change_gives_the_function_a_new_revision(lam: Any, name: str) -> None:
    before = lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    code, message = _error(
        lam.add_permission, FunctionName=name, StatementId="s", Action="lambda:InvokeFunction",
        Principal="111122223333", RevisionId="stale",
    )  # fmt: skip
    assert code == "PreconditionFailedException" and "does not match the latest Revision Id" in message
    lam.add_permission(
        FunctionName=name, StatementId="s", Action="lambda:InvokeFunction", Principal="111122223333",
        RevisionId=before,
    )  # fmt: skip
    after = lam.get_policy(FunctionName=name)["RevisionId"]
    assert after != before and after == lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    code, _ = _error(lam.remove_permission, FunctionName=name, StatementId="s", RevisionId=before)
    assert code == "PreconditionFailedException"
    lam.remove_permission(FunctionName=name, StatementId="s", RevisionId=after)
    assert lam.get_function(FunctionName=name)["Configuration"]["RevisionId"] not in (before, after)


def test_errors_are_lambdas(lam: Any, name: str) -> None:
    add = {"FunctionName": name, "Action": "lambda:InvokeFunction", "Principal": "sns.amazonaws.com"}
    assert _error(lam.get_policy, FunctionName=name) == (
        "ResourceNotFoundException",
        "The resource you requested does not exist.",
    )
    assert _error(lam.remove_permission, FunctionName=name, StatementId="none") == (
        "ResourceNotFoundException",
        "No policy is associated with the given resource.",
    )
    lam.add_permission(StatementId="one", **add)
    assert _error(lam.add_permission, StatementId="one", **add) == (
        "ResourceConflictException",
        "The statement id (one) provided already exists. Please provide a new statement id, or remove the existing "
        "statement.",
    )
    assert _error(lam.remove_permission, FunctionName=name, StatementId="two") == (
        "ResourceNotFoundException",
        "Statement two is not found in resource policy.",
    )
    assert _error(lam.add_permission, StatementId="q", Qualifier="$LATEST", **add) == (
        "InvalidParameterValueException",
        "We currently do not support adding policies for $LATEST.",
    )
    code, message = _error(lam.add_permission, StatementId="p", **{**add, "Principal": "not a principal!"})
    assert code in ("InvalidParameterValueException", "ValidationException"), message
    missing = f"arn:aws:lambda:us-east-1:{OWNER}:function:no-such-function"
    assert _error(lam.get_policy, FunctionName="no-such-function") == (
        "ResourceNotFoundException",
        f"Function not found: {missing}",
    )
    assert _error(lam.add_permission, StatementId="a", Qualifier="nosuchalias", **add) == (
        "ResourceNotFoundException",
        f"Cannot find alias arn: arn:aws:lambda:us-east-1:{OWNER}:function:{name}:nosuchalias",
    )
    lam.remove_permission(FunctionName=name, StatementId="one")
    assert _error(lam.get_policy, FunctionName=name)[0] == "ResourceNotFoundException"  # no statement: no policy


def test_versions_and_aliases_have_policies_of_their_own(lam: Any, name: str) -> None:
    version = lam.publish_version(FunctionName=name)["Version"]
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    add = {"Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com"}
    lam.add_permission(FunctionName=name, Qualifier=version, StatementId="v", **add)
    lam.add_permission(FunctionName=f"{name}:live", StatementId="a", **add)
    lam.add_permission(FunctionName=name, StatementId="f", **add)  # the same Sid may exist in each policy
    lam.add_permission(FunctionName=name, Qualifier="live", StatementId="f", **add)

    def sids(**where: str) -> list[str]:
        return [s["Sid"] for s in json.loads(lam.get_policy(FunctionName=name, **where)["Policy"])["Statement"]]

    assert sids() == sids(Qualifier="$LATEST") == ["f"]
    assert sids(Qualifier=version) == ["v"] and sids(Qualifier="live") == ["a", "f"]
    statement = json.loads(lam.get_policy(FunctionName=name, Qualifier="live")["Policy"])["Statement"][0]
    assert statement["Resource"] == alias["AliasArn"]
    live = lam.get_policy(FunctionName=name, Qualifier="live")["RevisionId"]
    assert live == lam.get_alias(FunctionName=name, Name="live")["RevisionId"]
    lam.delete_alias(FunctionName=name, Name="live")
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    assert _error(lam.get_policy, FunctionName=name, Qualifier="live")[0] == "ResourceNotFoundException"
    lam.delete_function(FunctionName=name)  # its policies go with it: a new function of that name has none
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler", Code={"ZipFile": handler_zip()}
    )
    assert _error(lam.get_policy, FunctionName=name)[0] == "ResourceNotFoundException"
