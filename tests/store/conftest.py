"""Fixtures for store tests: a fresh store per test on each engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.store import Store, open_store


@pytest.fixture(params=["sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(None, tmp_path / "overcast.db")
    try:
        yield opened
    finally:
        await opened.close()
