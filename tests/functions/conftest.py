"""Fixtures for the functions tests: a Registry over a real SQLite store in a temporary directory."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.functions.code import CodeInput
from overcast.functions.records import FunctionConfig
from overcast.functions.registry import Registry
from overcast.store import open_store

from .zips import handler_zip

CTX = RequestContext(account_id="111111111111", region="us-east-1")
ROLE = "arn:aws:iam::111111111111:role/lambda-role"


def config(**changes: object) -> FunctionConfig:
    base = {"role": ROLE, "runtime": "python3.13", "handler": "index.handler"}
    base.update(changes)
    return FunctionConfig(**base)  # type: ignore[arg-type]


def zip_code(body: str = "def handler(event, context):\n    return event\n") -> CodeInput:
    return CodeInput(zip_file=handler_zip(body))


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[Registry]:
    store = await open_store(None, tmp_path / "overcast.db")
    ids = itertools.count(1)
    registry = Registry(store, FakeClock(), new_id=lambda: f"rev-{next(ids):04d}")
    await registry.start()
    try:
        yield registry
    finally:
        await store.close()


@pytest.fixture
async def pg_registry(postgres_url: str, tmp_path: Path) -> AsyncIterator[Registry]:
    store = await open_store(postgres_url, tmp_path / "unused.db")
    ids = itertools.count(1)
    registry = Registry(store, FakeClock(), new_id=lambda: f"rev-{next(ids):04d}")
    await registry.start()
    try:
        yield registry
    finally:
        await store.close()
