"""The SQS tests' own server (their messages start its bus, which the suite's shared server must not have
started: tests/test_server.py checks that an idle server runs none), its clients, and a fresh queue per test."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import ClientFactory, RunningServer, start_server


@pytest.fixture(scope="package")
def server() -> Iterator[RunningServer]:
    with tempfile.TemporaryDirectory(prefix="overcast-sqs-") as tmp:
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


@pytest.fixture
def sqs(aws: ClientFactory) -> Any:
    return aws("sqs")


@pytest.fixture
def queue_name() -> str:
    return "q-" + uuid.uuid4().hex[:12]


@pytest.fixture
def queue(sqs: Any, queue_name: str) -> str:
    """A new standard queue's URL."""
    return str(sqs.create_queue(QueueName=queue_name)["QueueUrl"])
