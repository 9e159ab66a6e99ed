"""What the server acknowledged survives `kill -9`: with N queued asynchronous events, M unacknowledged SQS messages
and K undelivered SNS deliveries in it at once, the server is killed and restarted, and every one of them is
delivered at least once, checked against a ledger of what the clients were told was accepted (and what
DeleteMessage acknowledged stays deleted)."""

from __future__ import annotations

import json
import queue
import signal
import socket
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.conftest import start_server
from tests.events.topics.endpoints import Endpoint, endpoint
from tests.functions.hostile import create

N = M = K = 1_000
LEDGER = "import json\n\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event['n']))\n"


def _client(url: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, max_pool_connections=8),
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ran(logs: Any, name: str) -> set[int]:
    seen: set[int] = set()
    params: dict[str, Any] = {"logGroupName": f"/aws/lambda/{name}", "filterPattern": '"EVENT "'}
    while True:
        try:
            page = logs.filter_log_events(**params)
        except logs.exceptions.ResourceNotFoundException:
            return seen
        seen.update(json.loads(e["message"].split("EVENT ", 1)[1]) for e in page["events"])
        if not page.get("nextToken"):
            return seen
        params["nextToken"] = page["nextToken"]


class Ledgers:
    """What the first server answered for: events (202), messages (SendMessage) and publishes (PublishBatch)."""

    def __init__(self) -> None:
        self.events: set[int] = set()
        self.messages: set[str] = set()
        self.deleted: set[str] = set()
        self.publishes: set[str] = set()


def _accept_events(url: str, name: str, ledgers: Ledgers) -> None:
    lam = _client(url, "lambda")

    def accept(n: int) -> int | None:
        answer = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": n}))
        return n if answer["StatusCode"] == 202 else None

    with ThreadPoolExecutor(8) as pool:
        ledgers.events = {n for n in pool.map(accept, range(N)) if n is not None}


def _send_messages(url: str, ledgers: Ledgers) -> None:
    sqs = _client(url, "sqs")
    queue_url = sqs.create_queue(QueueName="durable")["QueueUrl"]
    for batch in range(M // 10):
        entries = [{"Id": f"m{i}", "MessageBody": f"{batch}-{i}"} for i in range(10)]
        assert not sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed")
        ledgers.messages |= {f"{batch}-{i}" for i in range(10)}
    in_flight: list[dict[str, Any]] = []
    while len(in_flight) < 200:  # received and not deleted: in flight for an hour when the server dies
        in_flight += sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600)[
            "Messages"
        ]
    for message in in_flight[:50]:
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        ledgers.deleted.add(message["Body"])


def _publish(url: str, hook: Endpoint, port: int, ledgers: Ledgers) -> None:
    sns = _client(url, "sns")
    topic = sns.create_topic(Name="durable")["TopicArn"]
    with endpoint(port, hook):  # up for the confirmation handshake only
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)
        confirmation = json.loads(hook.next().body)
        with urllib.request.urlopen(confirmation["SubscribeURL"]) as response:
            response.read()
    # The endpoint is down now: every delivery fails its first try and waits for its retry.
    for batch in range(K // 10):
        entries = [{"Id": str(i), "Message": f"m-{batch}-{i}"} for i in range(10)]
        answer = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        assert not answer["Failed"]
        ledgers.publishes |= {e["MessageId"] for e in answer["Successful"]}


def test_events_messages_and_deliveries_all_survive_one_kill_9(tmp_path: Path) -> None:
    port = _free_port()
    hook = Endpoint(f"http://127.0.0.1:{port}/hook")
    ledgers = Ledgers()
    first = start_server(tmp_path / "data")
    try:
        lam = _client(first.url, "lambda")
        name = create(lam, "python3.12", {"index.py": LEDGER}, prefix="ledger")
        # Reserved concurrency 0 throttles every attempt, so the events stay queued (retried with backoff).
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
        _accept_events(first.url, name, ledgers)
        _send_messages(first.url, ledgers)
        _publish(first.url, hook, port, ledgers)
        assert (len(ledgers.events), len(ledgers.messages), len(ledgers.publishes)) == (N, M, K)
    finally:
        first.stop(signal.SIGKILL)

    delivered: set[str] = set()
    with endpoint(port, hook):
        second = start_server(tmp_path / "data")
        try:
            lam, logs, sqs = (_client(second.url, s) for s in ("lambda", "logs", "sqs"))
            lam.delete_function_concurrency(FunctionName=name)

            queue_url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
            received: set[str] = set()
            while got := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600).get(
                "Messages", []
            ):
                received |= {m["Body"] for m in got}

            while not ledgers.publishes <= delivered:
                try:
                    message = json.loads(hook.next(timeout=60).body)
                except queue.Empty:
                    break
                if message["Type"] == "Notification":
                    delivered.add(message["MessageId"])

            deadline = time.monotonic() + 180
            ran = _ran(logs, name)
            while not ledgers.events <= ran and time.monotonic() < deadline:
                time.sleep(0.5)
                ran = _ran(logs, name)
        finally:
            second.stop()
    assert received == ledgers.messages - ledgers.deleted, "SQS lost or resurrected messages"
    assert ledgers.publishes - delivered == set(), f"{len(ledgers.publishes - delivered)} SNS deliveries were lost"
    assert ledgers.events - ran == set(), f"{len(ledgers.events - ran)} accepted events never ran"
