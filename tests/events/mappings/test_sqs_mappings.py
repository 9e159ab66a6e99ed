"""Event source mappings for SQS through boto3 against a real server: the control plane as Lambda answers it, and
pollers that invoke a real function with the queue's messages (partial batch responses, filters, enable/disable).

The function tells the test what it got by sending each event to a `seen` queue, which the test long-polls; a
message the function fails comes back after its visibility timeout and, past maxReceiveCount 1, is moved to the
queue's dead-letter queue, which the test long-polls too. Nothing here sleeps: every wait is a long poll, or a
bounded wait for the queue to drain (its deletes follow the function's answer).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory
from tests.events.mappings import queue_flows as flows
from tests.functions.hostile import create

# Answers by body: "fail..." is reported failed; "unknown" reports an id not in the batch; "blank" an empty id.
HANDLER = """
import json, os, boto3

sqs = boto3.client("sqs")


def handler(event, context):
    records = event["Records"]
    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(records))
    bodies = [r["body"] for r in records]
    if "unknown" in bodies:
        return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}
    if "blank" in bodies:
        return {"batchItemFailures": [{"itemIdentifier": ""}]}
    failed = [{"itemIdentifier": r["messageId"]} for r in records if r["body"].startswith("fail")]
    return {"batchItemFailures": failed}
