"""What SendMessage acknowledged survives `kill -9` of the server: every unacknowledged message is received
again after a restart (in flight or not), and what DeleteMessage acknowledged stays deleted."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.conftest import start_server

M = 1_000


def _client(url: str) -> Any:
    return boto3.client("sqs", endpoint_url=url, region_name="us-east-1", config=Config(retries={"max_attempts": 1}))


def test_unacknowledged_messages_survive_kill_9(tmp_path: Path) -> None:
    first = start_server(tmp_path / "data")
    try:
        sqs = _client(first.url)
        url = sqs.create_queue(QueueName="durable")["QueueUrl"]
        accepted: set[str] = set()  # the ledger: what SendMessage answered for
        for batch in range(M // 10):
            entries = [{"Id": f"m{i}", "MessageBody": f"{batch}-{i}"} for i in range(10)]
            answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
            assert not answer.get("Failed")
            accepted |= {f"{batch}-{i}" for i in range(10)}
        in_flight = []
        while len(in_flight) < 200:
            in_flight += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=3600)["Messages"]
        deleted = in_flight[:50]
        for message in deleted:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    finally:
        first.stop(signal.SIGKILL)

    second = start_server(tmp_path / "data")
    try:
        sqs = _client(second.url)
        url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
        received: set[str] = set()
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=3600).get("Messages", [])
            if not got:
                break
            received |= {m["Body"] for m in got}
        assert received == accepted - {m["Body"] for m in deleted}
        assert len(received) == M - 50
    finally:
        second.stop()
