"""Fixtures for the billing tests: a Meter over a fresh store on each engine, on a FakeClock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from overcast.billing.metering import Meter
from overcast.clock import FakeClock
from overcast.store import Store
from tests.store.conftest import store, store_target  # noqa: F401 - fixtures on both engines


@pytest.fixture
async def meter(store: Store) -> AsyncIterator[Meter]:  # noqa: F811
    m = Meter(store, FakeClock(), 1)
    await m.start()
    yield m
