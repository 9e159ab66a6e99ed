"""The Store protocol's behaviour, identical on SQLite and PostgreSQL: types, upserts, RETURNING,
transactions, concurrency and error translation."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overcast.errors import InternalFailure, ResourceConflict
from overcast.store import Conflict, Store, StoreFailure, open_store

SCHEMA = [
    """
    CREATE TABLE items (
        k TEXT PRIMARY KEY,
        n BIGINT,
        f DOUBLE PRECISION,
        b BYTEA,
        s TEXT
    );
    CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
    CREATE TABLE parents (id TEXT PRIMARY KEY);
    CREATE TABLE children (
        id TEXT PRIMARY KEY,
        parent TEXT NOT NULL REFERENCES parents (id),
        size BIGINT CHECK (size >= 0)
    )
    """
]


@pytest.fixture
async def db(store: Store) -> Store:
    await store.migrate("test", SCHEMA)
    return store


async def test_types_round_trip(db: Store) -> None:
    rows = [
        ("big", 2**63 - 1, 1.5, b"\x00\x01\xff", "plain"),
        ("small", -(2**63), -2.5e-300, b"", ""),
        (
            "unicode",
            0,
            1e308,
            bytes(range(256)),
            "héllo wörld ☁️ \U0001d518\U0001d52b\U0001d526 日本語 'quote' \"dq\" ?",
        ),
        ("inf", 7, float("inf"), b"x", "x"),
        ("nulls", None, None, None, None),
    ]
    for row in rows:
        assert await db.execute("INSERT INTO items (k, n, f, b, s) VALUES (?, ?, ?, ?, ?)", *row) == 1
    got = await db.fetch_all("SELECT k, n, f, b, s FROM items ORDER BY k")
    assert got == [dict(zip("knfbs", row, strict=True)) for row in sorted(rows)]
    typed = await db.fetch_one("SELECT n, f, b, s FROM items WHERE k = ?", "big")
    assert typed is not None
    assert [type(v) for v in typed.values()] == [int, float, bytes, str]


async def test_int_parameter_for_a_double_column(db: Store) -> None:
    await db.execute("INSERT INTO items (k, f) VALUES (?, ?)", "a", 3)
    row = await db.fetch_one("SELECT f FROM items WHERE k = ?", "a")
    assert row == {"f": 3.0}
    assert isinstance(row["f"], float)


async def test_five_megabyte_blob(db: Store) -> None:
    blob = os.urandom(5 * 1024 * 1024)
    await db.execute("INSERT INTO items (k, b) VALUES (?, ?)", "blob", blob)
    assert await db.fetch_one("SELECT b FROM items WHERE k = ?", "blob") == {"b": blob}


async def test_fetch_one_absent_and_fetch_all_empty(db: Store) -> None:
    assert await db.fetch_one("SELECT k FROM items WHERE k = ?", "none") is None
    assert await db.fetch_all("SELECT k FROM items") == []


async def test_changed_row_counts(db: Store) -> None:
    for k in "abc":
        await db.execute("INSERT INTO items (k, n) VALUES (?, ?)", k, 1)
    assert await db.execute("UPDATE items SET n = n + 1 WHERE n = ?", 1) == 3
    assert await db.execute("UPDATE items SET n = 0 WHERE k = ?", "zzz") == 0
    assert await db.execute("DELETE FROM items WHERE k IN (?, ?)", "a", "b") == 2
    assert await db.execute("SELECT k FROM items") == 0


async def test_upsert_on_conflict(db: Store) -> None:
    upsert = (
        "INSERT INTO counters (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value"
    )
    assert await db.execute(upsert, "c", 5) == 1
    assert await db.execute(upsert, "c", 7) == 1
    assert await db.fetch_one("SELECT value FROM counters WHERE name = ?", "c") == {"value": 12}
    nothing = "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
    assert await db.execute(nothing, "c", 100) == 0
    assert await db.execute(nothing, "d", 100) == 1
    assert await db.fetch_all("SELECT name, value FROM counters ORDER BY name") == [
        {"name": "c", "value": 12},
        {"name": "d", "value": 100},
    ]


async def test_returning(db: Store) -> None:
    row = await db.fetch_one("INSERT INTO counters (name, value) VALUES (?, ?) RETURNING name, value", "a", 1)
    assert row == {"name": "a", "value": 1}
    await db.execute("INSERT INTO counters (name, value) VALUES (?, ?), (?, ?)", "b", 2, "c", 3)
    updated = await db.fetch_all("UPDATE counters SET value = value * 10 WHERE value > ? RETURNING name, value", 1)
    assert sorted(updated, key=lambda r: r["name"]) == [{"name": "b", "value": 20}, {"name": "c", "value": 30}]
    upserted = await db.fetch_one(
        "INSERT INTO counters (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value AS now",
        "a",
        0,
    )
    assert upserted == {"now": 2}
    assert await db.execute("DELETE FROM counters WHERE value >= ? RETURNING name", 20) == 2
    # fetch_one on a many-row RETURNING still applies the whole statement
    assert await db.fetch_one("UPDATE counters SET value = 0 RETURNING name") is not None
    assert await db.fetch_all("SELECT value FROM counters") == [{"value": 0}]


async def test_question_marks_in_literals_comments_and_identifiers(db: Store) -> None:
    await db.execute('CREATE TABLE "odd?table" ("why?" TEXT, v TEXT)')
    await db.execute("INSERT INTO \"odd?table\" (\"why?\", v) VALUES ('it''s ?', ?) -- really?", "param")
    row = await db.fetch_one(
        'SELECT "why?" AS w, v, \'?\' AS q /* ? */ FROM "odd?table" WHERE v = ? AND "why?" <> \'??\'', "param"
    )
    assert row == {"w": "it's ?", "v": "param", "q": "?"}


async def test_transaction_commits_together(db: Store) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO parents (id) VALUES (?)", "p")
        await tx.execute("INSERT INTO children (id, parent, size) VALUES (?, ?, ?)", "c", "p", 1)
        assert await tx.fetch_all("SELECT id FROM children") == [{"id": "c"}]  # sees its own writes
    assert await db.fetch_all("SELECT id, parent FROM children") == [{"id": "c", "parent": "p"}]


async def test_exception_in_transaction_leaves_nothing(db: Store) -> None:
    with pytest.raises(KeyError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO parents (id) VALUES (?)", "p")
            await tx.execute("INSERT INTO counters (name, value) VALUES (?, ?)", "c", 1)
            raise KeyError("boom")
    assert await db.fetch_all("SELECT id FROM parents") == []
    assert await db.fetch_all("SELECT name FROM counters") == []


async def test_conflict_in_transaction_rolls_back_earlier_statements(db: Store) -> None:
    await db.execute("INSERT INTO parents (id) VALUES (?)", "taken")
    with pytest.raises(Conflict):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO parents (id) VALUES (?)", "new")
            await tx.execute("INSERT INTO parents (id) VALUES (?)", "taken")
    assert await db.fetch_all("SELECT id FROM parents") == [{"id": "taken"}]


async def test_execute_batch_runs_statements_in_order_and_commits_them(db: Store) -> None:
    await db.execute_batch(
        [
            ("INSERT INTO parents (id) VALUES (?)", ["p"]),
            ("INSERT INTO counters (name, value) VALUES (?, ?)", ("c", 1)),
            ("INSERT INTO children (id, parent, size) VALUES (?, ?, ?)", ("c1", "p", 1)),
            ("INSERT INTO children (id, parent, size) VALUES (?, ?, ?)", ("c2", "p", 2)),  # same SQL in a run
            ("UPDATE counters SET value = value + ? WHERE name = ?", (10, "c")),  # sees the earlier ones
            ("INSERT INTO counters (name, value) SELECT ?, SUM(size) FROM children", ("sum",)),
        ]
    )
    await db.execute_batch([])
    assert await db.fetch_all("SELECT name, value FROM counters ORDER BY name") == [
        {"name": "c", "value": 11},
        {"name": "sum", "value": 3},
    ]
    assert await db.fetch_all("SELECT id FROM children ORDER BY id") == [{"id": "c1"}, {"id": "c2"}]


async def test_failing_execute_batch_leaves_nothing(db: Store) -> None:
    await db.execute("INSERT INTO parents (id) VALUES (?)", "taken")
    batch = [
        ("INSERT INTO counters (name, value) VALUES (?, ?)", ("c", 1)),
        ("INSERT INTO parents (id) VALUES (?)", ("new",)),
        ("INSERT INTO parents (id) VALUES (?)", ("taken",)),
    ]
    with pytest.raises(Conflict):
        await db.execute_batch(batch)
    assert await db.fetch_all("SELECT id FROM parents") == [{"id": "taken"}]
    assert await db.fetch_all("SELECT name FROM counters") == []
    # Concurrent writers: the failing batch fails alone, the others commit.
    good = [[("INSERT INTO counters (name, value) VALUES (?, ?)", (f"g{i}", i))] for i in range(5)]
    outcomes = await asyncio.gather(
        *(db.execute_batch(b) for b in good), db.execute_batch(batch), return_exceptions=True
    )
    assert outcomes[:5] == [None] * 5 and isinstance(outcomes[5], Conflict)
    assert len(await db.fetch_all("SELECT name FROM counters")) == 5
    assert await db.fetch_all("SELECT id FROM parents") == [{"id": "taken"}]


async def test_execute_batch_in_a_transaction(db: Store) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO parents (id) VALUES (?)", "p")
        await tx.execute_batch(
            [("INSERT INTO children (id, parent, size) VALUES (?, ?, ?)", (f"c{i}", "p", i)) for i in range(3)]
        )
        assert await tx.fetch_one("SELECT COUNT(*) AS n FROM children") == {"n": 3}
        assert await asyncio.create_task(db.fetch_all("SELECT id FROM children")) == []  # not committed yet
    assert await db.fetch_one("SELECT COUNT(*) AS n FROM children") == {"n": 3}
    with pytest.raises(KeyError):
        async with db.transaction() as tx:
            await tx.execute_batch([("INSERT INTO parents (id) VALUES (?)", ("q",))])
            raise KeyError("boom")
    assert await db.fetch_all("SELECT id FROM parents") == [{"id": "p"}]
    with pytest.raises(Conflict):
        async with db.transaction() as tx:
            await tx.execute_batch(
                [("INSERT INTO parents (id) VALUES (?)", ("r",)), ("INSERT INTO parents (id) VALUES (?)", ("p",))]
            )
    assert await db.fetch_all("SELECT id FROM parents") == [{"id": "p"}]
    with pytest.raises(StoreFailure, match="inside one of its transactions"):
        async with db.transaction():
            await db.execute_batch([("INSERT INTO parents (id) VALUES (?)", ("x",))])
    with pytest.raises(StoreFailure, match="transaction has ended"):
        await tx.execute_batch([("INSERT INTO parents (id) VALUES (?)", ("y",))])


async def test_uncommitted_writes_are_invisible_outside(db: Store) -> None:
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO parents (id) VALUES (?)", "p")
        seen = await asyncio.create_task(db.fetch_all("SELECT id FROM parents"))  # another task, outside
        assert seen == []
    assert await db.fetch_all("SELECT id FROM parents") == [{"id": "p"}]


async def test_cancelled_transaction_rolls_back(db: Store) -> None:
    inside, never = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO parents (id) VALUES (?)", "p")
            inside.set()
            await never.wait()

    task = asyncio.create_task(writer())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await db.fetch_all("SELECT id FROM parents") == []
    async with db.transaction() as tx:  # the store is still usable
        await tx.execute("INSERT INTO parents (id) VALUES (?)", "q")
    assert await db.fetch_all("SELECT id FROM parents") == [{"id": "q"}]


async def test_transaction_misuse_is_refused(db: Store) -> None:
    async with db.transaction() as tx:
        with pytest.raises(StoreFailure, match="inside one of its transactions"):
            await db.execute("INSERT INTO parents (id) VALUES (?)", "x")
        with pytest.raises(StoreFailure, match="inside one of its transactions"):
            async with db.transaction():
                pass
    with pytest.raises(StoreFailure, match="transaction has ended"):
        await tx.execute("INSERT INTO parents (id) VALUES (?)", "late")


async def test_concurrent_upserts_lose_no_update(db: Store) -> None:
    upsert = (
        "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1"
    )

    async def plain(worker: int) -> None:
        for _ in range(10):
            await db.execute(upsert, "plain")

    async def transactional(worker: int) -> None:
        for i in range(5):
            async with db.transaction() as tx:
                await tx.execute(upsert, "tx")
                await tx.execute("INSERT INTO parents (id) VALUES (?)", f"{worker}-{i}")

    await asyncio.gather(*(plain(w) for w in range(20)), *(transactional(w) for w in range(20)))
    assert await db.fetch_all("SELECT name, value FROM counters ORDER BY name") == [
        {"name": "plain", "value": 200},
        {"name": "tx", "value": 100},
    ]
    assert await db.fetch_one("SELECT COUNT(*) AS n FROM parents") == {"n": 100}


async def test_concurrent_writes_fail_alone(db: Store) -> None:
    """Many writes in flight at once (SQLite commits them as a group): a failing one affects no other."""
    keys = [f"k{n % 30}" for n in range(60)]  # each key twice: one insert wins, the other conflicts
    results = await asyncio.gather(
        *(db.execute("INSERT INTO parents (id) VALUES (?)", k) for k in keys),
        *(db.execute("INSERT INTO children (id, parent) VALUES (?, ?)", f"c{n}", "missing") for n in range(5)),
        *(
            db.fetch_one("INSERT INTO counters (name, value) VALUES (?, ?) RETURNING value", f"n{n}", n)
            for n in range(5)
        ),
        return_exceptions=True,
    )
    inserts, orphans, returned = results[:60], results[60:65], results[65:]
    assert [r for r in inserts if not isinstance(r, BaseException)] == [1] * 30
    assert all(isinstance(r, Conflict) for r in inserts if isinstance(r, BaseException))
    assert all(isinstance(r, Conflict) for r in orphans)
    assert returned == [{"value": n} for n in range(5)]
    assert await db.fetch_one("SELECT COUNT(*) AS n FROM parents") == {"n": 30}
    assert await db.fetch_one("SELECT COUNT(*) AS n FROM children") == {"n": 0}
    assert await db.fetch_one("SELECT COUNT(*) AS n FROM counters") == {"n": 5}


async def test_concurrent_compare_and_set_has_one_winner(db: Store) -> None:
    await db.execute("INSERT INTO counters (name, value) VALUES (?, ?)", "version", 1)
    results = await asyncio.gather(
        *(db.execute("UPDATE counters SET value = ? WHERE name = ? AND value = ?", 2, "version", 1) for _ in range(10))
    )
    assert sorted(results) == [0] * 9 + [1]


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("INSERT INTO parents (id) VALUES (?)", ("dup",)),  # primary key
        ("INSERT INTO children (id, parent) VALUES (?, ?)", ("c", "no-such-parent")),  # foreign key
        ("INSERT INTO children (id, parent) VALUES (?, NULL)", ("c",)),  # NOT NULL
        ("INSERT INTO children (id, parent, size) VALUES (?, ?, ?)", ("c", "dup", -1)),  # CHECK
    ],
)
async def test_constraint_violations_become_conflicts(db: Store, sql: str, params: tuple[str, ...]) -> None:
    await db.execute("INSERT INTO parents (id) VALUES (?)", "dup")
    with pytest.raises(Conflict) as raised:
        await db.execute(sql, *params)
    assert isinstance(raised.value, ResourceConflict)
    assert (raised.value.code, raised.value.status) == ("ResourceConflictException", 409)
    assert isinstance(raised.value.__cause__, Exception)


@pytest.mark.parametrize(
    "sql",
    ["SELECT * FROM no_such_table", "SELEKT 1", "INSERT INTO parents (no_such_column) VALUES (1)"],
)
async def test_engine_errors_become_internal_failures(db: Store, sql: str) -> None:
    with pytest.raises(StoreFailure, match=f"{'SQLite' if db.engine == 'sqlite' else 'PostgreSQL'} store") as raised:
        await db.fetch_all(sql)
    assert isinstance(raised.value, InternalFailure)
    assert raised.value.status == 500


async def test_one_statement_at_a_time(db: Store) -> None:
    with pytest.raises(StoreFailure):
        await db.execute("INSERT INTO parents (id) VALUES ('a'); INSERT INTO parents (id) VALUES ('b')")
    assert await db.fetch_all("SELECT id FROM parents") == []
    assert await db.execute("INSERT INTO parents (id) VALUES ('a');") == 1  # a trailing semicolon is fine


async def test_integer_out_of_range_is_a_store_failure(db: Store) -> None:
    with pytest.raises(StoreFailure):
        await db.execute("INSERT INTO items (k, n) VALUES (?, ?)", "huge", 2**64)


async def test_closed_store_refuses_work(store_target: tuple[str | None, Path]) -> None:
    store = await open_store(*store_target)
    await store.close()
    await store.close()  # closing twice is harmless
    with pytest.raises(StoreFailure):
        await store.fetch_all("SELECT 1 AS one")
    with pytest.raises(StoreFailure):
        await store.execute("SELECT 1 AS one")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=200),
    blob=st.binary(max_size=300),
    number=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    real=st.floats(allow_nan=False),
)
async def test_any_value_round_trips(db: Store, text: str, blob: bytes, number: int, real: float) -> None:
    await db.execute("DELETE FROM items")
    await db.execute("INSERT INTO items (k, n, f, b, s) VALUES (?, ?, ?, ?, ?)", text, number, real, blob, text)
    row = await db.fetch_one("SELECT k, n, f, b, s FROM items WHERE k = ?", text)
    assert row == {"k": text, "n": number, "f": real, "b": blob, "s": text}
