"""Step Functions through boto3: every lookup stays in the caller's account and region, page tokens stay in
their list, tags go through the kit's one table with AWS's limits."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def _client(aws: Any, account: str, region: str = "us-east-1") -> Any:
    return aws("stepfunctions", aws_access_key_id=account, aws_secret_access_key="x", region_name=region)


@pytest.fixture(scope="module")
def alice(aws: Any) -> Any:
    return _client(aws, "111111111111")


@pytest.fixture(scope="module")
def bob(aws: Any) -> Any:
    return _client(aws, "222222222222")


def _machine(sfn: Any, account: str, **kwargs: Any) -> str:
    name = "m-" + uuid.uuid4().hex[:8]
    role = f"arn:aws:iam::{account}:role/r"
    arn: str = sfn.create_state_machine(name=name, definition=PASS, roleArn=role, **kwargs)["stateMachineArn"]
    return arn


def _error(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_another_accounts_machine_is_out_of_reach(alice: Any, bob: Any) -> None:
    arn = _machine(alice, "111111111111")
    execution = alice.start_execution(stateMachineArn=arn)["executionArn"]
    for call, kwargs in (
        (bob.describe_state_machine, {"stateMachineArn": arn}),
        (bob.start_execution, {"stateMachineArn": arn}),
        (bob.update_state_machine, {"stateMachineArn": arn, "definition": PASS}),
        (bob.describe_execution, {"executionArn": execution}),
        (bob.stop_execution, {"executionArn": execution}),
        (bob.get_execution_history, {"executionArn": execution}),
        (bob.list_executions, {"stateMachineArn": arn}),
        (bob.tag_resource, {"resourceArn": arn, "tags": [{"key": "k", "value": "v"}]}),
        (bob.list_tags_for_resource, {"resourceArn": arn}),
        (bob.delete_state_machine, {"stateMachineArn": arn}),
    ):
        code, message = _error(call, **kwargs)
        assert code == "AccessDeniedException", (call, code)
        assert "arn:aws:iam::222222222222:root is not authorized" in message
    assert arn not in [m["stateMachineArn"] for m in bob.list_state_machines()["stateMachines"]]
    assert alice.describe_state_machine(stateMachineArn=arn)["status"] == "ACTIVE"  # the delete changed nothing


def test_another_regions_machine_does_not_exist_here(aws: Any, alice: Any) -> None:
    arn = _machine(alice, "111111111111")
    west = _client(aws, "111111111111", "us-west-2")
    assert _error(west.describe_state_machine, stateMachineArn=arn)[0] == "StateMachineDoesNotExist"


def test_a_page_token_is_refused_outside_its_list(aws: Any) -> None:
    carol = _client(aws, "333333333333")
    dave = _client(aws, "444444444444")
    for _ in range(3):
        _machine(carol, "333333333333")
        carol.create_activity(name="a-" + uuid.uuid4().hex[:8])
    first = carol.list_state_machines(maxResults=2)
    token = first["nextToken"]
    second = carol.list_state_machines(maxResults=2, nextToken=token)
    names = [m["name"] for m in first["stateMachines"] + second["stateMachines"]]
    assert len(names) == 3 and names == sorted(names) and "nextToken" not in second
    for call in (dave.list_state_machines, carol.list_activities):  # another account; another list
        code, message = _error(call, maxResults=2, nextToken=token)
        assert (code, message) == ("InvalidToken", f"Invalid Token: '{token}'")
    assert _error(carol.list_state_machines, nextToken="garbage")[0] == "InvalidToken"


def test_tags_with_the_limit_and_gone_with_their_machine(alice: Any) -> None:
    arn = _machine(alice, "111111111111", tags=[{"key": f"k{i}", "value": "v"} for i in range(49)])
    assert _error(alice.tag_resource, resourceArn=arn, tags=[{"key": "x"}, {"key": "y"}])[0] == "TooManyTags"
    alice.tag_resource(resourceArn=arn, tags=[{"key": "k0", "value": "new"}, {"key": "x", "value": ""}])
    listed = {t["key"]: t["value"] for t in alice.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert len(listed) == 50 and listed["k0"] == "new" and listed["x"] == ""
    alice.untag_resource(resourceArn=arn, tagKeys=["x", "not-there"])
    assert len(alice.list_tags_for_resource(resourceArn=arn)["tags"]) == 49
    name = arn.rsplit(":", 1)[1]
    alice.delete_state_machine(stateMachineArn=arn)
    again = alice.create_state_machine(name=name, definition=PASS, roleArn="arn:aws:iam::111111111111:role/r")
    assert alice.list_tags_for_resource(resourceArn=again["stateMachineArn"])["tags"] == []
    too_many = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    assert _error(alice.create_activity, name="t-" + uuid.uuid4().hex[:8], tags=too_many)[0] == "TooManyTags"
