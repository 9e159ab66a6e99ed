"""Migrations on both engines: each step once, in order, per component, resumable, safe to race."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.store import Queries, Store, StoreFailure, open_store

STEPS = [
    "CREATE TABLE log (step BIGINT NOT NULL); INSERT INTO log (step) VALUES (1)",
    "INSERT INTO log (step) VALUES (2)",
    "CREATE TABLE extra (k TEXT PRIMARY KEY); INSERT INTO log (step) VALUES (3)",
]


async def _log(store: Store) -> list[int]:
    return [row["step"] for row in await store.fetch_all("SELECT step FROM log ORDER BY step")]


async def _versions(store: Store) -> dict[str, int]:
    rows = await store.fetch_all("SELECT component, version FROM schema_migrations ORDER BY component")
    return {row["component"]: row["version"] for row in rows}


async def test_steps_run_once(store: Store) -> None:
    await store.migrate("log", STEPS)
    await store.migrate("log", STEPS)
    assert await _log(store) == [1, 2, 3]
    assert await _versions(store) == {"log": 3}


async def test_new_steps_run_on_the_next_start(store: Store) -> None:
    await store.migrate("log", STEPS[:1])
    assert await _log(store) == [1]
    await store.migrate("log", STEPS)
    assert await _log(store) == [1, 2, 3]
    assert await _versions(store) == {"log": 3}


async def test_versions_are_per_component(store: Store) -> None:
    await store.migrate("log", STEPS[:2])
    await store.migrate("other", ["CREATE TABLE other (k TEXT)"])
    await store.migrate("empty", [])
    assert await _versions(store) == {"log": 2, "other": 1}


async def test_failed_step_leaves_earlier_steps_and_resumes(store: Store) -> None:
    broken = [*STEPS[:2], "INSERT INTO log (step) VALUES (3); INSERT INTO no_such_table VALUES (1)"]
    with pytest.raises(StoreFailure):
        await store.migrate("log", broken)
    # Steps 1 and 2 are committed; the failed step left nothing, not even its first statement.
    assert await _log(store) == [1, 2]
    assert await _versions(store) == {"log": 2}
    await store.migrate("log", STEPS)
    assert await _log(store) == [1, 2, 3]
    assert await _versions(store) == {"log": 3}


async def test_schema_newer_than_the_code_is_refused(store: Store) -> None:
    await store.migrate("log", STEPS)
    with pytest.raises(StoreFailure, match="version 3, newer than the 2 migration steps"):
        await store.migrate("log", STEPS[:2])


@pytest.fixture
async def twin(store: Store, store_target: tuple[str | None, Path]) -> AsyncIterator[Store]:
    """A second, independent store on the same database (as another process would open it)."""
    other = await open_store(*store_target)
    try:
        yield other
    finally:
        await other.close()


async def test_concurrent_migrators_apply_each_step_once(store: Store, twin: Store) -> None:
    components = [f"c{n}" for n in range(3)]
    steps = {
        c: [f"CREATE TABLE {c} (k TEXT PRIMARY KEY)", f"INSERT INTO {c} (k) VALUES ('only-once')"] for c in components
    }
    await asyncio.gather(*(s.migrate(c, steps[c]) for c in components for s in (store, twin, store, twin)))
    for c in components:
        assert await store.fetch_all(f"SELECT k FROM {c}") == [{"k": "only-once"}]
    assert await _versions(twin) == dict.fromkeys(components, 2)


async def test_a_step_may_be_a_function_run_in_its_transaction(store: Store) -> None:
    async def copy_rows(tx: Queries) -> None:
        for row in await tx.fetch_all("SELECT step FROM log"):
            await tx.execute("INSERT INTO extra (k) VALUES (?)", f"step-{row['step']}")

    await store.migrate("log", [*STEPS, copy_rows])
    await store.migrate("log", [*STEPS, copy_rows])
    rows = await store.fetch_all("SELECT k FROM extra ORDER BY k")
    assert [r["k"] for r in rows] == ["step-1", "step-2", "step-3"]
    assert (await _versions(store))["log"] == 4
