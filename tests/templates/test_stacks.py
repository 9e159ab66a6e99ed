"""The stacks service on both store engines: waves made concurrently, replacement order, records read back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from overcast.clock import SystemClock
from overcast.context import RequestContext
from overcast.observe.logs import LogStore
from overcast.store import Store
from overcast.templates import records as st
from overcast.templates.change_sets import ChangeSets
from overcast.templates.providers.base import Made, Providers, ResourceRequest
from overcast.templates.providers.logs import LogGroups
from overcast.templates.stacks import Request, Stacks

CTX = RequestContext(account_id="123456789012", region="eu-west-1")


class Things:
    """A test-only provider: it records each call, and `gate` holds creates until `width` of them are in flight,
    so a wave made one resource at a time would never finish."""

    def __init__(self, width: int) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.width = width
        self.in_flight = 0
        self.gate = asyncio.Event()

    async def create(self, request: ResourceRequest) -> Made:
        self.calls.append(("create", request.logical_id, _name(request)))
        self.in_flight += 1
        if self.in_flight >= self.width:
            self.gate.set()
        await asyncio.wait_for(self.gate.wait(), 10)
        name = _name(request)
        return Made(name, {"Upper": name.upper()})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        self.calls.append(("update", request.logical_id, _name(request)))
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        self.calls.append(("delete", request.logical_id, current.ref))


def _name(request: ResourceRequest) -> str:
    return str(request.properties.get("Name") or request.properties.get("QueueName"))


@pytest.fixture(params=["sqlite_store", "pg_store"])
def any_store(request: pytest.FixtureRequest) -> Store:
    found: Store = request.getfixturevalue(request.param)
    return found


@pytest.fixture
async def world(any_store: Store) -> AsyncIterator[tuple[Stacks, Things, LogStore]]:
    logs = LogStore(any_store, SystemClock())
    await logs.start()
    things = Things(width=2)
    providers = Providers()
    providers.add("AWS::Logs::LogGroup", LogGroups(logs))
    providers.add("Test::Thing", things)
    providers.add("AWS::SQS::Queue", things)  # a type whose schema makes QueueName create-only
    stacks = Stacks(any_store, SystemClock(), providers)
    await stacks.start()
    try:
        yield stacks, things, logs
    finally:
        await stacks.close()


def thing(**properties: Any) -> dict[str, Any]:
    return {"Type": "Test::Thing", "Properties": properties}


async def test_a_wave_is_made_concurrently_and_the_records_read_back(world: tuple[Stacks, Things, LogStore]) -> None:
    stacks, things, logs = world
    template = {
        "Parameters": {"Key": {"Type": "String", "NoEcho": True}},
        "Resources": {
            "A": thing(Name="a"),
            "B": thing(Name="b"),
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "stack-logs"}},
            "C": thing(Name={"Fn::Sub": "${A}-${B.Upper}-${AWS::Region}"}),
        },
        "Outputs": {"C": {"Value": {"Ref": "C"}}},
    }
    request = Request(template_body=json.dumps(template), parameters={"Key": "secret"})
    stack_id = await stacks.create_stack(CTX, "waves", request)
    assert stack_id.startswith("arn:aws:cloudformation:eu-west-1:123456789012:stack/waves/")
    await stacks.settled()
    # A and B were in flight together (neither is let through before both are), C after them.
    assert sorted(call[1] for call in things.calls[:2]) == ["A", "B"] and things.calls[2][1] == "C"
    stack = await stacks.stack(CTX, "waves")
    assert stack.status == st.CREATE_COMPLETE
    assert stack.shown_parameters == {"Key": "****"} and stack.parameters == {"Key": "secret"}
    assert [(o.key, o.value) for o in stack.outputs] == [("C", "a-B-eu-west-1")]
    assert (await logs.group(CTX, "stack-logs")).name == "stack-logs"
    events = await stacks.events(CTX, stack_id)
    assert (events[0].logical_id, events[0].status) == ("waves", st.CREATE_COMPLETE)  # newest first
    assert (events[-1].logical_id, events[-1].status) == ("waves", st.CREATE_IN_PROGRESS)
    _, rows = await stacks.resources(CTX, stack_id)
    assert {r.logical_id: r.physical_id for r in rows} == {
        "A": "a",
        "B": "b",
        "C": "a-B-eu-west-1",
        "Logs": "stack-logs",
    }
    assert {r.logical_id: dict(r.properties) for r in rows}["C"] == {"Name": "a-B-eu-west-1"}
    assert await stacks.find(RequestContext(account_id="999999999999", region="eu-west-1"), stack_id) is None


async def test_a_replacement_makes_the_new_updates_dependents_then_deletes_the_old(
    world: tuple[Stacks, Things, LogStore],
) -> None:
    stacks, things, _ = world
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "one"}}
    before = {"Resources": {"Base": queue, "User": thing(Name={"Fn::Sub": "${Base}-user"}), "Same": thing(Name="s")}}
    await stacks.create_stack(CTX, "replace", Request(template_body=json.dumps(before)))
    await stacks.settled()
    things.calls.clear()
    after = {"Resources": {**before["Resources"], "Base": {**queue, "Properties": {"QueueName": "two"}}}}
    change_sets = ChangeSets(stacks)
    changed = await change_sets.create(CTX, "replace", "c", "UPDATE", Request(template_body=json.dumps(after)), None)
    assert [(c.logical_id, c.action, c.replacement) for c in changed.changes] == [
        ("Base", "Modify", "True"),
        ("User", "Modify", "False"),  # Name references Base, and is not create-only for its type
    ]
    await change_sets.execute(CTX, changed.id, None)
    await stacks.settled()
    assert (await stacks.stack(CTX, "replace")).status == st.UPDATE_COMPLETE
    assert things.calls == [("create", "Base", "two"), ("update", "User", "two-user"), ("delete", "Base", "one")]
    _, rows = await stacks.resources(CTX, "replace")
    # Updated in place, User keeps its id (the test provider answers `current`) and holds its new properties.
    assert {r.logical_id: r.physical_id for r in rows} == {"Base": "two", "User": "one-user", "Same": "s"}
    assert {r.logical_id: dict(r.properties) for r in rows}["User"] == {"Name": "two-user"}
    assert (await change_sets.get(CTX, changed.id, None)).execution_status == st.EXEC_COMPLETE


async def test_a_stack_left_in_progress_by_a_stopped_server_is_marked_failed(any_store: Store) -> None:
    things = Things(width=99)  # holds every create: the operation is still running when the service stops
    providers = Providers()
    providers.add("Test::Thing", things)
    stacks = Stacks(any_store, SystemClock(), providers)
    await stacks.start(sole_owner=True)
    await stacks.create_stack(CTX, "stopped", Request(template_body=json.dumps({"Resources": {"A": thing(Name="a")}})))
    while not things.calls:
        await asyncio.sleep(0)  # the create has reached the provider
    await stacks.close()
    assert (await stacks.stack(CTX, "stopped")).status == st.CREATE_IN_PROGRESS

    again = Stacks(any_store, SystemClock(), providers)
    await again.start(sole_owner=True)
    stack = await again.stack(CTX, "stopped")
    assert stack.status == st.CREATE_FAILED and "Overcast stopped during CREATE_IN_PROGRESS" in str(stack.status_reason)
    await again.delete_stack(CTX, "stopped")
    await again.settled()
    assert (await again.stack(CTX, stack.id)).status == st.DELETE_COMPLETE
