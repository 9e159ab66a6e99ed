"""Fixtures for the engine tests: the engine's parts over a real store (SQLite, or PostgreSQL too)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.store import Store
from overcast.workflows.asl import validate_definition
from overcast.workflows.engine import history
from overcast.workflows.engine.machines import LISTS, Machines
from overcast.workflows.engine.records import Event
from overcast.workflows.engine.tasks import Tasks

CTX = RequestContext(account_id="111111111111", region="us-east-1")
ROLE = "arn:aws:iam::111111111111:role/sfn"


@pytest.fixture(params=["sqlite_store", "pg_store"])
def store(request: pytest.FixtureRequest) -> Store:
    """The same tests on both engines (one SQL schema, two engines)."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def machines(store: Store, clock: FakeClock) -> Machines:
    registry = Machines(store, clock, validate_definition)
    await registry.start()
    return registry


@pytest.fixture
def tasks(store: Store, clock: FakeClock, machines: Machines) -> Tasks:
    return Tasks(store, clock)


async def history_page(
    store: Store, arn: str, size: int | None, token: str | None, reverse: bool = False, include_data: bool = True
) -> tuple[list[Event], str | None]:
    """A page of an execution's history as GetExecutionHistory reads it for CTX."""
    page = LISTS.start(CTX, history.by_id(reverse).kinds, size, token, arn, reverse)
    return await history.page(store, arn, page, reverse, include_data)


def finish(sfn: Any, arn: str, timeout: float = 20) -> dict[str, Any]:
    """DescribeExecution (through a boto3 client) once the execution is no longer RUNNING."""
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.05)
