"""Step Functions answers carry every member AWS returns, ARNs are in the region's partition, and the
settings clients send (encryption, role ARNs) are checked as AWS checks them: through boto3 against a
real server.

Each expected key set is the operation's output members that AWS returns for the resource as created
here (its page in https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html,
and botocore's model, whose required members are checked too).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from tests.workflows.engine.conftest import finish

ROLE = "arn:aws:iam::000000000000:role/sfn"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
KEY = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
_MODEL = botocore.session.get_session().get_service_model("stepfunctions")

# API_DescribeStateMachine.html: loggingConfiguration, tracingConfiguration and encryptionConfiguration
# are reported with their defaults when never set; label only for a Distributed Map state's ARN,
# description only for a version, variableReferences only for states that reference variables.
MACHINE = {
    "stateMachineArn", "name", "status", "definition", "roleArn", "type", "creationDate",
    "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration", "revisionId",
}  # fmt: skip
# API_DescribeStateMachineForExecution.html: revisionId "is null" for the first revision.
FOR_EXECUTION = {
    "stateMachineArn", "name", "definition", "roleArn", "updateDate",
    "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration",
}  # fmt: skip
# API_DescribeExecution.html: a Standard execution started on the machine itself (no version or alias
# ARN), finished: its output, and why it cannot be redriven.
EXECUTION = {
    "executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate", "input", "inputDetails",
    "output", "outputDetails", "redriveCount", "redriveStatus", "redriveStatusReason",
}  # fmt: skip


def _keys(answer: dict[str, Any]) -> set[str]:
    return set(answer) - {"ResponseMetadata"}


def _has_required(operation: str, answer: dict[str, Any]) -> None:
    required = set(_MODEL.operation_model(operation).output_shape.required_members)
    assert required <= _keys(answer), (operation, required - _keys(answer))


@pytest.fixture(scope="module")
def sfn(aws: Any) -> Any:
    return aws("stepfunctions")


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _error(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_describe_and_list_answers_carry_every_member_aws_returns(sfn: Any) -> None:
    arn = sfn.create_state_machine(name=_name("fields"), definition=PASS, roleArn=ROLE)["stateMachineArn"]
    described = sfn.describe_state_machine(stateMachineArn=arn)
    _has_required("DescribeStateMachine", described)
    assert _keys(described) == MACHINE
    assert described["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}
    assert described["tracingConfiguration"] == {"enabled": False}
    assert described["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}

    version_arn = sfn.publish_state_machine_version(stateMachineArn=arn, description="v1")["stateMachineVersionArn"]
    version = sfn.describe_state_machine(stateMachineArn=version_arn)
    assert _keys(version) == MACHINE | {"description"}
    assert version["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}

    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    finished = finish(sfn, execution)
    _has_required("DescribeExecution", finished)
    assert _keys(finished) == EXECUTION
    assert finished["redriveCount"] == 0 and finished["redriveStatus"] == "NOT_REDRIVABLE"
    for_execution = sfn.describe_state_machine_for_execution(executionArn=execution)
    _has_required("DescribeStateMachineForExecution", for_execution)
    assert _keys(for_execution) == FOR_EXECUTION

    listed = sfn.list_executions(stateMachineArn=arn)["executions"][0]
    assert set(listed) == {"executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate"}
    item = next(m for m in sfn.list_state_machines()["stateMachines"] if m["stateMachineArn"] == arn)
    assert set(item) == set(_MODEL.shape_for("StateMachineListItem").members)

    activity = sfn.create_activity(name=_name("act"))["activityArn"]
    described_activity = sfn.describe_activity(activityArn=activity)
    _has_required("DescribeActivity", described_activity)
    # API_DescribeActivity.html: encryptionConfiguration, AWS_OWNED_KEY by default.
    assert _keys(described_activity) == {"activityArn", "name", "creationDate", "encryptionConfiguration"}
    assert described_activity["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}


def test_a_redriven_execution_is_listed_with_its_redrives(sfn: Any) -> None:
    failing = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}})
    arn = sfn.create_state_machine(name=_name("redrive"), definition=failing, roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert finish(sfn, execution)["status"] == "FAILED"
    assert "redriveCount" not in sfn.list_executions(stateMachineArn=arn)["executions"][0]
    redriven = sfn.redrive_execution(executionArn=execution)["redriveDate"]
    described = finish(sfn, execution)
    assert described["redriveCount"] == 1 and described["redriveDate"] == redriven
    item = sfn.list_executions(stateMachineArn=arn)["executions"][0]
    assert (item["redriveCount"], item["redriveDate"]) == (1, redriven)


def test_a_customer_managed_key_is_stored_and_returned(sfn: Any) -> None:
    custom = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": KEY, "kmsDataKeyReusePeriodSeconds": 120}
    arn = sfn.create_state_machine(name=_name("cmk"), definition=PASS, roleArn=ROLE, encryptionConfiguration=custom)[
        "stateMachineArn"
    ]
    assert sfn.describe_state_machine(stateMachineArn=arn)["encryptionConfiguration"] == custom
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert finish(sfn, execution)["status"] == "SUCCEEDED"
    assert sfn.describe_state_machine_for_execution(executionArn=execution)["encryptionConfiguration"] == custom

    alias = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/my-key"}
    updated = sfn.update_state_machine(stateMachineArn=arn, encryptionConfiguration=alias)
    assert "revisionId" in updated
    assert sfn.describe_state_machine(stateMachineArn=arn)["encryptionConfiguration"] == alias
    sfn.update_state_machine(stateMachineArn=arn, encryptionConfiguration={"type": "AWS_OWNED_KEY"})
    assert sfn.describe_state_machine(stateMachineArn=arn)["encryptionConfiguration"] == {"type": "AWS_OWNED_KEY"}

    activity = sfn.create_activity(name=_name("act"), encryptionConfiguration=custom)["activityArn"]
    assert sfn.describe_activity(activityArn=activity)["encryptionConfiguration"] == custom


@pytest.mark.parametrize(
    "config",
    [
        {"type": "CUSTOMER_MANAGED_KMS_KEY"},  # no key
        {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "not a key"},
        {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "arn:aws:s3:::bucket"},
        {"type": "AWS_OWNED_KEY", "kmsKeyId": KEY},  # a key without the type that uses it
        {"type": "AWS_OWNED_KEY", "kmsDataKeyReusePeriodSeconds": 100},
    ],
)
def test_an_invalid_encryption_configuration_is_refused(sfn: Any, config: dict[str, Any]) -> None:
    # API_CreateStateMachine.html / API_UpdateStateMachine.html / API_CreateActivity.html:
    # InvalidEncryptionConfiguration, e.g. "type is set to CUSTOMER_MANAGED_KMS_KEY, but kmsKeyId is null".
    name = _name("bad-enc")
    code, _ = _error(sfn.create_state_machine, name=name, definition=PASS, roleArn=ROLE, encryptionConfiguration=config)
    assert code == "InvalidEncryptionConfiguration"
    arn = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)["stateMachineArn"]
    code, _ = _error(sfn.update_state_machine, stateMachineArn=arn, encryptionConfiguration=config)
    assert code == "InvalidEncryptionConfiguration"
    code, _ = _error(sfn.create_activity, name=name, encryptionConfiguration=config)
    assert code == "InvalidEncryptionConfiguration"
    # The model's own limits are the validation layer's (ValidationException), as for every member.
    too_long = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": KEY, "kmsDataKeyReusePeriodSeconds": 901}
    assert _error(sfn.update_state_machine, stateMachineArn=arn, encryptionConfiguration=too_long)[0] == (
        "ValidationException"
    )


@pytest.mark.parametrize(
    "role",
    [
        "not-an-arn",
        "arn:aws:iam::aws:policy/AWSBatchFullAccess",
        "arn:aws:iam::000000000000:user/someone",
        "arn:aws:lambda:us-east-1:000000000000:function:f",
        "arn:aws:iam::000000000000:role/",
    ],
)
def test_a_malformed_role_arn_is_refused_as_aws_refuses_it(sfn: Any, role: str) -> None:
    # AWS: "InvalidArn: Invalid Role Arn: '<arn>'" (API_CreateStateMachine.html, InvalidArn).
    name = _name("role")
    assert _error(sfn.create_state_machine, name=name, definition=PASS, roleArn=role) == (
        "InvalidArn",
        f"Invalid Role Arn: '{role}'",
    )
    arn = sfn.create_state_machine(name=name, definition=PASS, roleArn=ROLE)["stateMachineArn"]
    assert _error(sfn.update_state_machine, stateMachineArn=arn, roleArn=role) == (
        "InvalidArn",
        f"Invalid Role Arn: '{role}'",
    )
    assert sfn.describe_state_machine(stateMachineArn=arn)["roleArn"] == ROLE
    path_role = "arn:aws:iam::000000000000:role/service-role/StepFunctions-run"
    sfn.update_state_machine(stateMachineArn=arn, roleArn=path_role)
    assert sfn.describe_state_machine(stateMachineArn=arn)["roleArn"] == path_role


def _arns(value: Any) -> list[str]:
    """Every ARN anywhere in an answer."""
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arns(v)]
    if isinstance(value, list):
        return [a for v in value for a in _arns(v)]
    return [value] if isinstance(value, str) and value.startswith("arn:") else []


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_every_arn_is_in_the_regions_partition(aws: Any, region: str, partition: str) -> None:
    sfn = aws("stepfunctions", region_name=region)
    role = f"arn:{partition}:iam::000000000000:role/sfn"
    created = sfn.create_state_machine(name=_name("part"), definition=PASS, roleArn=role, publish=True)
    arn = created["stateMachineArn"]
    version = created["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )["stateMachineAliasArn"]
    execution = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    activity = sfn.create_activity(name=_name("act"))["activityArn"]
    answers = [
        created,
        sfn.describe_state_machine(stateMachineArn=arn),
        sfn.describe_state_machine(stateMachineArn=version),
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias),
        sfn.list_state_machines(),
        sfn.list_state_machine_versions(stateMachineArn=arn),
        sfn.list_state_machine_aliases(stateMachineArn=arn),
        finish(sfn, execution),
        sfn.list_executions(stateMachineArn=arn),
        sfn.describe_state_machine_for_execution(executionArn=execution),
        sfn.get_execution_history(executionArn=execution),
        sfn.describe_activity(activityArn=activity),
        sfn.list_activities(),
    ]
    found = [a for answer in answers for a in _arns(answer)]
    assert len(found) > 15
    assert all(a.startswith(f"arn:{partition}:") for a in found), [a for a in found if partition not in a]
    assert all(f":{region}:" in a for a in found if ":states:" in a)
