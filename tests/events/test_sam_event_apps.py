"""The `sqs` and `sns` apps of ../shared/conformance/sam-apps, deployed unmodified with `overcast deploy`: a message
sent to the app's queue, or published to its topic, reaches its function (SAM's SQS event source is an event
source mapping, its SNS event source a subscription and a permission), which logs the event it was given."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ClientFactory, RunningServer

APPS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "sam-apps" / "nodejs22.x"


def _deploy(root: Path, stack: str, server: RunningServer) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "overcast", "deploy", "--stack-name", stack, "--endpoint-url", server.url],
        cwd=root, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _resources(aws: ClientFactory, stack: str) -> dict[str, str]:
    found = aws("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in found}


def _logged(aws: ClientFactory, function: str, needle: str) -> str:
    """The first log line of the function's that holds `needle`, waiting for it (an event source runs it a
    moment after the send, and its log arrives about half a second after its invocation)."""
    logs = aws("logs")
    for _ in range(600):
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        for event in events:
            if needle in event["message"]:
                return str(event["message"])
        time.sleep(0.05)
    raise AssertionError(f"{function} never logged {needle!r}")


@pytest.mark.skipif(not APPS.is_dir(), reason="../shared/conformance/sam-apps is not there")
@pytest.mark.parametrize("app", ["sqs", "sns"])
def test_the_app_processes_a_message_end_to_end(
    app: str, tmp_path: Path, server: RunningServer, aws: ClientFactory
) -> None:
    root = tmp_path / app
    shutil.copytree(APPS / app, root)
    stack = f"{app}-{uuid.uuid4().hex[:6]}"
    _deploy(root, stack, server)
    resources = _resources(aws, stack)
    marker = f"hello-{uuid.uuid4().hex[:8]}"
    if app == "sqs":
        aws("sqs").send_message(QueueUrl=resources["SimpleQueue"], MessageBody=marker)
        line = _logged(aws, resources["SQSPayloadLogger"], marker)
        event: Any = json.loads(line[line.index("{") :])  # the handler logs JSON.stringify(event)
        record = event["Records"][0]
        assert record["body"] == marker and record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"].endswith(":" + resources["SimpleQueue"].rsplit("/", 1)[-1])
    else:
        aws("sns").publish(TopicArn=resources["SimpleTopic"], Message=marker, Subject="greeting")
        # console.info(event) is Node's inspection, two levels deep: the record's Sns object shows as [Object].
        line = _logged(aws, resources["SNSPayloadLogger"], "aws:sns")
        assert "EventSource: 'aws:sns'" in line and "EventSubscriptionArn: 'arn:aws:sns:us-east-1:" in line
        assert resources["SimpleTopic"] in line
    gone = subprocess.run(
        [sys.executable, "-m", "overcast", "delete", stack, "--no-prompts", "--endpoint-url", server.url],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert gone.returncode == 0, gone.stdout + gone.stderr
