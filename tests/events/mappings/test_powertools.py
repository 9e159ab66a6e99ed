"""Powertools for AWS Lambda's batch utility, unmodified inside a function mapped to a queue: BatchProcessor with
SQS partial failures reports the records its handler raised on, and only those come back
(https://docs.powertools.aws.dev/lambda/python/latest/utilities/batch/)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import aws_lambda_powertools
import jmespath
import typing_extensions

from tests.events.mappings import queue_flows as flows
from tests.functions.hostile import ROLE

HANDLER = """
import json, os, boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

processor = BatchProcessor(event_type=EventType.SQS)
sqs = boto3.client("sqs")


def record_handler(record: SQSRecord):
    if record.body.startswith("fail"):
        raise ValueError(record.body)
    return record.body


def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(event["Records"]))
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
"""


def _package() -> bytes:
    """The handler with Powertools and its pure-Python dependencies as the test's venv has them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.py", HANDLER)
        for package in (aws_lambda_powertools, jmespath):
            root = Path(str(package.__file__)).parent
            for path in sorted(root.rglob("*.py")):
                archive.write(path, str(path.relative_to(root.parent)))
        archive.write(typing_extensions.__file__, "typing_extensions.py")
    return buffer.getvalue()


def test_batch_processor_reports_partial_failures_and_only_those_come_back(sqs: Any, lam: Any, seen: str) -> None:
    name = "powertools-batch"
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler", Timeout=30,
        Code={"ZipFile": _package()}, Environment={"Variables": {"SEEN": seen}},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    url, arn = flows.queue(sqs)
    bodies = [f"fail-{n}" if n in (2, 5) else f"ok-{n}" for n in range(10)]
    flows.send(sqs, url, bodies)
    made = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    try:
        assert sorted(r["body"] for b in flows.batches(sqs, seen, 10) for r in b) == sorted(bodies)
        assert sorted(flows.bodies(sqs, flows.DLQ[url], 2)) == ["fail-2", "fail-5"]
        assert flows.drained(sqs, url)
    finally:
        lam.delete_event_source_mapping(UUID=made["UUID"])
