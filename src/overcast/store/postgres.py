"""The PostgreSQL engine (placeholder until the asyncpg engine lands)."""

from __future__ import annotations

from typing import Any


async def open_postgres(url: str) -> Any:
    raise NotImplementedError("PostgreSQL store: not built yet")
