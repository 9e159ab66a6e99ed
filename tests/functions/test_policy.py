"""Who a function's policy lets in: principals, actions and conditions as IAM reads them."""

from __future__ import annotations

from typing import Any

from overcast.context import Caller, account_root, service
from overcast.functions.policy import allows

API = "arn:aws:execute-api:us-east-1:111111111111:abc123/prod/GET/pets"


def _statement(principal: Any, action: str = "lambda:InvokeFunction", **condition: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Sid": "s", "Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        out["Condition"] = condition
    return out


def test_no_policy_lets_nobody_in() -> None:
    assert not allows([], account_root("111111111111", "us-east-1"))


def test_an_account_principal_stands_for_every_principal_of_that_account() -> None:
    policy = [_statement({"AWS": "arn:aws:iam::111111111111:root"})]
    assert allows(policy, account_root("111111111111", "us-east-1"))
    assert allows(policy, Caller("111111111111", "arn:aws:sts::111111111111:assumed-role/runner/session"))
    assert not allows(policy, account_root("222222222222", "us-east-1"))
    assert allows([_statement({"AWS": "111111111111"})], account_root("111111111111", "us-east-1"))
    # a service acting for a resource of that account is not a principal of the account
    assert not allows(policy, service("apigateway.amazonaws.com", "111111111111", API))


def test_a_role_names_its_sessions_and_nothing_else() -> None:
    policy = [_statement({"AWS": ["arn:aws:iam::111111111111:role/path/runner"]})]
    assert allows(policy, Caller("111111111111", "arn:aws:sts::111111111111:assumed-role/runner/exec-1"))
    assert not allows(policy, Caller("111111111111", "arn:aws:sts::111111111111:assumed-role/other/exec-1"))
    assert not allows(policy, account_root("111111111111", "us-east-1"))


def test_a_service_principal_needs_its_conditions() -> None:
    caller = service("apigateway.amazonaws.com", "111111111111", API)
    assert allows([_statement({"Service": "apigateway.amazonaws.com"})], caller)
    assert not allows([_statement({"Service": "states.amazonaws.com"})], caller)
    like = {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:111111111111:abc123/*/*/pets"}}
    assert allows([_statement({"Service": "apigateway.amazonaws.com"}, **like)], caller)
    other_api = {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:111111111111:zzz999/*"}}
    assert not allows([_statement({"Service": "apigateway.amazonaws.com"}, **other_api)], caller)
    # ArnLike matches each of the ARN's parts on its own: a `*` does not reach across a colon
    across = {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:*:abc123/*"}}
    assert not allows([_statement({"Service": "apigateway.amazonaws.com"}, **across)], caller)
    account = {"StringEquals": {"aws:sourceaccount": "111111111111"}}  # key names are case-insensitive
    assert allows([_statement({"Service": "apigateway.amazonaws.com"}, **account)], caller)
    assert not allows(
        [_statement({"Service": "apigateway.amazonaws.com"}, StringEquals={"AWS:SourceAccount": "222222222222"})],
        caller,
    )


def test_unknown_keys_and_operators_deny() -> None:
    caller = account_root("111111111111", "us-east-1")
    root = {"AWS": "arn:aws:iam::111111111111:root"}
    assert not allows([_statement(root, StringEquals={"aws:PrincipalOrgID": "o-abcdefghij"})], caller)
    assert not allows([_statement(root, NumericLessThan={"aws:MultiFactorAuthAge": "3600"})], caller)
    # an account principal carries no aws:SourceArn: a statement that needs one does not apply
    assert not allows([_statement(root, ArnLike={"AWS:SourceArn": "*"})], caller)


def test_actions_match_with_wildcards_and_deny_wins() -> None:
    caller = account_root("111111111111", "us-east-1")
    root = {"AWS": "arn:aws:iam::111111111111:root"}
    assert allows([_statement(root, "lambda:*")], caller)
    assert allows([_statement(root, "*")], caller)
    assert allows([_statement(root, "lambda:invokefunction")], caller)  # action names are case-insensitive
    assert not allows([_statement(root, "lambda:GetFunction")], caller)
    assert allows([_statement("*")], caller)
    denied = {**_statement(root), "Effect": "Deny"}
    assert not allows([_statement("*"), denied], caller)
