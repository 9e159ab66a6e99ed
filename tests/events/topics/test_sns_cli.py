"""The AWS CLI's `aws sns` commands against a real server, pointed at it by AWS_ENDPOINT_URL as a user does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from tests.conftest import RunningServer

Cli = Callable[..., CompletedProcess[str]]


@pytest.fixture(scope="module")
def aws_cli(server: RunningServer) -> Cli:
    aws = str(Path(sys.executable).parent / "aws")
    env = {**os.environ, "AWS_ENDPOINT_URL": server.url, "AWS_DEFAULT_REGION": "us-east-1"}

    def run(*args: str) -> CompletedProcess[str]:
        return subprocess.run([aws, "--output", "json", *args], capture_output=True, text=True, env=env, timeout=60)

    return run


def _json(result: CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_aws_sns_manages_topics_and_subscriptions(aws_cli: Cli) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    arn = _json(aws_cli("sns", "create-topic", "--name", name, "--tags", "Key=team,Value=a"))["TopicArn"]
    assert arn in [t["TopicArn"] for t in _json(aws_cli("sns", "list-topics"))["Topics"]]
    _json(aws_cli("sns", "set-topic-attributes", "--topic-arn", arn, "--attribute-name", "DisplayName",
                  "--attribute-value", "Shown"))  # fmt: skip
    assert _json(aws_cli("sns", "get-topic-attributes", "--topic-arn", arn))["Attributes"]["DisplayName"] == "Shown"
    assert _json(aws_cli("sns", "list-tags-for-resource", "--resource-arn", arn))["Tags"] == [
        {"Key": "team", "Value": "a"}
    ]
    queue = "arn:aws:sqs:us-east-1:000000000000:q"
    sub = _json(aws_cli("sns", "subscribe", "--topic-arn", arn, "--protocol", "sqs", "--notification-endpoint", queue,
                        "--attributes", '{"RawMessageDelivery": "true"}'))["SubscriptionArn"]  # fmt: skip
    got = _json(aws_cli("sns", "get-subscription-attributes", "--subscription-arn", sub))["Attributes"]
    assert got["RawMessageDelivery"] == "true"
    listed = _json(aws_cli("sns", "list-subscriptions-by-topic", "--topic-arn", arn))["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == [sub]
    _json(aws_cli("sns", "unsubscribe", "--subscription-arn", sub))
    _json(aws_cli("sns", "delete-topic", "--topic-arn", arn))
    failed = aws_cli("sns", "get-topic-attributes", "--topic-arn", arn)
    assert failed.returncode != 0 and "NotFound" in failed.stderr and "Topic does not exist" in failed.stderr
