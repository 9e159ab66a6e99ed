"""Host prefixes: StartSyncExecution's model sends it to `sync-<endpoint host>`, a name that does not
resolve for 127.0.0.1. `AWS_DISABLE_HOST_PREFIX_INJECTION=true`, the SDKs' shared setting
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-host-prefix.html), turns that off for the
AWS CLI and every SDK, as the README says."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.conftest import ClientFactory

ROLE = "arn:aws:iam::000000000000:role/sfn-role"
PASS = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"done": "yes"}, "End": True}}})


def test_the_aws_cli_runs_start_sync_execution_with_host_prefixes_off(
    aws: ClientFactory, aws_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    express_arn = aws("stepfunctions").create_state_machine(
        name=f"cli-sync-{uuid.uuid4().hex[:8]}", definition=PASS, roleArn=ROLE, type="EXPRESS"
    )["stateMachineArn"]
    monkeypatch.setenv("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
    ran = aws_cli("stepfunctions", "start-sync-execution", "--state-machine-arn", express_arn, "--input", '{"a": 1}')
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    assert answer["status"] == "SUCCEEDED" and json.loads(answer["output"]) == {"done": "yes"}
    assert json.loads(answer["input"]) == {"a": 1} and ":express:" in answer["executionArn"]
