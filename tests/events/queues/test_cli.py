"""The AWS CLI's `aws sqs` commands against a real server, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import RunningServer


def _aws(server: RunningServer, *args: str) -> Any:
    aws = str(Path(sys.executable).parent / "aws")
    # AWS CLI v1 sends `aws sqs` to https://<region>.queue.amazonaws.com unless --endpoint-url is given: its
    # awscli/customizations/overridesslcommonname.py sets the endpoint before AWS_ENDPOINT_URL is read.
    env = {**os.environ, "AWS_ENDPOINT_URL": server.url, "AWS_DEFAULT_REGION": "eu-west-1"}
    command = [aws, "--endpoint-url", server.url, "--output", "json", "sqs", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_aws_sqs_commands(server: RunningServer, queue_name: str) -> None:
    url = _aws(server, "create-queue", "--queue-name", queue_name, "--attributes", "VisibilityTimeout=45")["QueueUrl"]
    assert url.endswith(f"sqs.eu-west-1.localhost:{server.url.rsplit(':', 1)[1]}/000000000000/{queue_name}")
    assert _aws(server, "get-queue-url", "--queue-name", queue_name)["QueueUrl"] == url
    assert url in _aws(server, "list-queues", "--queue-name-prefix", queue_name)["QueueUrls"]
    sent = _aws(
        server,
        "send-message",
        "--queue-url",
        url,
        "--message-body",
        "from the cli",
        "--message-attributes",
        '{"kind": {"DataType": "String", "StringValue": "cli"}}',
    )
    assert len(sent["MD5OfMessageBody"]) == 32
    got = _aws(
        server, "receive-message", "--queue-url", url, "--message-attribute-names", "All", "--attribute-names", "All"
    )["Messages"]
    assert got[0]["Body"] == "from the cli"
    assert got[0]["MessageAttributes"]["kind"]["StringValue"] == "cli"
    _aws(
        server,
        "change-message-visibility",
        "--queue-url",
        url,
        "--receipt-handle",
        got[0]["ReceiptHandle"],
        "--visibility-timeout",
        "120",
    )
    attributes = _aws(server, "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    _aws(server, "delete-message", "--queue-url", url, "--receipt-handle", got[0]["ReceiptHandle"])
    _aws(server, "send-message-batch", "--queue-url", url, "--entries", "Id=a,MessageBody=one", "Id=b,MessageBody=two")
    _aws(server, "tag-queue", "--queue-url", url, "--tags", "team=core")
    assert _aws(server, "list-queue-tags", "--queue-url", url)["Tags"] == {"team": "core"}
    _aws(server, "purge-queue", "--queue-url", url)
    assert _aws(server, "receive-message", "--queue-url", url) is None
    _aws(server, "delete-queue", "--queue-url", url)
    assert _aws(server, "list-queues", "--queue-name-prefix", queue_name) in (None, {})
