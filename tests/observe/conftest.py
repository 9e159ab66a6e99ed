"""Fixtures for the observe tests: a LogStore over a fresh store on each engine, on a FakeClock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from overcast.clock import FakeClock
from overcast.observe.logs import LogStore
from overcast.store import Store
from tests.store.conftest import store, store_target  # noqa: F401 - fixtures on both engines


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def logs(store: Store, clock: FakeClock) -> AsyncIterator[LogStore]:  # noqa: F811
    log_store = LogStore(store, clock)
    await log_store.start()
    yield log_store
