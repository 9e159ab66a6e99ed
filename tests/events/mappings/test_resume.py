"""Mappings that were Enabled before a restart poll again after it, with no call to Lambda's API: a server of the
test's own is stopped (SIGTERM, then kill -9) and started again on the same data directory, and only SQS is
called after each start."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from tests.conftest import RunningServer, clients_of, start_server
from tests.events.mappings import queue_flows as flows
from tests.functions.hostile import create

HANDLER = """
import json, os, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps([r["body"] for r in event["Records"]]))
"""


def _seen(sqs: Any, seen: str, count: int) -> list[str]:
    return [body for batch in flows.bodies(sqs, seen, count) for body in json.loads(batch)]


def test_enabled_mappings_poll_again_after_sigterm_and_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    running: RunningServer = start_server(data_dir)
    try:
        aws = clients_of(running)
        sqs, lam = aws("sqs"), aws("lambda")
        seen = sqs.create_queue(QueueName="seen")["QueueUrl"]
        work = sqs.create_queue(QueueName="work", Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
        idle = sqs.create_queue(QueueName="idle")["QueueUrl"]
        function = create(lam, "python3.12", {"index.py": HANDLER}, prefix="resume",
                          Environment={"Variables": {"SEEN": seen}})  # fmt: skip
        lam.create_event_source_mapping(EventSourceArn=flows.arn(sqs, work), FunctionName=function, BatchSize=1)
        lam.create_event_source_mapping(EventSourceArn=flows.arn(sqs, idle), FunctionName=function, Enabled=False)
        sqs.send_message(QueueUrl=work, MessageBody="before")
        assert _seen(sqs, seen, 1) == ["before"]
        for held, (sig, body) in enumerate(((signal.SIGTERM, "after sigterm"), (signal.SIGKILL, "after kill -9")), 1):
            running.stop(sig)
            running = start_server(data_dir)
            sqs = clients_of(running)("sqs")  # no Lambda call from here on
            sqs.send_message(QueueUrl=work, MessageBody=body)
            sqs.send_message(QueueUrl=idle, MessageBody=body)
            assert _seen(sqs, seen, 1) == [body]
            assert flows.drained(sqs, work)
            # The Disabled mapping stays disabled: its queue keeps its message.
            counts = sqs.get_queue_attributes(QueueUrl=idle, AttributeNames=["ApproximateNumberOfMessages"])
            assert counts["Attributes"]["ApproximateNumberOfMessages"] == str(held)
    finally:
        running.stop()
