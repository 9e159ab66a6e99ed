"""Deliveries SNS accepted survive `kill -9` of the server: each is delivered at least once after a restart."""

from __future__ import annotations

import json
import queue
import signal
import socket
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.conftest import start_server
from tests.events.topics.endpoints import Endpoint, endpoint

K = 1_000


def _sns(url: str) -> Any:
    return boto3.client("sns", endpoint_url=url, region_name="us-east-1", config=Config(retries={"max_attempts": 1}))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_k_undelivered_deliveries_survive_kill_9_and_are_all_delivered(tmp_path: Path) -> None:
    port = _free_port()
    hook = Endpoint(f"http://127.0.0.1:{port}/hook")
    first = start_server(tmp_path / "data")
    try:
        sns = _sns(first.url)
        topic = sns.create_topic(Name="durable")["TopicArn"]
        with endpoint(port, hook):  # up for the confirmation handshake only
            sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)
            confirmation = json.loads(hook.next().body)
            with urllib.request.urlopen(confirmation["SubscribeURL"]) as response:
                response.read()
        # The endpoint is down now: every delivery fails its first try and waits 20 s for its retry.
        ledger: set[str] = set()
        for batch in range(K // 10):
            entries = [{"Id": str(i), "Message": f"m-{batch}-{i}"} for i in range(10)]
            answer = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
            assert not answer["Failed"]
            ledger |= {e["MessageId"] for e in answer["Successful"]}
        assert len(ledger) == K
    finally:
        first.stop(signal.SIGKILL)

    delivered: set[str] = set()
    with endpoint(port, hook):
        second = start_server(tmp_path / "data")
        try:
            while not ledger <= delivered:
                try:
                    got = hook.next(timeout=60)
                except queue.Empty:
                    break
                message = json.loads(got.body)
                if message["Type"] == "Notification":
                    delivered.add(message["MessageId"])
        finally:
            second.stop()
    missing = ledger - delivered
    assert not missing, f"{len(missing)} of {K} accepted deliveries were lost, e.g. {sorted(missing)[:3]}"
