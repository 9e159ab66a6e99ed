"""CRUD, types, upserts and RETURNING on every engine."""

from __future__ import annotations

from overcast.store import Store


async def test_insert_and_read_back(store: Store) -> None:
    await store.migrate("t", ["CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT)"])
    assert await store.execute("INSERT INTO t (k, n) VALUES (?, ?)", "a", 1) == 1
    assert await store.fetch_one("SELECT k, n FROM t WHERE k = ?", "a") == {"k": "a", "n": 1}
