"""`overcast status`, `logs`, `usage` and `apis` find the running server wherever it is, and say where they looked.

Each test runs the real CLI (click's CliRunner, in a working directory with no `./.overcast`)
against a real server on a temporary data dir and port. `OVERCAST_PORT` names a closed port, so
that no other server on this machine's 4566 can answer in the test's place.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from overcast.cli import main
from tests.conftest import RunningServer


@pytest.fixture
def closed_url() -> str:
    """A URL on which nothing listens (the port was free a moment ago, and is closed again)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def run(tmp_path: Path, closed_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`run("status", "--json", env={...})`: the CLI in an empty working directory, with only the given
    discovery settings in its environment."""
    for name in ("AWS_ENDPOINT_URL", "OVERCAST_DATA_DIR", "OVERCAST_PORT", "OVERCAST_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        environment = {"OVERCAST_PORT": closed_url.rsplit(":", 1)[1], **(env or {})}
        return runner.invoke(main, list(args), env=environment, catch_exceptions=False)

    yield invoke


def status(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_found_by_data_dir_flag(server: RunningServer, run: Any) -> None:
    report = status(run("status", "--json", "--data-dir", str(server.data_dir)))
    assert report["running"] is True and report["url"] == server.url
    assert report["found_at"] == f"data dir {server.data_dir} (--data-dir) ({server.url})"
    assert report["data_dir"] == str(server.data_dir.resolve())
    assert report["bus"]["state"] == "not started (started on first use)"


def test_found_by_overcast_data_dir_from_another_directory(server: RunningServer, run: Any) -> None:
    report = status(run("status", "--json", env={"OVERCAST_DATA_DIR": str(server.data_dir)}))
    assert report["url"] == server.url and report["found_at"].startswith(f"data dir {server.data_dir} (configured)")
    usage = run("usage", "--json", env={"OVERCAST_DATA_DIR": str(server.data_dir)})
    assert usage.exit_code == 0, usage.output
    assert "functions" in json.loads(usage.stdout)


def test_found_by_endpoint_url_flag(server: RunningServer, run: Any) -> None:
    report = status(run("status", "--json", "--endpoint-url", server.url + "/"))
    assert report["url"] == server.url and report["found_at"] == f"--endpoint-url ({server.url})"
    assert report["pid"] == server.process.pid
    apis = run("apis", "--json", "--endpoint-url", server.url)
    assert apis.exit_code == 0, apis.output
    assert isinstance(json.loads(apis.stdout), list)


def test_found_by_aws_endpoint_url(server: RunningServer, run: Any) -> None:
    report = status(run("status", "--json", env={"AWS_ENDPOINT_URL": server.url}))
    assert report["url"] == server.url and report["found_at"] == f"AWS_ENDPOINT_URL ({server.url})"
    logs = run("logs", "no-such-function", env={"AWS_ENDPOINT_URL": server.url})
    assert logs.exit_code == 1 and "The specified log group does not exist." in logs.stderr  # it asked the server


def test_the_data_dir_is_asked_before_aws_endpoint_url(server: RunningServer, run: Any, closed_url: str) -> None:
    env = {"OVERCAST_DATA_DIR": str(server.data_dir), "AWS_ENDPOINT_URL": closed_url}
    assert status(run("status", "--json", env=env))["found_at"].startswith("data dir")


def test_an_explicit_flag_that_does_not_answer_is_not_replaced_by_another_server(
    server: RunningServer, run: Any, closed_url: str
) -> None:
    env = {"OVERCAST_DATA_DIR": str(server.data_dir), "AWS_ENDPOINT_URL": server.url}
    result = run("usage", "--endpoint-url", closed_url, env=env)
    assert result.exit_code == 1
    assert f"--endpoint-url ({closed_url}): no answer" in result.stderr
    assert "data dir" not in result.stderr and "AWS_ENDPOINT_URL" not in result.stderr


def test_nothing_answers_so_every_command_says_where_it_looked(run: Any, closed_url: str) -> None:
    aws_endpoint_url = closed_url.replace("127.0.0.1", "localhost")
    env = {"AWS_ENDPOINT_URL": aws_endpoint_url}
    report = status(run("status", "--json", env=env))
    assert report["running"] is False
    assert [looked["place"] for looked in report["looked"]] == [
        "data dir .overcast (the default)",
        f"AWS_ENDPOINT_URL ({aws_endpoint_url})",
        f"the address overcast up listens on ({closed_url})",
    ]
    assert report["looked"][0]["answer"] == "no overcast.json in it: no server runs on it"
    assert report["looked"][1]["answer"].startswith("no answer")
    text = run("status", env=env)
    assert "not running" in text.stdout and "AWS_ENDPOINT_URL" in text.stdout
    for command in (["usage"], ["apis"], ["logs", "fn"]):
        result = run(*command, env=env)
        assert result.exit_code == 1, command
        assert "Overcast is not running where this command looked:" in result.stderr
        assert "data dir .overcast (the default)" in result.stderr and aws_endpoint_url in result.stderr
        assert "Start it with: overcast up" in result.stderr


class _NotOvercast(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_server_that_is_not_overcast_is_named_as_such(run: Any) -> None:
    other = HTTPServer(("127.0.0.1", 0), _NotOvercast)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{other.server_address[1]}"
        result = run("apis", "--endpoint-url", url)
        assert result.exit_code == 1
        assert f"--endpoint-url ({url}): answers HTTP 404: not an Overcast" in result.stderr
    finally:
        other.shutdown()
        other.server_close()
