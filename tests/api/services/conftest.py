"""Fixtures of the operation-table tests: the tables exactly as the composition root assembles them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from overcast.api.services import OperationTable
from overcast.config import Settings
from overcast.server import start
from tests.conftest import ClientFactory


@pytest.fixture(scope="module")
async def tables(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, OperationTable]]:
    """{service: {operation: handler}} exactly as the composition root assembled it (`overcast up`'s call)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("tables") / "data")
    system = await start(settings, "http://127.0.0.1:4566")
    try:
        await system.start_parts()  # the services built on their first request, too
        yield dict(system.tables)
    finally:
        await system.close()


@pytest.fixture(scope="module")
def cf(aws: ClientFactory) -> Any:
    """A CloudFormation client of the session's server (the CloudFormation test modules share it)."""
    return aws("cloudformation")


@pytest.fixture(scope="module")
def logs(aws: ClientFactory) -> Any:
    return aws("logs")
