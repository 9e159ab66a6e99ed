"""Every `sam init` app of ../shared/conformance/sam-apps deployed unmodified with `overcast deploy` (run as a user
runs it, against the session's server): an app whose resource types this Overcast makes deploys, each of its
functions answers its own sample event, its Outputs' URLs answer, and its stack's deletion leaves nothing; an app
using types this Overcast does not make fails before any change, naming them. Which types the server makes is
asked of the server (CloudFormation's ListTypes), so an app moves from the second kind to the first as services
add their providers.

Each app is copied to a temporary directory first (the folder stays as AWS published it). Builds go to the
user's build cache (XDG_CACHE_HOME, as a user's deploys share ~/.cache/overcast/builds).

The 46 apps take ~3.5 minutes with an empty build cache and ~1.5 with a warm one (2 cores, measured with
XDG_CACHE_HOME pointed at an empty directory, then again): pip and npm installs are cached by what they install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from overcast.deploy.package import code_sites, inline_definitions, locate, read_template
from overcast.templates import sam
from overcast.templates.plan import NETWORKING
from tests.conftest import ClientFactory, RunningServer, clients_of, own_server

APPS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "sam-apps"
FOLDERS = sorted(f"{p.parent.name}/{p.name}" for p in APPS.glob("*/*") if (p / "template.yaml").is_file())
# Apps whose types this Overcast makes but which set a property it does not implement yet: refused before any
# change, naming the property and the resource (the provider's `unsupported` properties).
REFUSED_PROPERTIES = {
    "hello-durable": "DurableConfig of AWS::Lambda::Function",  # durable functions
    "hello-durable-ts": "DurableConfig of AWS::Lambda::Function",
    "response-streaming": "AuthType AWS_IAM of AWS::Lambda::Url",  # a SigV4-signed function URL
}
# A function of an app without events whose state machine hands it a service's answer: that answer's shape,
# as the handler's docstring gives it (step-func-etl's check gets Glue StartJobRun's response).
STATE_INPUTS = {("step-func-etl", "FnCheck"): {"JobName": "overcast-pgluejobname", "JobRunId": "jr_0"}}
# Services an app's code calls that Overcast does not serve: the function runs, reaches Overcast, and fails with
# the service's NotImplemented answer (which names it), until the service exists.
UNSERVED = {"step-func-etl": "GetJobRun"}  # AWS Glue
OVERCAST_URL = re.compile(r"on Overcast:\s*(http://[^)\s]+)\)")


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """The apps' own server: an app with a queue or a topic starts its bus (see conftest.own_server)."""
    with own_server("overcast-sam-apps-") as running:
        yield running


@pytest.fixture(scope="module")
def aws(server: RunningServer) -> ClientFactory:
    return clients_of(server)


def expanded_types(root: Path) -> dict[str, str]:
    """Logical id -> type of the app's resources once the SAM transform has run (as the server will run it)."""
    body = read_template(root / "template.yaml")
    keys = {site.logical_id: f"{0:064x}.zip" for site in code_sites(body, root)}
    template = sam.transform(inline_definitions(locate(body, keys), root), "us-east-1", "000000000000")
    return {rid: str(r["Type"]) for rid, r in template["Resources"].items()}


def overrides(root: Path) -> list[str]:
    """A value for each parameter the template declares without a default (a user must give one)."""
    declared = read_template(root / "template.yaml").get("Parameters") or {}
    given = [f"{name}=overcast-{name.lower()}" for name, p in declared.items() if "Default" not in p]
    return ["--parameter-overrides", " ".join(given)] if given else []


