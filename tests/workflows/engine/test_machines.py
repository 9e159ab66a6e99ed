"""The state machine registry on both engines: idempotent create, update, versions, aliases, tags, activities."""

from __future__ import annotations

import json

import pytest

from overcast.errors import AwsError
from overcast.workflows.engine.machines import Machines
from overcast.workflows.engine.records import MachineConfig

from .conftest import CTX, ROLE

PASS = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
PASS2 = json.dumps({"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}})
ARN = "arn:aws:states:us-east-1:111111111111:stateMachine:sm"


async def test_create_is_idempotent_and_conflicts_on_a_different_config(machines: Machines) -> None:
    machine, version = await machines.create(CTX, "sm", MachineConfig(PASS, ROLE))
    assert machine.arn == ARN and version is None
    again, _ = await machines.create(CTX, "sm", MachineConfig(PASS, ROLE))
    assert again.created == machine.created
    with pytest.raises(AwsError) as caught:
        await machines.create(CTX, "sm", MachineConfig(PASS2, ROLE))
    assert caught.value.code == "StateMachineAlreadyExists"


@pytest.mark.parametrize("name", ["", "a b", "x/y", "a:b", "n" * 81, "q?", "tab\t"])
async def test_names_as_aws_checks_them(machines: Machines, name: str) -> None:
    with pytest.raises(AwsError) as caught:
        await machines.create(CTX, name, MachineConfig(PASS, ROLE))
    assert caught.value.code == "InvalidName" and caught.value.message == f"Invalid Name: '{name}'"


async def test_invalid_definition_has_the_validators_message(machines: Machines) -> None:
    with pytest.raises(AwsError) as caught:
        await machines.create(CTX, "sm", MachineConfig("{}", ROLE))
    assert caught.value.code == "InvalidDefinition"
    assert "Invalid State Machine Definition" in caught.value.message


async def test_versions_aliases_and_tags(machines: Machines) -> None:
    machine, v1 = await machines.create(CTX, "sm", MachineConfig(PASS, ROLE), publish=True, description="one")
    assert v1 is not None and v1.arn == ARN + ":1" and v1.description == "one"
    assert (await machines.publish(CTX, ARN, None, "")).arn == v1.arn  # unchanged revision: same version
    updated, v2 = await machines.update(CTX, ARN, {"definition": PASS2}, publish=True)
    assert v2 is not None and v2.version == 2 and updated.revision_id != machine.revision_id
    with pytest.raises(AwsError) as conflict:
        await machines.publish(CTX, ARN, machine.revision_id, "")
    assert conflict.value.code == "ConflictException"
    listed, token = await machines.versions(CTX, ARN, 1, None)
    assert [v.version for v in listed] == [2] and token is not None
    assert [v.version for v in (await machines.versions(CTX, ARN, 1, token))[0]] == [1]
    alias = await machines.create_alias(CTX, "live", "", [(v1.arn, 50), (v2.arn, 50)])
    assert alias.arn == ARN + ":live"
    with pytest.raises(AwsError) as in_use:
        await machines.delete_version(CTX, v1.arn)
    assert in_use.value.code == "ConflictException"
    await machines.update_alias(CTX, alias.arn, "moved", [(v2.arn, 100)])
    await machines.delete_version(CTX, v1.arn)
    assert (await machines.alias(CTX, alias.arn)).description == "moved"
    await machines.tagging.tag(CTX, ARN, {"team": "a", "env": "dev"})
    await machines.tagging.untag(CTX, ARN, ["env"])
    assert await machines.tagging.tags(CTX, ARN) == {"team": "a"}
    await machines.delete(CTX, ARN)
    with pytest.raises(AwsError) as gone:
        await machines.get(CTX, ARN)
    assert gone.value.code == "StateMachineDoesNotExist"
    with pytest.raises(AwsError):
        await machines.alias(CTX, alias.arn)


async def test_listing_pages_and_activities(machines: Machines) -> None:
    for n in range(3):
        await machines.create(CTX, f"m{n}", MachineConfig(PASS, ROLE))
    first, token = await machines.listing(CTX, 2, None)
    rest, end = await machines.listing(CTX, 2, token)
    assert [m.name for m in first + rest] == ["m0", "m1", "m2"] and end is None
    activity = await machines.create_activity(CTX, "work")
    assert (await machines.create_activity(CTX, "work")).created == activity.created
    assert [a.name for a in (await machines.activities(CTX, None, None))[0]] == ["work"]
    assert activity.encryption == (await machines.activity(CTX, activity.arn)).encryption == {"type": "AWS_OWNED_KEY"}
    key = {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/work"}
    assert (await machines.activity(CTX, (await machines.create_activity(CTX, "w2", None, key)).arn)).encryption == key
    await machines.delete_activity(CTX, activity.arn)
    with pytest.raises(AwsError) as gone:
        await machines.activity(CTX, activity.arn)
    assert gone.value.code == "ActivityDoesNotExist"
