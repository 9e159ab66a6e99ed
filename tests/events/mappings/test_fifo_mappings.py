"""A mapping on a FIFO queue, through boto3 against a real server: each message group is processed in the order
it was sent, in batches of at most 10, and a message the function fails holds back the rest of its group (it
comes back after its visibility timeout, before anything sent after it) while the other groups go on
(https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, FIFO queues; the queue hands out nothing more of a
group while one of its messages is in flight)."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.events.mappings import queue_flows as flows
from tests.functions.hostile import create

# Reports "a-5" failed at its first receive, and with it the rest of its group in the batch, as a FIFO function
# should (it must not process a group past a failure); tells the test each record and whether it succeeded.
HANDLER = """
import json, os, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    failed, seen = set(), []
    for r in event["Records"]:
        group = r["attributes"]["MessageGroupId"]
        if group in failed or (r["body"] == "a-5" and r["attributes"]["ApproximateReceiveCount"] == "1"):
            failed.add(group)
        seen.append({"id": r["messageId"], "body": r["body"], "group": group, "ok": group not in failed})
    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(seen))
    return {"batchItemFailures": [{"itemIdentifier": s["id"]} for s in seen if not s["ok"]]}
"""
GROUPS, EACH = ("a", "b", "c"), 12


@pytest.fixture(scope="module")
def function(lam: Any, seen: str) -> str:
    return create(lam, "python3.12", {"index.py": HANDLER}, prefix="fifo", Environment={"Variables": {"SEEN": seen}})


def test_groups_keep_their_order_and_a_failure_holds_back_its_group(
    sqs: Any, lam: Any, function: str, seen: str
) -> None:
    url = sqs.create_queue(
        QueueName=f"ordered-{uuid.uuid4().hex[:8]}.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "1"},
    )["QueueUrl"]
    arn = flows.arn(sqs, url)
    sent = [(group, f"{group}-{n}") for n in range(EACH) for group in GROUPS]  # the groups interleaved
    for start in range(0, len(sent), 10):
        entries = [
            {"Id": str(i), "MessageBody": body, "MessageGroupId": group}
            for i, (group, body) in enumerate(sent[start : start + 10])
        ]
        assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
    made = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    try:
        batches: list[list[dict[str, Any]]] = []
        while sum(1 for b in batches for r in b if r["ok"]) < len(sent):
            got = flows.bodies(sqs, seen, 1)
            assert got, f"the function saw {batches}"
            batches += [json.loads(body) for body in got]
        assert flows.drained(sqs, url)  # the last batch's deletes follow its answer
    finally:
        lam.delete_event_source_mapping(UUID=made["UUID"])
    assert all(1 <= len(batch) <= 10 for batch in batches)
    done: dict[str, list[str]] = defaultdict(list)
    attempts: dict[str, list[str]] = defaultdict(list)
    for batch in batches:
        for r in batch:
            attempts[r["group"]].append(r["body"])
            if r["ok"]:
                done[r["group"]].append(r["body"])
    for group in GROUPS:  # each group processed once each, in the order it was sent
        assert done[group] == [f"{group}-{n}" for n in range(EACH)]
    assert attempts["b"] == done["b"] and attempts["c"] == done["c"]
    # a-5 failed once; nothing of group a after it was tried before it came back, and then all went in order.
    first = attempts["a"].index("a-5")
    assert attempts["a"][: first + 1] == [f"a-{n}" for n in range(6)]
    retried = attempts["a"].index("a-5", first + 1)
    assert set(attempts["a"][first + 1 : retried]) <= {f"a-{n}" for n in range(6, EACH)}
    assert attempts["a"][retried:] == [f"a-{n}" for n in range(5, EACH)]


def test_a_fifo_queue_takes_batches_of_10_at_most_and_no_window(sqs: Any, lam: Any, function: str) -> None:
    url = sqs.create_queue(QueueName=f"limits-{uuid.uuid4().hex[:8]}.fifo", Attributes={"FifoQueue": "true"})
    arn = flows.arn(sqs, url["QueueUrl"])
    refusals = (
        (
            {"BatchSize": 11, "MaximumBatchingWindowInSeconds": 1},
            "Maximum batch size must be between 1 and 10 inclusive",
        ),
        ({"MaximumBatchingWindowInSeconds": 1}, "Batching window is not supported for FIFO queues."),
    )
    for settings, message in refusals:
        with pytest.raises(ClientError) as caught:
            lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, **settings)
        error = caught.value.response["Error"]
        assert (error["Code"], error["Message"]) == ("InvalidParameterValueException", message)
