"""Fixtures for store tests: a fresh store per test on each engine (PostgreSQL from tests/postgres.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.store import Store, open_store
from tests.postgres import new_schema


@pytest.fixture(params=["sqlite", "postgres"])
async def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str | None, Path]]:
    """The `open_store` arguments of an empty database on each engine."""
    if request.param == "sqlite":
        yield None, tmp_path / "overcast.db"
    else:
        async with new_schema(request.getfixturevalue("postgres_database")) as url:
            yield url, tmp_path / "overcast.db"


@pytest.fixture
async def store(store_target: tuple[str | None, Path]) -> AsyncIterator[Store]:
    """An open, empty store on each engine."""
    opened = await open_store(*store_target)
    try:
        yield opened
    finally:
        await opened.close()
