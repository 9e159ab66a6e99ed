"""The event services' tests share a server of their own: their messages and deliveries start its bus, which the
suite's shared server must not have started (tests/test_server.py checks that an idle server runs none)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import ClientFactory, RunningServer, start_server


@pytest.fixture(scope="package")
def server() -> Iterator[RunningServer]:
    with tempfile.TemporaryDirectory(prefix="overcast-events-") as tmp:
        running = start_server(Path(tmp) / "data")
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="package")
def aws(server: RunningServer) -> ClientFactory:
    def make(service: str, **kwargs: Any) -> Any:
        kwargs.setdefault("region_name", "us-east-1")
        kwargs.setdefault("config", Config(retries={"max_attempts": 1}))
        return boto3.client(service, endpoint_url=server.url, **kwargs)

    return make
