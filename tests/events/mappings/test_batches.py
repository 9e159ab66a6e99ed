"""One batch, pure: the SQS event as the conformance fixture shows it, filters, and partial batch responses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from overcast.events.mappings.batches import Outcome, kept, outcome, record
from overcast.events.mappings.pollers import PAYLOAD_LIMIT, fit
from overcast.events.patterns import compile_pattern

FIXTURE = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "events" / "sqsEvent.json"
IDS = [f"id-{n}" for n in range(10)]


@dataclass(frozen=True)
class Attribute:
    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None


@dataclass(frozen=True)
class Message:
    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str
    attributes: dict[str, str] = field(default_factory=dict)
    message_attributes: dict[str, Attribute] = field(default_factory=dict)


def test_a_record_has_the_fixtures_keys_and_values() -> None:
    expected = json.loads(FIXTURE.read_text())["Records"][1]
    message = Message(
        "2e1424d4-f796-459a-8184-9c92662be6da", "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...", '{"message": "foo1"}',
        "e4e68fb7bd0e697a0ae8f1bb342846b3",
        {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082650636", "SenderId": "AIDAIENQZJOLO23YVJ4VO",
         "ApproximateFirstReceiveTimestamp": "1545082650649", "VisibilityTimeout": "30"},
    )  # fmt: skip
    made = record(message, "arn:aws:sqs:us-east-2:123456789012:my-queue", "us-east-2")
    assert made == expected
    assert list(made) == [
        "messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody", "eventSource",
        "eventSourceARN", "awsRegion",
    ]  # fmt: skip


def test_message_attributes_are_camel_case_with_binary_in_base64() -> None:
    message = Message(
        "m", "r", "b", "d",
        message_attributes={"n": Attribute("Number", "100"), "bin": Attribute("Binary", binary_value=b"\x00\x01")},
    )  # fmt: skip
    made = record(message, "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1")["messageAttributes"]
    assert made["n"] == {"stringValue": "100", "stringListValues": [], "binaryListValues": [], "dataType": "Number"}
    assert made["bin"]["binaryValue"] == "AAE=" and made["bin"]["dataType"] == "Binary"


def test_filters_see_a_json_body_parsed_and_a_text_body_as_text() -> None:
    records = [{"body": json.dumps({"RequestCode": code})} for code in ("AAAA", "BBBB")] + [{"body": "BBBB plain"}]
    on_json = compile_pattern('{"body": {"RequestCode": ["BBBB"]}}')
    on_text = compile_pattern('{"body": [{"prefix": "BBBB"}]}')
    assert kept(records, [on_json]) == [False, True, False]
    assert kept(records, [on_json, on_text]) == [False, True, True]
    assert kept(records, []) == [True, True, True]


def _answer(value: object) -> bytes:
    return json.dumps(value).encode()


PARTIAL = [
    # (the function's answer, its error, what fails) per
    # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
    (_answer({"batchItemFailures": [{"itemIdentifier": "id-3"}, {"itemIdentifier": "id-7"}]}), None, {"id-3", "id-7"}),
    (_answer({"batchItemFailures": []}), None, set()),
    (_answer({"batchItemFailures": None}), None, set()),
    (_answer({}), None, set()),
    (b"null", None, set()),
    (b"", None, set()),
    (_answer({"batchItemFailures": [{"itemIdentifier": ""}]}), None, set(IDS)),
    (_answer({"batchItemFailures": [{"itemIdentifier": None}]}), None, set(IDS)),
    (_answer({"batchItemFailures": [{"itemIdentifier": "unknown"}]}), None, set(IDS)),
    (_answer({"batchItemFailures": [{"itemId": "id-1"}]}), None, set(IDS)),
    (_answer({"batchItemFailures": "id-1"}), None, set(IDS)),
    (_answer(["id-1"]), None, set(IDS)),
    (b"{not json", None, set(IDS)),
    (_answer({"batchItemFailures": []}), "Unhandled", set(IDS)),
]


@pytest.mark.parametrize(("payload", "error", "failed"), PARTIAL)
def test_partial_batch_responses_follow_awss_rules(payload: bytes, error: str | None, failed: set[str]) -> None:
    result = outcome(IDS, payload, error, report_item_failures=True)
    assert result.failed == failed
    assert result.whole is (failed == set(IDS))


def test_without_report_batch_item_failures_only_an_error_fails_the_batch() -> None:
    answer = _answer({"batchItemFailures": [{"itemIdentifier": "id-1"}]})
    assert outcome(IDS, answer, None, report_item_failures=False) == Outcome(frozenset(), False)
    assert outcome(IDS, b"", "Unhandled", report_item_failures=False).failed == frozenset(IDS)


def test_a_batch_is_cut_to_what_fits_in_6_mb_and_the_rest_carried() -> None:
    body = "x" * (1024 * 1024 - 2048)
    batch = [Message(str(n), "r", body, "d") for n in range(7)]
    kept_, rest = fit(batch)
    assert [m.message_id for m in kept_] == ["0", "1", "2", "3", "4", "5"] and [m.message_id for m in rest] == ["6"]
    assert sum(len(m.body) for m in kept_) < PAYLOAD_LIMIT
    huge = [Message("big", "r", "x" * (PAYLOAD_LIMIT + 1), "d")]
    assert fit(huge) == (huge, [])  # one message always goes (SQS's own limit keeps it far under 6 MB)
