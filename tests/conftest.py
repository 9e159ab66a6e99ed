"""Fixtures shared by the whole suite: a real Overcast server and real AWS clients pointed at it.

The server runs as `python -m overcast up --port 0` in a temporary data dir, exactly as a user
starts it; tests talk to it only through boto3 and the AWS CLI.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import hypothesis
import pytest
from botocore.config import Config

from overcast.store import Store, open_store
from tests.postgres import postgres_database, postgres_server, postgres_url  # noqa: F401 - fixtures

# Property tests have no deadline: hypothesis's default (200 ms an example) is a timed assertion, which
# fails on a loaded machine and proves nothing about speed; bench/ measures speed.
hypothesis.settings.register_profile("overcast", deadline=None)
hypothesis.settings.load_profile("overcast")

# Clients must never find a developer's real AWS configuration or credentials.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)

READY_PREFIX = "Overcast ready on "


@dataclass
class RunningServer:
    url: str
    data_dir: Path
    process: subprocess.Popen[str]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def start_server(
    data_dir: Path, *extra: str, timeout: float = 30, program: tuple[str, ...] = ("-m", "overcast")
) -> RunningServer:
    """Start `overcast up` (or another `program` taking its arguments) on a free port and wait for its ready line."""
    process = subprocess.Popen(
        [sys.executable, *program, "up", "--port", "0", "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE,
        stderr=open(data_dir.parent / f"{data_dir.name}.stderr.log", "a"),  # noqa: SIM115
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until ready, or EOF if it died
    if not line.startswith(READY_PREFIX):
        process.kill()
        log = (data_dir.parent / f"{data_dir.name}.stderr.log").read_text()
        raise RuntimeError(f"overcast up did not start: {line!r}\n{log[-4000:]}")
    return RunningServer(line[len(READY_PREFIX) :].strip(), data_dir, process)


@pytest.fixture(scope="session")
def server() -> Iterator[RunningServer]:
    with tempfile.TemporaryDirectory(prefix="overcast-test-") as tmp:
        running = start_server(Path(tmp) / "data")
        try:
            yield running
        finally:
            running.stop()


ClientFactory = Callable[..., Any]


@pytest.fixture(scope="session")
def aws(server: RunningServer) -> ClientFactory:
    """`aws("lambda")` -> a boto3 client for the test server; keyword arguments pass through."""
    return clients_of(server)


def clients_of(server: RunningServer) -> ClientFactory:
    """A factory of boto3 clients for `server` (us-east-1, no retries); keyword arguments pass through."""

    def make(service: str, **kwargs: Any) -> Any:
        kwargs.setdefault("region_name", "us-east-1")
        kwargs.setdefault("config", Config(retries={"max_attempts": 1}))
        return boto3.client(service, endpoint_url=server.url, **kwargs)

    return make


@contextlib.contextmanager
def own_server(prefix: str) -> Iterator[RunningServer]:
    """A server of the tests' own (for tests whose queues, topics or events start its bus, which the suite's
    shared server must not have started: tests/test_server.py checks that an idle server runs none)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        running = start_server(Path(tmp) / "data")
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def aws_cli(server: RunningServer) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real AWS CLI against the test server: `aws_cli("lambda", "list-functions")`."""
    aws = str(Path(sys.executable).parent / "aws")

    def run(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [aws, "--endpoint-url", server.url, "--output", "json", *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    return run


# A store on each engine: a module that runs its tests on both declares
#   @pytest.fixture(params=["sqlite_store", "pg_store"])
#   def store(request): return request.getfixturevalue(request.param)
@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(None, tmp_path / "overcast.db")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def pg_store(postgres_url: str, tmp_path: Path) -> AsyncIterator[Store]:  # noqa: F811 - the fixture above
    opened = await open_store(postgres_url, tmp_path / "unused.db")
    try:
        yield opened
    finally:
        await opened.close()
