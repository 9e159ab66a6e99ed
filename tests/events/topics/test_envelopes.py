"""The shapes SNS delivers, against AWS's own samples in ../shared/conformance/events/: the Lambda event
(snsEvent.json) and the SQS bodies (snsSqsEvent.json, snsSqsFifoEvent.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from overcast.events.topics.envelopes import lambda_event, notification, sqs_body
from overcast.events.topics.signing import Signer

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "events"
TOPIC = "arn:aws:sns:us-east-1:000000000000:t"


def _sample(name: str) -> Any:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    return json.loads(path.read_text())


def _delivery(**changes: Any) -> dict[str, Any]:
    return {
        "message_id": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "topic_arn": TOPIC,
        "subscription_arn": TOPIC + ":sub",
        "message": "Hello from SNS!",
        "subject": "TestInvoke",
        "time": 1_546_433_107.0,
        "attributes": {"Test": {"DataType": "String", "StringValue": "TestString"}},
        **changes,
    }


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    return Signer(tmp_path_factory.mktemp("signing"))


def test_the_lambda_event_has_the_samples_shape(signer: Signer) -> None:
    sample = _sample("snsEvent.json")["Records"][0]
    made = lambda_event(_delivery(), signer, "http://localhost:4566")["Records"][0]
    assert sorted(made) == sorted(sample) and sorted(made["Sns"]) == sorted(sample["Sns"])
    assert made["Sns"]["Timestamp"] == "2019-01-02T12:45:07.000Z"
    assert made["Sns"]["MessageAttributes"] == {"Test": {"Type": "String", "Value": "TestString"}}
    assert made["EventSource"] == "aws:sns" and made["EventVersion"] == "1.0"


def test_the_sqs_body_is_the_envelope_as_sns_writes_it(signer: Signer) -> None:
    body = json.loads(_sample("snsSqsEvent.json")["Records"][0]["body"])
    made = sqs_body(notification(_delivery(subject=None, attributes={}), signer, "http://localhost:4566"))
    assert list(json.loads(made)) == list(body)
    assert made.startswith('{\n  "Type" : "Notification",\n  "MessageId" : ')


def test_a_fifo_topics_sqs_body_is_unsigned_and_numbered(signer: Signer) -> None:
    body = json.loads(_sample("snsSqsFifoEvent.json")["Records"][0]["body"])
    delivery = _delivery(subject=None, attributes={}, fifo=True, sequence_number="10000000000000004000")
    made = json.loads(sqs_body(notification(delivery, signer, "http://localhost:4566")))
    assert list(made) == list(body)