def overcast(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`overcast ARGS` as a user runs it, in `cwd` (a wide terminal, so the Outputs table's URLs stay whole)."""
    return subprocess.run(
        [sys.executable, "-m", "overcast", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "COLUMNS": "400"},
    )


def event_for(function: str, handler: str, events: list[Path]) -> bytes:
    """The app's sample event that fits a function: the only one, else the one whose name shares the most words
    with the function's logical id and handler (get-all-items -> getAllItemsFunction); `{}` for an app with none."""
    if not events:
        return b"{}"

    def words(text: str) -> set[str]:
        return {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", text)} - {"event", "function", "handler"}

    wanted = words(function) | words(handler.rsplit(".", 1)[-1])
    best = max(events, key=lambda e: len(words(e.stem.replace("-", " ").title().replace(" ", "")) & wanted))
    return best.read_bytes()


def answers(url: str, server: RunningServer) -> httpx.Response:
    """GET an Overcast URL from the Outputs (host-named) at the server's address, as DNS for *.localhost would;
    signed with SigV4 as a caller of an AWS_IAM function URL signs it."""
    parts = urlsplit(url)
    target = f"{server.url.rstrip('/')}{parts.path or '/'}"
    request = AWSRequest(method="GET", url=url, headers={"Host": parts.netloc})
    SigV4Auth(Credentials("test", "test"), "lambda", "us-east-1").add_auth(request)
    return httpx.get(target, headers=dict(request.headers.items()), timeout=60)


@pytest.mark.skipif(not FOLDERS, reason="../shared/conformance/sam-apps is not there")
@pytest.mark.parametrize("folder", FOLDERS)
def test_a_sam_app_deploys_unmodified_and_answers_or_is_refused_naming_what_is_missing(
    folder: str, tmp_path: Path, server: RunningServer, aws: ClientFactory
) -> None:
    root = tmp_path / Path(folder).name
    shutil.copytree(APPS / folder, root)
    stack = f"{root.name}-{uuid.uuid4().hex[:6]}"
    cf, lambda_ = aws("cloudformation"), aws("lambda")
    made_here = {t["TypeName"] for t in cf.list_types(Visibility="PUBLIC", Type="RESOURCE")["TypeSummaries"]}
    types = expanded_types(root)
    missing = {rid: kind for rid, kind in types.items() if kind not in made_here and kind not in NETWORKING}
    deployed = overcast("deploy", "--stack-name", stack, "--endpoint-url", server.url, *overrides(root), cwd=root)
    output = deployed.stdout + deployed.stderr

    refused = REFUSED_PROPERTIES.get(root.name)
    if missing or refused:
        assert deployed.returncode == 1, output
        if missing:
            assert "Unrecognized resource types" in output, output
        for rid, kind in missing.items():
            assert f"{kind} ({rid})" in output, output
        if not missing:
            assert re.search(rf"Unsupported properties: {refused} \(\w+\): ", output), output
        with pytest.raises(ClientError, match="does not exist"):
            cf.describe_stack_resources(StackName=stack)
        return

    assert deployed.returncode == 0, output
    runs_on = httpx.get(f"{server.url}/_overcast/health").json()["overcast"]["runtimes"]
    runtime = Path(folder).parent.name
    if runs_on[runtime].startswith("nearest: "):  # python3.14 on a host without it: said once, in the output
        nearest = runs_on[runtime].split()[1]
        assert output.count(f"{runtime} runs on {nearest}, the nearest to {runtime} on this host") == 1, output
    try:
        events = sorted((root / "events").glob("*.json"))
        resources = cf.describe_stack_resources(StackName=stack)["StackResources"]
        functions = [r for r in resources if r["ResourceType"] == "AWS::Lambda::Function"]
        assert functions, output
        for function in functions:
            name = function["PhysicalResourceId"]
            handler = lambda_.get_function_configuration(FunctionName=name)["Handler"]
            given = STATE_INPUTS.get((root.name, function["LogicalResourceId"]))
            event = json.dumps(given).encode() if given else event_for(function["LogicalResourceId"], handler, events)
            answer = lambda_.invoke(FunctionName=name, Payload=event)
            payload = answer["Payload"].read()
            if given and root.name in UNSERVED:
                error = json.loads(payload)
                assert answer.get("FunctionError") == "Unhandled", payload
                assert f"(NotImplemented) when calling the {UNSERVED[root.name]} operation" in error["errorMessage"]
                continue
            assert "FunctionError" not in answer, (function["LogicalResourceId"], payload)
            body: Any = json.loads(payload or b"null")
            if isinstance(body, dict) and "statusCode" in body:
                assert body["statusCode"] == 200, (function["LogicalResourceId"], body)
        urls = OVERCAST_URL.findall(re.sub(r"\s*[│┃]\s*", "", output.replace("\n", "")))
        stated = cf.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
        web = [o for o in stated if str(o["OutputValue"]).startswith("https://")]
        assert len(urls) == len(web), output
        for url in urls:
            reply = answers(url, server)
            assert reply.status_code == 200, (url, reply.status_code, reply.text[:500])
    finally:
        gone = overcast("delete", stack, "--no-prompts", "--endpoint-url", server.url, cwd=root)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    with pytest.raises(ClientError, match="does not exist"):
        cf.describe_stack_resources(StackName=stack)
    pages = lambda_.get_paginator("list_functions").paginate()
    names = {f["FunctionName"] for page in pages for f in page["Functions"]}
    assert {f["PhysicalResourceId"] for f in functions}.isdisjoint(names)
