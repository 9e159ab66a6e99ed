"""Step Functions' resource providers over a real engine: state machines, versions, aliases and activities."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from overcast.clock import FakeClock
from overcast.errors import AwsError
from overcast.store import Store
from overcast.templates.providers import stepfunctions
from overcast.templates.providers.base import Provider, Providers
from overcast.workflows.engine import Engine
from overcast.workflows.engine import build as build_engine

from .conftest import CTX, ROLE, request

MACHINE = "arn:aws:states:us-east-1:111111111111:stateMachine:"
DEFINITION = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": "${Greeting}", "End": True}}}


@pytest.fixture
async def engine(sqlite_store: Store, clock: FakeClock) -> Engine:
    return await build_engine(sqlite_store, clock)


@pytest.fixture
def providers(engine: Engine) -> Providers:
    found = Providers()

    async def machines() -> Any:
        return engine.machines

    stepfunctions.register(found, machines)
    return found


def provider(providers: Providers, name: str) -> Provider:
    found = providers.get(f"AWS::StepFunctions::{name}")
    assert found is not None
    return found


async def test_a_state_machine_with_definition_substitutions(providers: Providers, engine: Engine) -> None:
    properties = {"Definition": DEFINITION, "DefinitionSubstitutions": {"Greeting": "hello"}, "RoleArn": ROLE,
                  "TracingConfiguration": {"Enabled": True}, "Tags": [{"Key": "app", "Value": "demo"}]}  # fmt: skip
    machines = provider(providers, "StateMachine")
    made = await machines.create(request("AWS::StepFunctions::StateMachine", "Flow", properties))
    assert re.fullmatch(MACHINE + r"app-Flow-[A-Z0-9]{12}", made.ref)  # Ref: the ARN
    machine = await engine.machines.get(CTX, made.ref)
    assert made.attributes == {"Arn": made.ref, "Name": machine.name, "StateMachineRevisionId": machine.revision_id}
    assert json.loads(machine.config.definition)["States"]["Done"]["Result"] == "hello"
    assert machine.config.tracing == {"enabled": True}
    assert machine.config.type == "STANDARD"
    assert await engine.machines.tagging.tags(CTX, made.ref) == {"app": "demo"}

    changed = {**properties, "DefinitionSubstitutions": {"Greeting": "bye"}, "Tags": []}
    updated = await machines.update(request("AWS::StepFunctions::StateMachine", "Flow", changed), made, properties)
    machine = await engine.machines.get(CTX, made.ref)
    assert json.loads(machine.config.definition)["States"]["Done"]["Result"] == "bye"
    assert (
        updated.attributes["StateMachineRevisionId"] == machine.revision_id != made.attributes["StateMachineRevisionId"]
    )
    assert await engine.machines.tagging.tags(CTX, made.ref) == {}

    await machines.delete(request("AWS::StepFunctions::StateMachine", "Flow", changed), made)
    assert await engine.machines.find(CTX, made.ref) is None


async def test_a_definition_string_and_a_name_express_machine(providers: Providers, engine: Engine) -> None:
    properties = {"DefinitionString": json.dumps(DEFINITION).replace("${Greeting}", "hi"), "RoleArn": ROLE,
                  "StateMachineName": "orders", "StateMachineType": "EXPRESS"}  # fmt: skip
    made = await provider(providers, "StateMachine").create(
        request("AWS::StepFunctions::StateMachine", "M", properties)
    )
    assert made.ref == MACHINE + "orders"
    assert made.attributes["Name"] == "orders"
    assert (await engine.machines.get(CTX, made.ref)).config.type == "EXPRESS"


async def test_a_bad_definition_fails_with_step_functions_own_error(providers: Providers) -> None:
    properties = {"Definition": {"StartAt": "Nowhere", "States": {}}, "RoleArn": ROLE}
    with pytest.raises(AwsError) as raised:
        await provider(providers, "StateMachine").create(request("AWS::StepFunctions::StateMachine", "M", properties))
    assert raised.value.code == "InvalidDefinition"


async def test_versions_aliases_and_activities(providers: Providers, engine: Engine) -> None:
    machine = await provider(providers, "StateMachine").create(
        request("AWS::StepFunctions::StateMachine", "M", {"Definition": DEFINITION, "RoleArn": ROLE})
    )
    version_req = request("AWS::StepFunctions::StateMachineVersion", "V", {"StateMachineArn": machine.ref})
    version = await provider(providers, "StateMachineVersion").create(version_req)
    assert version.ref == machine.ref + ":1"
    assert version.attributes == {"Arn": version.ref}

    alias_props = {"Name": "live", "RoutingConfiguration": [{"StateMachineVersionArn": version.ref, "Weight": 100}]}
    alias_req = request("AWS::StepFunctions::StateMachineAlias", "A", alias_props)
    alias = await provider(providers, "StateMachineAlias").create(alias_req)
    assert alias.ref == machine.ref + ":live"
    assert (await engine.machines.alias(CTX, alias.ref)).routing == ((version.ref, 100),)
    await provider(providers, "StateMachineAlias").delete(alias_req, alias)
    await provider(providers, "StateMachineVersion").delete(version_req, version)
    with pytest.raises(AwsError):
        await engine.machines.version(CTX, version.ref)

    activity_req = request("AWS::StepFunctions::Activity", "Work", {"Name": "work"})
    activity = await provider(providers, "Activity").create(activity_req)
    assert activity.ref == "arn:aws:states:us-east-1:111111111111:activity:work"
    assert activity.attributes == {"Arn": activity.ref, "Name": "work"}
    await provider(providers, "Activity").delete(activity_req, activity)
    with pytest.raises(AwsError):
        await engine.machines.activity(CTX, activity.ref)
