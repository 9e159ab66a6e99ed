"""SNS's tests that publish or confirm share a server of their own: deliveries start its bus, and the session's
server must stay idle (tests/test_server.py checks that an idle server runs no nats-server)."""

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
def topics_server() -> Iterator[RunningServer]:
    with tempfile.TemporaryDirectory(prefix="overcast-sns-") as tmp:
        running = start_server(Path(tmp) / "data")
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="package")
def topics_aws(topics_server: RunningServer) -> ClientFactory:
    """`topics_aws("sns")`: a boto3 client of the SNS tests' own server."""

    def make(service: str, **kwargs: Any) -> Any:
        kwargs.setdefault("region_name", "us-east-1")
        kwargs.setdefault("config", Config(retries={"max_attempts": 1}))
        return boto3.client(service, endpoint_url=topics_server.url, **kwargs)

    return make
