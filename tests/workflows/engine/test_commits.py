"""Group commits on both store engines: concurrent writers' transactions all land; a failing group fails each."""

from __future__ import annotations

import asyncio

import pytest

from overcast.store import Store
from overcast.workflows.engine.commits import GroupCommit
from overcast.workflows.engine.machines import Machines


async def test_concurrent_writers_all_land(store: Store, machines: Machines) -> None:
    commits = GroupCommit(store)

    async def write(n: int) -> None:
        async with commits.transaction() as tx:
            await tx.execute("INSERT INTO sfn_journal (execution_arn, effect_key, value) VALUES (?, ?, ?)",
                             "arn:group", f"k{n}", str(n))  # fmt: skip

    await asyncio.gather(*(write(n) for n in range(40)))
    found = await store.fetch_all("SELECT value FROM sfn_journal WHERE execution_arn = ?", "arn:group")
    assert sorted(int(r["value"]) for r in found) == list(range(40))


async def test_a_failing_group_fails_each_of_its_writers(store: Store, machines: Machines) -> None:
    commits = GroupCommit(store)

    async def write(sql: str) -> None:
        async with commits.transaction() as tx:
            await tx.execute(sql)

    outcomes = await asyncio.gather(
        write("INSERT INTO sfn_journal (execution_arn, effect_key, value) VALUES ('arn:bad', 'k', 'v')"),
        write("INSERT INTO no_such_table VALUES (1)"),
        return_exceptions=True,
    )
    assert all(isinstance(o, Exception) for o in outcomes)
    assert await store.fetch_all("SELECT * FROM sfn_journal WHERE execution_arn = 'arn:bad'") == []
    with pytest.raises(TypeError):
        async with commits.transaction() as tx:
            await tx.fetch_one("SELECT 1")
