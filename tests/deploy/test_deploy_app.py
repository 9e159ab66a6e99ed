"""`overcast deploy` end to end against the session's server: a SAM app created (change set shown, events
printed, Outputs with their Overcast URLs), called through its API, left alone when nothing changed,
updated when a parameter changes, and deleted. Needs the CloudFormation engine and API (branch stack-engine);
skipped, saying so, where the server answers CloudFormation as not implemented."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer
from tests.deploy.test_cli import app, run

APPS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "sam-apps"


@pytest.fixture(scope="module")
def engine(aws: ClientFactory) -> Iterator[None]:
    try:
        aws("cloudformation").describe_stacks(StackName=f"probe-{uuid.uuid4().hex[:8]}")
    except ClientError as exc:
        status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
        if status == 501 or exc.response["Error"]["Code"] in ("NotImplemented", "NotImplementedException"):
            pytest.skip("needs the CloudFormation engine (branch stack-engine)")
    yield


def skip_if_types_missing(made: Any, aws: ClientFactory, stack: str) -> None:
    """Skip, naming what is missing, when the server refused the app's resource types before any change (as it
    must where a service has not contributed its resource providers yet)."""
    refused = re.search(r"Unrecognized resource types: \[([^\]]+)\]", made.output)
    if made.exit_code == 1 and refused is not None:
        with pytest.raises(ClientError):
            aws("cloudformation").describe_stacks(StackName=stack)
        pytest.skip(f"needs the resource providers of {refused[1]}")


def overcast_url(output: str) -> str:
    """The first Overcast URL of the Outputs table, whose cells wrap a long URL over several rows."""
    flat = re.sub(r"\s*[│┃]\s*", "", output.replace("\n", ""))
    found = re.search(r"on Overcast:\s*(http://[^)\s]+)\)", flat)
    assert found is not None, output
    return found[1]


def test_an_app_is_deployed_updated_and_deleted(
    engine: None, tmp_path: Path, server: RunningServer, aws: ClientFactory
) -> None:
    root, stack = app(tmp_path / "app"), f"greet-{uuid.uuid4().hex[:8]}"
    common = ("--endpoint-url", server.url, "--cache-dir", str(tmp_path / "cache"), "--stack-name", stack)
    made = run("deploy", *common, "--parameter-overrides", "Greeting=hi", cwd=root)
    skip_if_types_missing(made, aws, stack)
    assert made.exit_code == 0, made.output
    assert "CloudFormation stack changeset" in made.output
    assert re.search(r"\+ Add\s+│\s+GreetFunction\s+│\s+AWS::Lambda::Function", made.output), made.output
    assert "CloudFormation events from stack operations" in made.output
    assert re.search(r"CREATE_COMPLETE\s+AWS::CloudFormation::Stack\s+" + stack, made.output), made.output
    assert "CloudFormation outputs from deployed stack" in made.output
    url = overcast_url(made.output)
    api_id = url.split("//")[1].split(".")[0]
    answer = httpx.get(f"{server.url}/_aws/execute-api/{api_id}/Prod/greet/")
    assert answer.status_code == 200 and answer.json() == {"greeting": "hi"}

    same = run("deploy", *common, "--parameter-overrides", "Greeting=hi", cwd=root)
    assert same.exit_code == 0 and f"No changes to deploy. Stack {stack} is up to date" in same.output

    review = run(
        "deploy", *common, "--parameter-overrides", "Greeting=hey", "--confirm-changeset", cwd=root, input="n\n"
    )
    assert "* Modify" in review.output and "Deploy this changeset?" in review.output
    assert httpx.get(f"{server.url}/_aws/execute-api/{api_id}/Prod/greet/").json() == {"greeting": "hi"}
    changed = run("deploy", *common, "--parameter-overrides", "Greeting=hey", cwd=root)
    assert changed.exit_code == 0, changed.output
    assert httpx.get(f"{server.url}/_aws/execute-api/{api_id}/Prod/greet/").json() == {"greeting": "hey"}

    gone = run("delete", stack, "--no-prompts", "--endpoint-url", server.url, cwd=root)
    assert gone.exit_code == 0 and f"Deleted successfully: stack {stack}" in gone.output
    names = [f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]]
    assert not [name for name in names if name.startswith(f"{stack}-")]


@pytest.mark.skipif(not (APPS / "python3.13" / "hello").is_dir(), reason="../shared/conformance/sam-apps is not there")
def test_the_sam_hello_app_deploys_unmodified_and_answers_its_event(
    engine: None, tmp_path: Path, server: RunningServer, aws: ClientFactory
) -> None:
    root, stack = APPS / "python3.13" / "hello", f"hello-{uuid.uuid4().hex[:8]}"
    made = run(
        "deploy", "--stack-name", stack, "--endpoint-url", server.url, "--cache-dir", str(tmp_path / "c"), cwd=root
    )
    skip_if_types_missing(made, aws, stack)
    assert made.exit_code == 0, made.output
    function = aws("cloudformation").describe_stack_resource(StackName=stack, LogicalResourceId="HelloWorldFunction")
    name = function["StackResourceDetail"]["PhysicalResourceId"]
    event = (root / "events" / "event.json").read_bytes()
    answer = json.loads(aws("lambda").invoke(FunctionName=name, Payload=event)["Payload"].read())
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {"message": "hello world"}
    url = overcast_url(made.output)
    api_id = url.split("//")[1].split(".")[0]
    assert httpx.get(f"{server.url}/_aws/execute-api/{api_id}/Prod/hello/").json() == {"message": "hello world"}
    assert run("delete", stack, "--no-prompts", "--endpoint-url", server.url, cwd=root).exit_code == 0
