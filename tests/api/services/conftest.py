"""Fixtures of the operation-table tests: the tables exactly as the composition root assembles them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from overcast.api.services import OperationTable
from overcast.config import Settings
from overcast.server import start


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
