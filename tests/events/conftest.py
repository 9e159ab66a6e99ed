"""The event services' tests share a server of their own: their messages and deliveries start its bus, which the
suite's shared server must not have started (tests/test_server.py checks that an idle server runs none)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import WaiterError

from overcast.bus.on_demand import OnDemandBus
from overcast.clock import FakeClock
from overcast.events import queues
from overcast.events.queues.service import Queues
from overcast.store import Store
from tests.conftest import ClientFactory, RunningServer, clients_of, own_server


@pytest.fixture(scope="package")
def server() -> Iterator[RunningServer]:
    with own_server("overcast-events-") as running:
        yield running


@pytest.fixture(scope="package")
def aws(server: RunningServer) -> ClientFactory:
    return clients_of(server)


@pytest.fixture
def cf(aws: ClientFactory) -> Any:
    return aws("cloudformation")


FAST = {"Delay": 0.05, "MaxAttempts": 400}  # CloudFormation waiters' polls: a stack here takes milliseconds


def deployed(cf: Any, name: str, waiter: str, template: dict[str, Any], update: bool = False) -> dict[str, Any]:
    """The stack `name` once `template` is created (or, with `update`, updated) and `waiter` is done with it."""
    (cf.update_stack if update else cf.create_stack)(StackName=name, TemplateBody=json.dumps(template))
    with contextlib.suppress(WaiterError):  # a failure state: the caller asserts the status it expects
        cf.get_waiter(waiter).wait(StackName=name, WaiterConfig=FAST)
    stack: dict[str, Any] = cf.describe_stacks(StackName=name)["Stacks"][0]
    return stack


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def service(sqlite_store: Store, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Queues]:
    """SQS's domain service on a real store and an embedded bus, timed by the fake clock."""
    bus = OnDemandBus(None, tmp_path / "nats")
    built = await queues.build(sqlite_store, clock, bus, "http://127.0.0.1:4566")
    try:
        yield built
    finally:
        await built.close()
        await bus.close()
