"""The SQS tests' clients of the event tests' own server (tests/events/conftest.py), and a fresh queue per test."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import ClientFactory


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
