"""Every asynchronous event the server answered 202 for survives `kill -9` of the server and runs after the restart."""

from __future__ import annotations

import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.conftest import start_server
from tests.functions.hostile import create

EVENTS = 1000
LEDGER = "import json\n\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event['n']))\n"


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, max_pool_connections=8),
    )  # fmt: skip


def _ran(logs: Any, name: str) -> set[int]:
    seen: set[int] = set()
    params: dict[str, Any] = {"logGroupName": f"/aws/lambda/{name}", "filterPattern": '"EVENT "'}
    while True:
        page = logs.filter_log_events(**params)
        seen.update(json.loads(e["message"].split("EVENT ", 1)[1]) for e in page["events"])
        if not page.get("nextToken"):
            return seen
        params["nextToken"] = page["nextToken"]


def test_queued_events_survive_kill_9_and_each_runs_after_the_restart(tmp_path: Path) -> None:
    first = start_server(tmp_path / "data")
    try:
        lam = _client(first.url, "lambda")
        name = create(lam, "python3.12", {"index.py": LEDGER}, prefix="ledger")
        # Reserved concurrency 0 throttles every attempt, so the events stay queued (retried with backoff)
        # until the kill: none can have run and been acknowledged with its log still unwritten.
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)

        def accept(n: int) -> int | None:
            answer = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": n}))
            return n if answer["StatusCode"] == 202 else None

        with ThreadPoolExecutor(8) as pool:
            ledger = {n for n in pool.map(accept, range(EVENTS)) if n is not None}
        assert len(ledger) == EVENTS
    finally:
        first.stop(signal.SIGKILL)

    second = start_server(tmp_path / "data")
    try:
        lam, logs = _client(second.url, "lambda"), _client(second.url, "logs")
        lam.delete_function_concurrency(FunctionName=name)
        deadline = time.monotonic() + 180
        ran: set[int] = set()
        while not ledger <= ran and time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                ran = _ran(logs, name)
            except logs.exceptions.ResourceNotFoundException:
                continue
        assert ledger - ran == set(), f"{len(ledger - ran)} accepted events never ran"
    finally:
        second.stop()
