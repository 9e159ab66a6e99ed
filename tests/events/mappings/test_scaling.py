"""Pollers scale with the backlog, through boto3 against a real server: a slow function and a backlog show the
mapping running batches at once, ScalingConfig.MaximumConcurrency caps them, and a function throttled by its
reserved concurrency (0, or lower than the mapping wants) gets every message in the end, none lost
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html). The function tells the test when each
batch started and ended (the host's clock, which every instance shares); the test waits only by long polls."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.events.mappings import queue_flows as flows
from tests.functions.hostile import create

# A slow function: each batch takes 0.4 s, and says when it ran.
HANDLER = """
import json, os, time, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    start = time.time()
    time.sleep(0.4)
    bodies = [r["body"] for r in event["Records"]]
    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps([start, time.time(), bodies]))
"""
MESSAGES = 16


@pytest.fixture
def slow(lam: Any, seen: str) -> str:
    return create(lam, "python3.12", {"index.py": HANDLER}, prefix="slow", Environment={"Variables": {"SEEN": seen}})


def _most_at_once(runs: list[list[Any]]) -> int:
    edges = sorted([(start, 1) for start, _, _ in runs] + [(end, -1) for _, end, _ in runs])
    now = most = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def _run(sqs: Any, lam: Any, function: str, seen: str, **mapping: Any) -> list[list[Any]]:
    """Every batch the function ran for a backlog of MESSAGES, each body once, the queue drained at the end."""
    url = sqs.create_queue(QueueName=f"backlog-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "3"})[
        "QueueUrl"
    ]
    sent = [f"m{n}" for n in range(MESSAGES)]
    flows.send(sqs, url, sent)
    made = lam.create_event_source_mapping(EventSourceArn=flows.arn(sqs, url), FunctionName=function, **mapping)
    try:
        runs: list[list[Any]] = []
        while len({b for _, _, bodies in runs for b in bodies}) < MESSAGES:
            got = flows.bodies(sqs, seen, 1)
            assert got, f"the function ran {runs}"
            runs += [json.loads(body) for body in got]
        assert flows.drained(sqs, url)
        assert sorted(b for _, _, bodies in runs for b in bodies) == sorted(sent)  # none lost, none twice
        return runs
    finally:
        lam.delete_event_source_mapping(UUID=made["UUID"])


def test_a_backlog_runs_batches_at_once_up_to_maximum_concurrency(sqs: Any, lam: Any, slow: str, seen: str) -> None:
    runs = _run(sqs, lam, slow, seen, BatchSize=1, ScalingConfig={"MaximumConcurrency": 3})
    assert _most_at_once(runs) == 3


def test_a_throttled_function_gets_every_message_in_the_end(sqs: Any, lam: Any, slow: str, seen: str) -> None:
    lam.put_function_concurrency(FunctionName=slow, ReservedConcurrentExecutions=1)
    runs = _run(sqs, lam, slow, seen, BatchSize=1, ScalingConfig={"MaximumConcurrency": 4})
    assert _most_at_once(runs) == 1


def test_a_function_with_no_concurrency_holds_the_messages_until_it_has_some(
    sqs: Any, lam: Any, slow: str, seen: str
) -> None:
    lam.put_function_concurrency(FunctionName=slow, ReservedConcurrentExecutions=0)
    url = sqs.create_queue(QueueName=f"held-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    flows.send(sqs, url, ["held"])
    made = lam.create_event_source_mapping(EventSourceArn=flows.arn(sqs, url), FunctionName=slow, BatchSize=1)
    try:
        throttled = "PROBLEM: Function call throttled"
        for _ in range(30):  # each turn a 1 s long poll of an empty queue
            if lam.get_event_source_mapping(UUID=made["UUID"]).get("LastProcessingResult") == throttled:
                break
            sqs.receive_message(QueueUrl=seen, WaitTimeSeconds=1, VisibilityTimeout=0)
        assert lam.get_event_source_mapping(UUID=made["UUID"])["LastProcessingResult"] == throttled
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert int(counts["ApproximateNumberOfMessages"]) + int(counts["ApproximateNumberOfMessagesNotVisible"]) == 1
        lam.delete_function_concurrency(FunctionName=slow)
        assert [b for batch in flows.bodies(sqs, seen, 1) for b in json.loads(batch)[2]] == ["held"]
        assert flows.drained(sqs, url)
    finally:
        lam.delete_event_source_mapping(UUID=made["UUID"])
