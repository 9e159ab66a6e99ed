"""The mapping tests' clients (on the event services' server, tests/events/conftest.py) and a `seen` queue where
the test functions send the events they got."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import ClientFactory


@pytest.fixture(scope="package")
def sqs(aws: ClientFactory) -> Any:
    return aws("sqs")


@pytest.fixture(scope="package")
def lam(aws: ClientFactory) -> Any:
    return aws("lambda")


@pytest.fixture(scope="package")
def seen(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName=f"seen-{uuid.uuid4().hex[:8]}")["QueueUrl"])
