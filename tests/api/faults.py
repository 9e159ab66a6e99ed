"""The fault server as a test fixture (tests/api/fault_server.py), and how to read its log."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.api import fault_server
from tests.conftest import RunningServer, start_server

RAISED = f"RuntimeError: {fault_server.FAULT}"


@pytest.fixture(scope="module")
def faulty() -> Iterator[RunningServer]:
    """A real Overcast with one fault planted per surface (see fault_server.py)."""
    with tempfile.TemporaryDirectory(prefix="overcast-faults-") as tmp:
        running = start_server(Path(tmp) / "data", program=(str(Path(fault_server.__file__)),))
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="module")
def faulty_aws(faulty: RunningServer) -> Callable[..., Any]:
    """`faulty_aws("lambda")`: a boto3 client for the fault server, trying each call once."""

    def make(service: str) -> Any:
        config = Config(retries={"max_attempts": 1})  # InternalFailure is retryable: once is enough here
        return boto3.client(service, endpoint_url=faulty.url, region_name="us-east-1", config=config)

    return make


def server_log(server: RunningServer) -> str:
    return (server.data_dir.parent / f"{server.data_dir.name}.stderr.log").read_text()


def assert_logged_with_traceback(server: RunningServer, failed: str, exception: str = RAISED) -> None:
    """The server's log has `failed` (its line naming the request), then a traceback ending in `exception`."""
    text = server_log(server)
    at = text.find(failed)
    assert at >= 0, text[-3000:]
    assert "Traceback (most recent call last)" in text[at:] and exception in text[at:], text[at:]
