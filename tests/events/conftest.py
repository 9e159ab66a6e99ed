"""The event services' tests share a server of their own: their messages and deliveries start its bus, which the
suite's shared server must not have started (tests/test_server.py checks that an idle server runs none)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import ClientFactory, RunningServer, clients_of, own_server


@pytest.fixture(scope="package")
def server() -> Iterator[RunningServer]:
    with own_server("overcast-events-") as running:
        yield running


@pytest.fixture(scope="package")
def aws(server: RunningServer) -> ClientFactory:
    return clients_of(server)
