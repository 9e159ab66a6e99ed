"""A function that floods its log, through a real server: events cut at the event limit, an invocation's log
kept up to its ceiling with the rest counted in a LOGS line, and the server and its log writer bounded in memory."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import psutil
import pytest
from botocore.config import Config

from tests.conftest import RunningServer, start_server
from tests.functions.deployed import ROLE
from tests.functions.zips import make_zip

MB = 1024 * 1024
EVENT_OVERHEAD = 26

# Lines of 1023 bytes through print (the runtime's own capture) and straight to fd 1 (the instance's pipe,
# as C code and child processes write), then one long line with no newline.
FLOOD = """
import os, sys

def handler(event, context):
    line = "x" * 1023
    for _ in range(event.get("print_mb", 0) * 1024):
        print(line)
    chunk = (b"y" * 1023 + b"\\n") * 64
    for _ in range(event.get("fd_mb", 0) * 16):
        os.write(1, chunk)
    sys.stdout.write("z" * event.get("long", 0))
    return "flooded"
"""

# A provided.al2023 shell bootstrap (AWS's tutorial loop) whose handler floods stdout.
SHELL_BOOTSTRAP = """#!/bin/sh
while true; do
  HEADERS="$(mktemp)"
  curl -sS -o /dev/null -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next"
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  head -c 3000000 /dev/zero | tr '\\0' 'x'
  echo
  yes "a short line" | head -n 20000
  curl -sS "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$ID/response" -d '"flooded"'
done
"""

DROPPED = re.compile(r"^LOGS RequestId: (\S+)\tDropped Records: (\d+)\tDropped Bytes: (\d+)\t")


def server_with(tmp: Path, settings: dict[str, int]) -> RunningServer:
    config = tmp / "overcast.toml"
    config.write_text("".join(f"{name} = {value}\n" for name, value in settings.items()))
    return start_server(tmp / "data", "--config", str(config))


def client(server: RunningServer, service: str) -> Any:
    config = Config(retries={"max_attempts": 1}, read_timeout=120)
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1", config=config)


def create(lam: Any, runtime: str, files: dict[str, str], handler: str, memory: int = 1024) -> str:
    name = f"flood-{uuid.uuid4().hex[:8]}"
    mode = 0o755 if runtime.startswith("provided") else 0o644
    lam.create_function(
        FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler, Code={"ZipFile": make_zip(files, mode=mode)},
        Timeout=120, MemorySize=memory,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def invoke(lam: Any, name: str, event: Any) -> tuple[Any, str]:
    out = lam.invoke(FunctionName=name, Payload=json.dumps(event))
    assert "FunctionError" not in out, out["Payload"].read()
    return json.loads(out["Payload"].read()), out["ResponseMetadata"]["RequestId"]


def events_until(logs: Any, name: str, request_id: str) -> list[str]:
    """Every message of the function's log group, once the REPORT of `request_id` is stored."""
    deadline = time.monotonic() + 60
    while True:
        messages: list[str] = []
        kwargs: dict[str, Any] = {"logGroupName": f"/aws/lambda/{name}"}
        try:
            while True:
                page = logs.filter_log_events(**kwargs)
                messages += [event["message"] for event in page["events"]]
                if "nextToken" not in page:
                    break
                kwargs["nextToken"] = page["nextToken"]
        except logs.exceptions.ResourceNotFoundException:
            pass
        if any(m.startswith(f"REPORT RequestId: {request_id}") for m in messages):
            return messages
        assert time.monotonic() < deadline, "the invocation's REPORT line never arrived"
        time.sleep(0.2)


def invocation_lines(messages: list[str], request_id: str) -> tuple[list[str], tuple[int, int] | None]:
    """The function's own lines of one invocation (between START and END), and its LOGS line's counts."""
    start = messages.index(next(m for m in messages if m.startswith(f"START RequestId: {request_id}")))
    end = messages.index(f"END RequestId: {request_id}")
    own = messages[start + 1 : end]
    dropped = [DROPPED.match(m) for m in own]
    counts = next(((int(m[2]), int(m[3])) for m in dropped if m and m[1] == request_id), None)
    return [m for m, d in zip(own, dropped, strict=True) if d is None], counts


def stored_bytes(lines: list[str]) -> int:
    return sum(len(line.encode()) + EVENT_OVERHEAD for line in lines)


@pytest.fixture(scope="module")
def small_limits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = server_with(
        tmp_path_factory.mktemp("flood-small"), {"max_log_event_bytes": 1000, "max_log_bytes_per_invocation": 50_000}
    )
    try:
        yield running
    finally:
        running.stop()


