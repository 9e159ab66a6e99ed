"""The shared SQL subset as text: statement splitting, `?` -> `$n` rewriting, statement kinds."""

from __future__ import annotations

import functools
from collections.abc import Iterator


def _code(sql: str) -> Iterator[tuple[int, str]]:
    """Each character outside comments, with string literals and quoted identifiers reported as `'`."""
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            end = sql.find(c, i + 1)
            while end != -1 and end + 1 < n and sql[end + 1] == c:  # '' and "" escape the quote
                end = sql.find(c, end + 2)
            yield i, "'"
            i = n if end == -1 else end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end == -1 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end == -1 else end + 2
        else:
            yield i, c
            i += 1


def split_statements(script: str) -> list[str]:
    """The statements of a `;`-separated script (semicolons in literals and comments don't split)."""
    statements: list[str] = []
    start, has_code = 0, False
    for i, c in _code(script):
        if c == ";":
            if has_code:
                statements.append(script[start:i].strip())
            start, has_code = i + 1, False
        elif not c.isspace():
            has_code = True
    if has_code:
        statements.append(script[start:].strip())
    return statements


@functools.lru_cache(maxsize=2048)
def numbered_placeholders(sql: str) -> str:
    """PostgreSQL's form of a statement: each `?` outside literals and comments becomes `$1`, `$2`, ..."""
    parts: list[str] = []
    last, count = 0, 0
    for i, c in _code(sql):
        if c == "?":
            count += 1
            parts.append(sql[last:i])
            parts.append(f"${count}")
            last = i + 1
    if not count:
        return sql
    parts.append(sql[last:])
    return "".join(parts)


@functools.lru_cache(maxsize=2048)
def is_read_only(sql: str) -> bool:
    """Whether a statement is a plain SELECT (so it can run on a reader connection)."""
    word: list[str] = []
    for _, c in _code(sql):
        if c.isalpha():
            word.append(c)
        elif word or not c.isspace():
            break
    return "".join(word).upper() == "SELECT"


def changed_rows(status: str) -> int:
    """Rows changed according to a PostgreSQL command tag ("INSERT 0 3", "UPDATE 2"); 0 for others."""
    verb, _, rest = status.partition(" ")
    if verb in {"INSERT", "UPDATE", "DELETE", "MERGE"}:
        return int(rest.rsplit(" ", 1)[-1])
    return 0