"""


@pytest.fixture(scope="module")
def function(lam: Any, seen: str) -> str:
    return create(lam, "python3.12", {"index.py": HANDLER}, prefix="esm", Environment={"Variables": {"SEEN": seen}})


def _error(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_two_of_ten_reported_failed_come_back_and_only_those(sqs: Any, lam: Any, function: str, seen: str) -> None:
    url, arn = flows.queue(sqs)
    bodies = [f"fail-{n}" if n in (3, 7) else f"ok-{n}" for n in range(10)]
    flows.send(sqs, url, bodies)
    made = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    try:
        assert made["State"] == "Creating" and made["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        batches = flows.batches(sqs, seen, 10)
        assert sorted(r["body"] for b in batches for r in b) == sorted(bodies)
        record = batches[0][0]
        assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
        assert record["awsRegion"] == "us-east-1" and record["attributes"]["ApproximateReceiveCount"] == "1"
        assert set(record) >= {"messageId", "receiptHandle", "md5OfBody", "messageAttributes"}
        assert sorted(flows.bodies(sqs, flows.DLQ[url], 2)) == ["fail-3", "fail-7"]
        assert flows.drained(sqs, url)
        assert lam.get_event_source_mapping(UUID=made["UUID"])["LastProcessingResult"] == "OK"
    finally:
        lam.delete_event_source_mapping(UUID=made["UUID"])


@pytest.mark.parametrize("answer", ["unknown", "blank"])
def test_an_unknown_or_empty_item_identifier_fails_the_whole_batch(
    sqs: Any, lam: Any, function: str, seen: str, answer: str
) -> None:
    url, arn = flows.queue(sqs)
    flows.send(sqs, url, ["a", answer, "fail-c"])
    made = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    try:
        flows.batches(sqs, seen, 3)
        assert sorted(flows.bodies(sqs, flows.DLQ[url], 3)) == sorted(["a", answer, "fail-c"])
    finally:
        lam.delete_event_source_mapping(UUID=made["UUID"])


def test_an_empty_batch_item_failures_list_succeeds_the_whole_batch(
    sqs: Any, lam: Any, function: str, seen: str
) -> None:
    url, arn = flows.queue(sqs)
    flows.send(sqs, url, ["a", "b", "c"])
    made = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=function, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    try:
        assert sum(len(b) for b in flows.batches(sqs, seen, 3)) == 3
        assert flows.drained(sqs, url)
    finally:
        lam.delete_event_source_mapping(UUID=made["UUID"])


def test_messages_no_filter_keeps_are_deleted_without_invoking(sqs: Any, lam: Any, function: str, seen: str) -> None:
    url, arn = flows.queue(sqs)
    criteria = {"Filters": [{"Pattern": json.dumps({"body": {"kind": ["keep"]}})}]}
    made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, FilterCriteria=criteria)
    try:
        assert made["FilterCriteria"] == criteria
        flows.send(sqs, url, [json.dumps({"kind": "drop"}), "plain text", json.dumps({"kind": "keep", "n": 1})])
        batches = flows.batches(sqs, seen, 1)
        assert [json.loads(r["body"]) for b in batches for r in b] == [{"kind": "keep", "n": 1}]
        assert flows.drained(sqs, url)
    finally:
        lam.delete_event_source_mapping(UUID=made["UUID"])


def test_a_disabled_mapping_holds_its_messages_until_enabled(sqs: Any, lam: Any, function: str, seen: str) -> None:
    url, arn = flows.queue(sqs)
    made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, Enabled=False)
    uuid_ = made["UUID"]
    assert lam.get_event_source_mapping(UUID=uuid_)["State"] == "Disabled"
    flows.send(sqs, url, ["held"])
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert counts["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert lam.update_event_source_mapping(UUID=uuid_, Enabled=True)["State"] == "Enabling"
    assert lam.get_event_source_mapping(UUID=uuid_)["State"] == "Enabled"
    assert [r["body"] for b in flows.batches(sqs, seen, 1) for r in b] == ["held"]
    assert lam.update_event_source_mapping(UUID=uuid_, Enabled=False)["State"] == "Disabling"
    assert lam.get_event_source_mapping(UUID=uuid_)["State"] == "Disabled"
    assert lam.delete_event_source_mapping(UUID=uuid_)["State"] == "Deleting"
    assert _error(lam.get_event_source_mapping, UUID=uuid_)[0] == "ResourceNotFoundException"


def test_the_control_plane_answers_and_refuses_as_lambda_does(
    aws: ClientFactory, sqs: Any, lam: Any, function: str
) -> None:
    arn, other = flows.queue(sqs)[1], flows.queue(sqs)[1]
    create = lam.create_event_source_mapping
    unchecked = aws("lambda", config=Config(retries={"max_attempts": 1}, parameter_validation=False))
    raw = unchecked.create_event_source_mapping
    code, message = _error(create, EventSourceArn=arn, FunctionName=function, BatchSize=11)
    assert code == "InvalidParameterValueException" and "greater than 10" in message
    code, message = _error(raw, EventSourceArn=arn, FunctionName=function, BatchSize=10001)
    assert code == "ValidationException" and "less than or equal to 10000" in message
    code, message = _error(raw, EventSourceArn=arn, FunctionName=function, ScalingConfig={"MaximumConcurrency": 1})
    assert code == "ValidationException" and "scalingConfig.maximumConcurrency" in message
    bad = {"Filters": [{"Pattern": '{"body": "not an array"}'}]}
    assert _error(create, EventSourceArn=arn, FunctionName=function, FilterCriteria=bad) == (
        "InvalidParameterValueException",
        "Invalid filter pattern definition.",
    )
    six = {"Filters": [{"Pattern": json.dumps({"body": {"n": [n]}})} for n in range(6)]}
    assert _error(create, EventSourceArn=arn, FunctionName=function, FilterCriteria=six)[0] == (
        "InvalidParameterValueException"
    )
    missing = arn.rsplit(":", 1)[0] + ":no-such-queue"
    code, message = _error(create, EventSourceArn=missing, FunctionName=function)
    assert code == "InvalidParameterValueException" and message == (
        "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
        "SQS Error Message: The specified queue does not exist or you do not have access to it."
    )
    assert _error(create, EventSourceArn=arn, FunctionName="no-such-function")[0] == "ResourceNotFoundException"

    made = create(
        EventSourceArn=arn, FunctionName=function, BatchSize=100, MaximumBatchingWindowInSeconds=5, Enabled=False,
        ScalingConfig={"MaximumConcurrency": 2},
    )  # fmt: skip
    try:
        function_arn = lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
        assert made["FunctionArn"] == function_arn and made["EventSourceArn"] == arn
        assert made["BatchSize"] == 100 and made["MaximumBatchingWindowInSeconds"] == 5
        assert made["ScalingConfig"] == {"MaximumConcurrency": 2}
        assert made["StateTransitionReason"] == "USER_INITIATED"
        assert made["LastProcessingResult"] == "No records processed"
        assert made["EventSourceMappingArn"].endswith(f":event-source-mapping:{made['UUID']}")
        code, message = _error(create, EventSourceArn=arn, FunctionName=function)
        assert code == "ResourceConflictException" and made["UUID"] in message
        second = create(EventSourceArn=other, FunctionName=function, Enabled=False)
        try:
            listed = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
            assert {m["UUID"] for m in listed} == {made["UUID"], second["UUID"]}
            by_queue = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
            assert [m["UUID"] for m in by_queue] == [made["UUID"]]
            page = lam.list_event_source_mappings(FunctionName=function, MaxItems=1)
            rest = lam.list_event_source_mappings(FunctionName=function, Marker=page["NextMarker"])
            assert len(page["EventSourceMappings"]) == 1 and "NextMarker" not in rest
            assert {m["UUID"] for m in page["EventSourceMappings"] + rest["EventSourceMappings"]} == {
                made["UUID"], second["UUID"],
            }  # fmt: skip
        finally:
            lam.delete_event_source_mapping(UUID=second["UUID"])
        updated = lam.update_event_source_mapping(UUID=made["UUID"], BatchSize=5, MaximumBatchingWindowInSeconds=0)
        assert updated["State"] == "Updating" and updated["BatchSize"] == 5
        assert lam.get_event_source_mapping(UUID=made["UUID"])["State"] == "Disabled"
    finally:
        lam.delete_event_source_mapping(UUID=made["UUID"])
