"""What only the SQLite engine has to prove: its settings, and that acknowledged writes survive a kill."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from overcast.store import StoreFailure, open_store
from overcast.store.sqlite import SqliteStore

WRITER = """
import asyncio, sys
from pathlib import Path
from overcast.store import open_store

async def main() -> None:
    store = await open_store(None, Path(sys.argv[1]))
    await store.migrate("acked", ["CREATE TABLE acked (k BIGINT PRIMARY KEY, payload BYTEA, note TEXT)"])
    k = 0
    while True:
        if k % 2:
            await store.execute("INSERT INTO acked (k, payload) VALUES (?, ?)", k, bytes(2000))
        else:
            async with store.transaction() as tx:
                await tx.execute("INSERT INTO acked (k, payload) VALUES (?, ?)", k, bytes(2000))
                await tx.execute("UPDATE acked SET note = ? WHERE k = ?", "both", k)
        sys.stdout.write(f"{k}\\n")
        sys.stdout.flush()
        k += 1

asyncio.run(main())
"""


async def test_settings(tmp_path: Path) -> None:
    store = await open_store(None, tmp_path / "overcast.db")
    try:
        assert await store.fetch_one("PRAGMA journal_mode") == {"journal_mode": "wal"}
        assert await store.fetch_one("PRAGMA synchronous") == {"synchronous": 2}  # FULL
        assert await store.fetch_one("PRAGMA foreign_keys") == {"foreign_keys": 1}
        assert (await store.fetch_one("PRAGMA busy_timeout") or {}).get("timeout", 0) > 0
    finally:
        await store.close()


async def test_concurrent_writes_share_commits(tmp_path: Path) -> None:
    store = await open_store(None, tmp_path / "overcast.db")
    assert isinstance(store, SqliteStore)
    try:
        await store.execute("CREATE TABLE t (k BIGINT PRIMARY KEY)")
        await asyncio.gather(*(store.execute("INSERT INTO t (k) VALUES (?)", k) for k in range(100)))
        assert store._writer.grouped_writes > 0
        assert await store.fetch_one("SELECT COUNT(*) AS n FROM t") == {"n": 100}
    finally:
        await store.close()


async def test_transactions_run_one_at_a_time(tmp_path: Path) -> None:
    """SQLite serializes whole transactions, so even SELECT-then-UPDATE loses nothing (not so on PostgreSQL)."""
    store = await open_store(None, tmp_path / "overcast.db")
    try:
        await store.execute("CREATE TABLE counter (n BIGINT NOT NULL)")
        await store.execute("INSERT INTO counter (n) VALUES (0)")
        first_read, release = asyncio.Event(), asyncio.Event()

        async def increment(hold: bool) -> None:
            async with store.transaction() as tx:
                row = await tx.fetch_one("SELECT n FROM counter")
                assert row is not None
                if hold:
                    first_read.set()
                    await release.wait()
                await tx.execute("UPDATE counter SET n = ?", row["n"] + 1)

        holder = asyncio.create_task(increment(hold=True))
        await first_read.wait()
        other = asyncio.create_task(increment(hold=False))  # queues behind the open transaction
        for _ in range(10):
            await asyncio.sleep(0)  # let it get as far as it can
        assert not other.done()
        release.set()
        await asyncio.gather(holder, other)
        assert await store.fetch_one("SELECT n FROM counter") == {"n": 2}
    finally:
        await store.close()


async def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "overcast.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    acked: list[int] = []
    try:
        while len(acked) < 300 and (line := writer.stdout.readline()):
            acked.append(int(line))
        os.kill(writer.pid, signal.SIGKILL)  # mid-write: it never stops writing
        acked += [int(line) for line in writer.stdout.read().split()]  # acks already in the pipe
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert len(acked) >= 300

    store = await open_store(None, path)
    try:
        rows = await store.fetch_all("SELECT k, note, payload FROM acked ORDER BY k")
    finally:
        await store.close()
    stored = {row["k"]: row for row in rows}
    assert set(acked) <= set(stored)
    assert all(stored[k]["note"] == ("both" if k % 2 == 0 else None) for k in stored)  # transactions whole
    assert all(row["payload"] == bytes(2000) for row in rows)


async def test_unopenable_path_is_a_store_failure(tmp_path: Path) -> None:
    (tmp_path / "a-directory.db").mkdir()
    with pytest.raises(StoreFailure, match="SQLite store"):
        await open_store(None, tmp_path / "a-directory.db")
    assert not [t for t in threading.enumerate() if t.name.startswith("overcast-sqlite")]
