"""`overcast.testing`: a pytest plugin for your own tests, with Overcast running for the session and no container.

Installed with Overcast (the `pytest11` entry point), it adds one session fixture, `overcast`: a server
started on a free port with a temporary data dir, stopped when the session ends. Use it as a test
suite would use LocalStack's container::

    def test_my_function(overcast):
        stack = overcast.deploy("path/to/app")               # a SAM or CloudFormation template's folder
        lam = overcast.client("lambda")                      # boto3, pointed at Overcast
        answer = lam.invoke(FunctionName=stack.resources["HelloWorldFunction"], Payload=b"{}")

Nothing starts unless a test asks for the fixture. `OVERCAST_TEST_ENDPOINT` makes the fixture use a server
you already run instead of starting one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

READY = "Overcast ready on "
REGION = "us-east-1"


@dataclass(frozen=True)
class Stack:
    """A deployed stack: its name, its Outputs (key -> value) and its resources (logical id -> physical id)."""

    name: str
    outputs: Mapping[str, str] = field(default_factory=dict)
    resources: Mapping[str, str] = field(default_factory=dict)


class Overcast:
    """A running Overcast: its endpoint, boto3 clients for it, and `deploy`."""

    def __init__(self, endpoint_url: str, data_dir: Path | None = None, region: str = REGION) -> None:
        self.endpoint_url = endpoint_url
        self.data_dir = data_dir
        self.region = region

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client for `service` on this Overcast (account 000000000000 unless `aws_access_key_id` names a
        12-digit account)."""
        import boto3

        kwargs.setdefault("region_name", self.region)
        kwargs.setdefault("aws_access_key_id", "test")
        kwargs.setdefault("aws_secret_access_key", "test")
        return boto3.client(service, endpoint_url=self.endpoint_url, **kwargs)

    def deploy(
        self, path: str | os.PathLike[str], stack_name: str | None = None, parameters: Mapping[str, str] | None = None
    ) -> Stack:
        """Deploy the template in `path` (a folder holding template.yaml, or the template file) with `overcast deploy`,
        and answer the stack's Outputs and resources."""
        template = Path(path)
        if template.is_dir():
            template = next(
                (
                    template / name
                    for name in ("template.yaml", "template.yml", "template.json")
                    if (template / name).exists()
                ),
                template / "template.yaml",
            )
        name = stack_name or _stack_name(template)
        command = [sys.executable, "-m", "overcast", "deploy", "-t", str(template), "--stack-name", name]
        command += ["--endpoint-url", self.endpoint_url]
        if parameters:
            command += ["--parameter-overrides", *(f"{key}={value}" for key, value in parameters.items())]
        done = subprocess.run(command, capture_output=True, text=True, cwd=template.parent, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"overcast deploy of {template} failed:\n{done.stdout}\n{done.stderr}")
        cloudformation = self.client("cloudformation")
        described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
        resources = {
            r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
            for page in pages
            for r in page["StackResourceSummaries"]
        }
        return Stack(name, outputs, resources)


def _stack_name(template: Path) -> str:
    folder = template.resolve().parent.name or "app"
    cleaned = "".join(c if c.isalnum() else "-" for c in folder).strip("-") or "app"
    return cleaned if cleaned[0].isalpha() else f"app-{cleaned}"


class Server:
    """`overcast up` on a free port with its own data dir, as a child process."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="overcast-testing-")
        self.data_dir = Path(self._tmp.name) / "data"
        self._log = open(Path(self._tmp.name) / "overcast.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "overcast", "up", "--port", "0", "--data-dir", str(self.data_dir)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith(READY):
            self.stop()
            raise RuntimeError(f"overcast up did not start: {line!r}; see {self._log.name}")
        self.endpoint_url = line[len(READY) :].strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        self._tmp.cleanup()


@pytest.fixture(scope="session")
def overcast() -> Iterator[Overcast]:
    """Overcast for the test session: started on first use, stopped at the end (see the module's doc)."""
    endpoint = os.environ.get("OVERCAST_TEST_ENDPOINT")
    if endpoint:
        yield Overcast(endpoint)
        return
    server = Server()
    try:
        yield Overcast(server.endpoint_url, server.data_dir)
    finally:
        server.stop()
