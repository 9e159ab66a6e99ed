"""What CreateFunction acknowledged survives `kill -9` of the whole server."""

from __future__ import annotations

import base64
import hashlib
import io
import signal
import urllib.request
import zipfile
from pathlib import Path

import boto3
from botocore.config import Config

from tests.conftest import start_server


def _client(url: str) -> object:
    return boto3.client("lambda", endpoint_url=url, region_name="eu-west-1", config=Config(retries={"max_attempts": 1}))


def test_function_config_and_code_survive_kill_9(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 'durable'\n")
    code = buffer.getvalue()

    first = start_server(tmp_path / "data")
    lam = _client(first.url)
    created = lam.create_function(  # type: ignore[attr-defined]
        FunctionName="durable",
        Runtime="python3.12",
        Role="arn:aws:iam::000000000000:role/r",
        Handler="app.handler",
        Code={"ZipFile": code},
        MemorySize=256,
        Timeout=30,
        Environment={"Variables": {"KEPT": "yes"}},
        Tags={"team": "core"},
    )
    first.stop(signal.SIGKILL)

    second = start_server(tmp_path / "data")
    try:
        lam = _client(second.url)
        got = lam.get_function(FunctionName="durable")  # type: ignore[attr-defined]
        config = got["Configuration"]
        assert config["CodeSha256"] == created["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
        assert (config["MemorySize"], config["Timeout"]) == (256, 30)
        assert config["Environment"]["Variables"] == {"KEPT": "yes"}
        assert got["Tags"] == {"team": "core"}
        with urllib.request.urlopen(got["Code"]["Location"], timeout=10) as response:
            assert response.read() == code
    finally:
        second.stop()