def test_a_python_flood_is_cut_into_events_kept_up_to_the_ceiling_and_counted(small_limits: RunningServer) -> None:
    lam, logs = client(small_limits, "lambda"), client(small_limits, "logs")
    name = create(lam, "python3.12", {"index.py": FLOOD}, "index.handler")
    assert invoke(lam, name, {"print_mb": 2, "long": 3_000_000})[0] == "flooded"
    request_id = invoke(lam, name, {"print_mb": 4, "long": 3_000_000})[1]  # the same again on a warm instance
    messages = events_until(logs, name, request_id)
    assert all(len(m.encode()) <= 1000 for m in messages if not m.startswith(("REPORT", "LOGS")))
    own, dropped = invocation_lines(messages, request_id)
    assert stored_bytes(own) <= 50_000
    assert own[:2] == ["x" * 1000, "x" * 23]  # a 1023-byte line, cut into two events
    # Every line written and not stored is counted: 4,096 lines of 1023 bytes, and the long one.
    assert dropped == (4096 + 1 - len(own) // 2, 4096 * 1023 + 3_000_000 - sum(len(m) for m in own))
    # The instance goes on answering, with a log of its own size
    again, second = invoke(lam, name, {})
    assert again == "flooded"
    assert invocation_lines(events_until(logs, name, second), second) == ([], None)


def test_output_straight_to_the_pipe_is_bounded_as_it_is_read(small_limits: RunningServer) -> None:
    lam, logs = client(small_limits, "lambda"), client(small_limits, "logs")
    name = create(lam, "python3.12", {"index.py": FLOOD}, "index.handler")
    first = invoke(lam, name, {"fd_mb": 8})[1]
    # Output still in the pipe when the answer came joins the next invocations' logs
    later = [invoke(lam, name, {})[1] for _ in range(2)]
    messages = events_until(logs, name, later[-1])
    assert all(len(m.encode()) <= 1000 for m in messages if not m.startswith(("REPORT", "LOGS")))
    kept = dropped = 0
    for request_id in (first, *later):
        own, counts = invocation_lines(messages, request_id)
        assert stored_bytes(own) <= 50_000 and all(m in ("y" * 1000, "y" * 23) for m in own)
        kept += len(own) // 2
        dropped += counts[0] if counts else 0
    assert kept + dropped == 8 * 1024


def test_a_shell_runtime_flood_is_bounded_the_same_way(small_limits: RunningServer) -> None:
    lam, logs = client(small_limits, "lambda"), client(small_limits, "logs")
    name = create(lam, "provided.al2023", {"bootstrap": SHELL_BOOTSTRAP}, "function.handler")
    result, first = invoke(lam, name, {})
    assert result == "flooded"
    second = invoke(lam, name, {})[1]  # output still in the pipe when the first answered joins the second's log
    messages = events_until(logs, name, second)
    assert all(len(m.encode()) <= 1000 for m in messages if not m.startswith(("REPORT", "LOGS")))
    dropped = 0
    for request_id in (first, second):
        own, counts = invocation_lines(messages, request_id)
        assert stored_bytes(own) <= 50_000
        dropped += counts[1] if counts else 0
    # Two floods of 3,000,000 bytes and 20,000 short lines each, less what two invocations keep (and what
    # the pipe still holds for a third)
    assert dropped > 2 * (3_000_000 + 20_000 * 12) - 2 * 50_000 - 2 * MB


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def writer_pid(server: RunningServer) -> int:
    children = psutil.Process(server.process.pid).children()
    return next(c.pid for c in children if "overcast.functions.outbox_process" in " ".join(c.cmdline()))


def test_printing_100_mb_leaves_the_server_and_its_log_writer_under_idle_plus_100_mb(
    tmp_path: Path,
) -> None:
    """The figures of issue 11: before, this flood took the server from 72 to 309 MB and the writer to 578 MB."""
    running = start_server(tmp_path / "data")
    try:
        lam, logs = client(running, "lambda"), client(running, "logs")
        name = create(lam, "python3.12", {"index.py": FLOOD}, "index.handler", memory=1769)
        events_until(logs, name, invoke(lam, name, {})[1])  # warm: the instance and the log writer run
        database = sum(p.stat().st_size for p in (tmp_path / "data").glob("overcast.db*"))
        server_idle, writer_idle = rss_kb(running.process.pid), rss_kb(writer_pid(running))
        result, request_id = invoke(lam, name, {"print_mb": 50, "fd_mb": 50, "long": 8 * MB})
        assert result == "flooded"
        own, dropped = invocation_lines(events_until(logs, name, request_id), request_id)
        assert dropped is not None and dropped[1] > 100 * MB
        assert stored_bytes(own) <= 4 * MB and max(len(m.encode()) for m in own) <= MB - EVENT_OVERHEAD
        server_peak, writer_peak = rss_kb(running.process.pid, "VmHWM"), rss_kb(writer_pid(running), "VmHWM")
        grown = sum(p.stat().st_size for p in (tmp_path / "data").glob("overcast.db*")) - database
        figures = f"server {server_idle // 1024} -> {server_peak // 1024} MB, writer {writer_idle // 1024} -> "
        print(f"RSS idle -> peak: {figures}{writer_peak // 1024} MB; database +{grown // MB} MB")
        assert server_peak - server_idle < 100 * 1024
        assert writer_peak - writer_idle < 100 * 1024
        assert grown < 50 * MB
    finally:
        running.stop()
