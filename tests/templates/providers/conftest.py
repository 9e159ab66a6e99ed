"""Fixtures for the resource providers' tests (each service's real domain objects over `sqlite_store`)."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.templates.providers.base import ResourceRequest

CTX = RequestContext(account_id="111111111111", region="us-east-1")
ROLE = "arn:aws:iam::111111111111:role/stack-role"
STACK_ID = "arn:aws:cloudformation:us-east-1:111111111111:stack/app/0f1e2d3c-0000-4000-8000-000000000000"


def request(resource_type: str, logical_id: str, properties: dict[str, Any], stack: str = "app") -> ResourceRequest:
    """What the engine hands a provider for one resource of stack `stack`."""
    return ResourceRequest(CTX, stack, STACK_ID, logical_id, resource_type, properties)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
