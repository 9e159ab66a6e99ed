"""`overcast logs` and `overcast usage`, run as real commands against real servers."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import click
import pytest

from overcast.billing.metering import InvocationRecord, Meter
from overcast.cli.views import LogTail, log_line, parse_since
from overcast.clock import SystemClock
from overcast.store import open_store
from tests.conftest import ClientFactory, RunningServer, start_server


def overcast(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "overcast", *args], capture_output=True, text=True, timeout=60, env=os.environ
    )


class Lines:
    """The lines a process prints, read by a thread (select() cannot see what a text stream buffered)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.queue.put(line)

    def next(self, timeout: float = 30) -> str:
        try:
            return self.queue.get(timeout=timeout).rstrip("\n")
        except queue.Empty:
            self.process.kill()
            assert self.process.stderr is not None
            raise AssertionError(
                f"no output from overcast logs --follow; stderr: {self.process.stderr.read()}"
            ) from None


def put(client: Any, group: str, stream: str, *messages: str, at: int | None = None) -> None:
    base = at or int(time.time() * 1000)
    client.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": base + i, "message": m} for i, m in enumerate(messages)],
    )


@pytest.mark.parametrize(("text", "ms"), [("30s", 30_000), ("10m", 600_000), ("2h", 7_200_000), ("1d", 86_400_000)])
def test_parse_since(text: str, ms: int) -> None:
    assert parse_since(text) == ms


@pytest.mark.parametrize("text", ["", "10", "m", "1.5h", "-1m", "3y"])
def test_parse_since_refuses(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_since(text)


def test_logs_prints_the_function_log(server: RunningServer, aws: ClientFactory) -> None:
    client = aws("logs")
    name = f"fn-{uuid.uuid4().hex[:8]}"
    group = f"/aws/lambda/{name}"
    stream = "2026/01/01/[$LATEST]" + "a" * 32
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName=stream)
    old = int(time.time() * 1000) - 3 * 3600_000
    put(client, group, stream, "three hours ago", at=old)
    put(client, group, stream, "START RequestId: r1 Version: $LATEST", "hello\n", "END RequestId: r1")
    result = overcast("logs", name, "--data-dir", str(server.data_dir))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "START RequestId: r1 Version: $LATEST",
        "hello",
        "END RequestId: r1",
    ]
    assert all(line.split(" ")[1] == stream for line in lines)
    assert lines[0][:4].isdigit() and "+00:00" in lines[0].split(" ")[0]
    longer = overcast("logs", name, "--since", "1d", "--data-dir", str(server.data_dir))
    assert longer.stdout.splitlines()[0].endswith("three hours ago")
    missing = overcast("logs", "no-such-function", "--data-dir", str(server.data_dir))
    assert missing.returncode == 1 and "The specified log group does not exist." in missing.stderr


def test_logs_follow(server: RunningServer, aws: ClientFactory) -> None:
    client = aws("logs")
    name = f"fn-{uuid.uuid4().hex[:8]}"
    group = f"/aws/lambda/{name}"
    process = subprocess.Popen(
        [sys.executable, "-m", "overcast", "logs", name, "--follow", "--data-dir", str(server.data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The group does not exist yet: --follow waits for it, as for a function not yet invoked.
        client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName="s")
        lines = Lines(process)
        put(client, group, "s", "first")
        assert lines.next().endswith(" s first")
        put(client, group, "s", "second", "third")
        assert lines.next().endswith(" s second")
        assert lines.next().endswith(" s third")
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_log_tail_poll_prints_each_event_once(aws: ClientFactory) -> None:
    client = aws("logs")
    group = f"/aws/lambda/fn-{uuid.uuid4().hex[:8]}"
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    put(client, group, "s", "a", "b", at=now)
    tail = LogTail(group, now - 1000)
    assert [e["message"] for e in tail.poll(client)] == ["a", "b"]
    assert tail.poll(client) == []
    put(client, group, "s", "same ms as b", at=now + 1)
    assert [e["message"] for e in tail.poll(client)] == ["same ms as b"]
    event = {"timestamp": 0, "logStreamName": "s", "message": "m\n"}
    assert log_line(event) == "1970-01-01T00:00:00.000000+00:00 s m"


async def test_usage_reads_the_meter_of_a_running_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    store = await open_store(None, data_dir / "overcast.db")
    meter = Meter(store, SystemClock(), 1)
    await meter.start()
    now = int(time.time() * 1000)
    for n, (name, memory, billed, started) in enumerate(
        [("api", 1024, 1000, now), ("api", 1024, 500, now), ("worker", 512, 2000, now - 3 * 86_400_000)]
    ):
        await meter.record(
            InvocationRecord(
                "000000000000", "us-east-1", name, "$LATEST", f"r{n}", started, billed - 0.5, billed, memory,
                None, n == 0, "success", "x86_64",
            )
        )  # fmt: skip
    await store.close()
    running = start_server(data_dir)
    try:
        result = overcast("usage", "--json", "--data-dir", str(data_dir))
        assert result.returncode == 0, result.stderr
        functions = {f["function_name"]: f for f in json.loads(result.stdout)["functions"]}
        assert functions["api"]["requests"] == 2 and functions["api"]["cold_starts"] == 1
        assert functions["api"]["gb_seconds"] == pytest.approx(1.5)
        assert functions["worker"]["gb_seconds"] == pytest.approx(1.0)
        assert functions["api"]["cost"] == pytest.approx(2 * 0.2e-6 + 1.5 * 0.0000166667)
        assert functions["api"]["cost_after_free_tier"] == 0
        recent = json.loads(overcast("usage", "--json", "--since", "1d", "--data-dir", str(data_dir)).stdout)
        assert [f["function_name"] for f in recent["functions"]] == ["api"]
        table = overcast("usage", "--data-dir", str(data_dir))
        assert table.returncode == 0, table.stderr
        assert "api" in table.stdout and "worker" in table.stdout and "1.500" in table.stdout
    finally:
        running.stop()
    stopped = overcast("usage", "--data-dir", str(data_dir))
    assert stopped.returncode == 1 and "not running" in stopped.stderr
