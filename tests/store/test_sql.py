"""The SQL subset's text handling: placeholder rewriting, statement splitting, statement kinds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from overcast.store.sql import changed_rows, is_read_only, numbered_placeholders, split_statements


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", "SELECT 1"),
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"),
        ("VALUES (?,?,?)", "VALUES ($1,$2,$3)"),
        ("SELECT '?' , ?", "SELECT '?' , $1"),
        ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
        ("SELECT '', ?", "SELECT '', $1"),
        ("SELECT '''?''', ?", "SELECT '''?''', $1"),
        ('SELECT "odd?name" FROM t WHERE x = ?', 'SELECT "odd?name" FROM t WHERE x = $1'),
        ('SELECT "a""?" , ?', 'SELECT "a""?" , $1'),
        ("SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"),
        ("SELECT ? /* what? */ , ?", "SELECT $1 /* what? */ , $2"),
        ("SELECT ? -- trailing?", "SELECT $1 -- trailing?"),
        ("SELECT 'unterminated ?", "SELECT 'unterminated ?"),
        ("SELECT ?||?", "SELECT $1||$2"),
        ("?", "$1"),
    ],
)
def test_numbered_placeholders(sql: str, expected: str) -> None:
    assert numbered_placeholders(sql) == expected


@given(st.lists(st.sampled_from(["a", " ", "=", "?", ",", "'x?'", "-- c?\n", "/* ? */"]), max_size=30))
def test_every_bare_question_mark_is_numbered_in_order(pieces: list[str]) -> None:
    sql = "".join(pieces)
    rewritten = numbered_placeholders(sql)
    count = pieces.count("?")
    assert [f"${n}" in rewritten for n in range(1, count + 1)] == [True] * count
    assert f"${count + 1}" not in rewritten
    assert rewritten.count("?") == sql.count("?") - count


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("CREATE TABLE a (x TEXT)", ["CREATE TABLE a (x TEXT)"]),
        (
            "CREATE TABLE a (x TEXT);\nCREATE INDEX i ON a (x);\n",
            ["CREATE TABLE a (x TEXT)", "CREATE INDEX i ON a (x)"],
        ),
        ("INSERT INTO a VALUES ('x;y'); SELECT 1", ["INSERT INTO a VALUES ('x;y')", "SELECT 1"]),
        ("SELECT 1 -- no; split\n; SELECT 2", ["SELECT 1 -- no; split", "SELECT 2"]),
        ("SELECT 1; /* only a comment; */ ;; ", ["SELECT 1"]),
        ("", []),
        ('SELECT "a;b" FROM t', ['SELECT "a;b" FROM t']),
    ],
)
def test_split_statements(script: str, expected: list[str]) -> None:
    assert split_statements(script) == expected


@pytest.mark.parametrize(
    ("sql", "read_only"),
    [
        ("SELECT 1", True),
        ("  select * from t", True),
        ("-- note\nSELECT 1", True),
        ("/* x */ SELECT 1", True),
        ("INSERT INTO t VALUES (1) RETURNING *", False),
        ("UPDATE t SET a = 1", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),  # a CTE may wrap a write; the writer handles it
        ("PRAGMA journal_mode", False),
        ("SELECTED", False),
    ],
)
def test_is_read_only(sql: str, read_only: bool) -> None:
    assert is_read_only(sql) is read_only


@pytest.mark.parametrize(
    ("status", "rows"),
    [("INSERT 0 3", 3), ("UPDATE 2", 2), ("DELETE 0", 0), ("MERGE 4", 4), ("SELECT 7", 0), ("CREATE TABLE", 0)],
)
def test_changed_rows(status: str, rows: int) -> None:
    assert changed_rows(status) == rows
