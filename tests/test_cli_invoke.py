"""`overcast invoke FUNCTION [--event FILE]`: one invocation through the running server, its answer on stdout and
its log's tail on stderr; a function error exits 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function

ECHO = "def handler(event, context):\n    print('got', event)\n    return {'echo': event}\n"
FAILS = "def handler(event, context):\n    raise ValueError('no')\n"


def overcast(server: RunningServer, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "overcast", *args, "--endpoint-url", server.url],
        capture_output=True, text=True, timeout=60, input=stdin, check=False,
    )  # fmt: skip


def test_invoke_prints_the_answer_and_the_logs_tail(aws: ClientFactory, server: RunningServer, tmp_path: Path) -> None:
    name = python_function(aws("lambda"), "cli-echo", ECHO).rsplit(":", 1)[1]
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"a": 1}))
    done = overcast(server, "invoke", name, "--event", str(event))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"echo": {"a": 1}}
    assert "got {'a': 1}" in done.stderr and "REPORT RequestId" in done.stderr
    from_stdin = overcast(server, "invoke", name, "--event", "-", stdin='{"b": 2}')
    assert json.loads(from_stdin.stdout) == {"echo": {"b": 2}}
    assert json.loads(overcast(server, "invoke", name).stdout) == {"echo": {}}


def test_a_failing_function_exits_1_and_bad_input_is_named(
    aws: ClientFactory, server: RunningServer, tmp_path: Path
) -> None:
    name = python_function(aws("lambda"), "cli-fails", FAILS).rsplit(":", 1)[1]
    failed = overcast(server, "invoke", name)
    assert failed.returncode == 1 and json.loads(failed.stdout)["errorType"] == "ValueError"
    missing = overcast(server, "invoke", "no-such-function")
    assert missing.returncode == 1 and "ResourceNotFoundException: Function not found" in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert "is not JSON" in overcast(server, "invoke", name, "--event", str(bad)).stderr
