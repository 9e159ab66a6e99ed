"""Clients and a `seen` queue (where the test functions send the events they got) for the mapping tests."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import ClientFactory


@pytest.fixture(scope="module")
def sqs(aws: ClientFactory) -> Any:
    return aws("sqs")


@pytest.fixture(scope="module")
def lam(aws: ClientFactory) -> Any:
    return aws("lambda")


@pytest.fixture(scope="module")
def seen(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName=f"seen-{uuid.uuid4().hex[:8]}")["QueueUrl"])
