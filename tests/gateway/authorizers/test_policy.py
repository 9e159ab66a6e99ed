"""The execute-api policy evaluator, by table."""

from __future__ import annotations

import pytest

from overcast.gateway.authorizers.policy import Decision, InvalidPolicy, evaluate

ARN = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/42"


def stmt(effect: str, resource: str | list[str], action: str | list[str] = "execute-api:Invoke") -> dict[str, object]:
    return {"Effect": effect, "Action": action, "Resource": resource}


@pytest.mark.parametrize(
    ("statements", "decision"),
    [
        ([stmt("Allow", ARN)], Decision.ALLOW),
        ([stmt("Allow", "*")], Decision.ALLOW),
        ([stmt("Allow", "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/GET/*")], Decision.ALLOW),
        ([stmt("Allow", "arn:aws:execute-api:*:*:a1b2c3d4e5/prod/*")], Decision.ALLOW),
        ([stmt("Allow", "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/4?")], Decision.ALLOW),
        (
            [stmt("Allow", "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/?")],
            Decision.IMPLICIT_DENY,
        ),
        ([stmt("Allow", "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/POST/*")], Decision.IMPLICIT_DENY),
        ([stmt("Allow", [ARN.replace("GET", "PUT"), ARN])], Decision.ALLOW),
        ([stmt("Allow", ARN, action="execute-api:*")], Decision.ALLOW),
        ([stmt("Allow", ARN, action="EXECUTE-API:invoke")], Decision.ALLOW),
        ([stmt("Allow", ARN, action="execute-api:ManageConnections")], Decision.IMPLICIT_DENY),
        ([stmt("Deny", ARN)], Decision.EXPLICIT_DENY),
        ([stmt("Allow", "*"), stmt("Deny", "arn:aws:execute-api:*:*:*/prod/GET/pets/*")], Decision.EXPLICIT_DENY),
        ([stmt("Deny", "arn:aws:execute-api:*:*:*/prod/DELETE/*"), stmt("Allow", "*")], Decision.ALLOW),
        ([{"Effect": "Allow", "Action": "execute-api:Invoke", "NotResource": ARN}], Decision.IMPLICIT_DENY),
        # Resources are case-sensitive.
        ([stmt("Allow", ARN.replace("pets", "PETS"))], Decision.IMPLICIT_DENY),
    ],
)
def test_evaluate(statements: list[dict[str, object]], decision: Decision) -> None:
    assert evaluate({"Version": "2012-10-17", "Statement": statements}, ARN) is decision


def test_a_single_statement_object_is_accepted() -> None:
    assert evaluate({"Statement": stmt("Allow", ARN)}, ARN) is Decision.ALLOW


@pytest.mark.parametrize(
    "document",
    [
        None,
        "Allow",
        {},
        {"Statement": []},
        {"Statement": [{"Effect": "allow", "Action": "execute-api:Invoke", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke"}]},
        {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": 42}]},
    ],
)
def test_invalid_policies(document: object) -> None:
    with pytest.raises(InvalidPolicy):
        evaluate(document, ARN)
