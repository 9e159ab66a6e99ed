"""boto3, unmodified, against the Lambda operation table through Overcast's real wire layer.

The client's requests never leave the process: botocore's `before-send` hands each signed HTTP
request to the api Dispatcher (parse with botocore's model -> handler -> serialize), running on
its own event loop over a real SQLite store, and botocore parses the answer as it would AWS's.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from overcast.api.dispatch import Dispatcher
from overcast.api.protocols.http import HttpRequest
from overcast.api.services import lambda_
from overcast.functions.registry import Registry
from overcast.store import open_store

from .zips import handler_zip, make_zip

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
ARN = "arn:aws:lambda:us-east-1:000000000000:function:api-fn"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body.read()


class InProcess:
    """A Dispatcher over a Registry, served to botocore on a private event loop thread."""

    def __init__(self, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.store = self.run(open_store(None, data_dir / "overcast.db"))
        self.registry = Registry(self.store)
        self.run(self.registry.start())
        table = lambda_.operations(self.registry, lambda sha: f"http://localhost:4566/_overcast/code/{sha}")
        self.dispatcher = Dispatcher({"lambda": table}, "000000000000", "us-east-1")

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def send(self, request: Any, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        body = request.body or b""
        if not isinstance(body, bytes):
            body = body.read() if hasattr(body, "read") else str(body).encode()
        http = HttpRequest(
            method=request.method,
            path=url.path,
            query_string=url.query,
            headers={k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()},
            body=body,
        )
        response = self.run(self.dispatcher.dispatch(http))
        return AWSResponse(request.url, response.status, dict(response.headers), _Raw(response.body))

    def close(self) -> None:
        self.run(self.store.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    served = InProcess(tmp_path_factory.mktemp("lambda-api"))
    try:
        yield served
    finally:
        served.close()


def lambda_client(backend: InProcess, access_key: str = "test", region: str = "us-east-1") -> Any:
    """A boto3 Lambda client; a 12-digit access key id names the caller's account."""
    session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key="test", region_name=region)
    lam = session.client("lambda", endpoint_url="http://localhost:4566", config=Config(retries={"max_attempts": 1}))
    lam.meta.events.register("before-send.lambda", backend.send)
    return lam


@pytest.fixture(scope="module")
def client(backend: InProcess) -> Any:
    return lambda_client(backend)


def _error(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_function_lifecycle(client: Any) -> None:
    created = client.create_function(
        FunctionName="api-fn", Runtime="python3.13", Role=ROLE, Handler="index.handler",
        Code={"ZipFile": handler_zip()}, Environment={"Variables": {"MODE": "x"}}, Tags={"team": "a"},
    )  # fmt: skip
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (created["FunctionArn"], created["State"]) == (ARN, "Pending")
    assert created["LastModified"].endswith("+0000")
    client.get_waiter("function_active_v2").wait(FunctionName="api-fn", WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    got = client.get_function(FunctionName="api-fn")
    assert got["Configuration"]["State"] == "Active"
    assert got["Code"]["Location"].startswith("http://localhost:4566/_overcast/code/")
    assert got["Tags"] == {"team": "a"}

    updated = client.update_function_code(FunctionName="api-fn", ZipFile=make_zip({"index.py": "X = 1\n"}))
    assert updated["LastUpdateStatus"] == "InProgress"
    client.get_waiter("function_updated_v2").wait(FunctionName="api-fn", WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    assert _error(
        client.update_function_configuration, FunctionName="api-fn", Timeout=10, RevisionId=created["RevisionId"]
    ) == (
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
        "retrieve the latest Revision Id",
        412,
    )
    client.update_function_configuration(FunctionName="api-fn", Timeout=10, RevisionId=updated["RevisionId"])
    version = client.publish_version(FunctionName="api-fn", Description="v1")
    assert (version["Version"], version["FunctionArn"]) == ("1", f"{ARN}:1")
    assert client.publish_version(FunctionName="api-fn")["Version"] == "1"  # nothing changed since
    alias = client.create_alias(FunctionName="api-fn", Name="live", FunctionVersion="1")
    assert alias["AliasArn"] == f"{ARN}:live"
    assert client.get_function_configuration(FunctionName=f"{ARN}:live")["Version"] == "1"
    pages = client.get_paginator("list_versions_by_function").paginate(FunctionName="api-fn", MaxItems=1)
    assert [v["Version"] for page in pages for v in page["Versions"]] == ["$LATEST", "1"]
    client.delete_function(FunctionName="api-fn")
    assert _error(client.get_function, FunctionName="api-fn") == (
        "ResourceNotFoundException",
        f"Function not found: {ARN}",
        404,
    )


def test_errors_are_aws_shaped(client: Any) -> None:
    code, message, status = _error(
        client.create_function, FunctionName="old", Runtime="python2.7", Role=ROLE, Handler="a.b",
        Code={"ZipFile": handler_zip()},
    )  # fmt: skip
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message.startswith("The runtime parameter of python2.7 is no longer supported")
    code, message, _ = _error(
        client.create_function, FunctionName="bomb", Runtime="python3.13", Role=ROLE, Handler="a.b",
        Code={"ZipFile": make_zip({"../../etc/x": "y"})},
    )  # fmt: skip
    assert code == "InvalidParameterValueException" and "points outside" in message
    assert _error(client.get_alias, FunctionName="nope", Name="x")[0] == "ResourceNotFoundException"


def test_layers_paginators_and_settings(client: Any) -> None:
    layer = client.publish_layer_version(
        LayerName="deps", Content={"ZipFile": make_zip({"python/d.py": "D = 1\n"})}, CompatibleRuntimes=["python3.13"]
    )
    assert layer["Version"] == 1 and layer["CreatedDate"].endswith("+0000")
    for i in range(3):
        client.create_function(
            FunctionName=f"pg-{i}", Runtime="python3.13", Role=ROLE, Handler="index.handler",
            Code={"ZipFile": handler_zip()}, Layers=[layer["LayerVersionArn"]],
        )  # fmt: skip
    names = [
        f["FunctionName"]
        for page in client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2})
        for f in page["Functions"]
    ]
    assert names == ["pg-0", "pg-1", "pg-2"]
    assert client.list_layers()["Layers"][0]["LatestMatchingVersion"]["Version"] == 1
    settings = client.get_account_settings()
    assert settings["AccountUsage"]["FunctionCount"] == 3
    assert settings["AccountLimit"]["CodeSizeUnzipped"] == 262144000
    client.tag_resource(Resource=ARN.replace("api-fn", "pg-0"), Tags={"k": "v"})
    assert client.list_tags(Resource=ARN.replace("api-fn", "pg-0"))["Tags"] == {"k": "v"}


def test_markers_serve_only_their_own_list(backend: InProcess) -> None:
    first = lambda_client(backend, "111111111111")
    for name in ("m-a", "m-b"):
        first.create_function(
            FunctionName=name, Runtime="python3.13", Role=ROLE, Handler="index.handler",
            Code={"ZipFile": handler_zip()}, Publish=True,
        )  # fmt: skip
    page = first.list_functions(MaxItems=1)
    assert [f["FunctionName"] for f in page["Functions"]] == ["m-a"]
    marker = page["NextMarker"]
    assert [f["FunctionName"] for f in first.list_functions(Marker=marker)["Functions"]] == ["m-b"]
    refused = ("InvalidParameterValueException", "Invalid pagination marker.", 400)
    # Another account (a 12-digit access key id), another region, another list, another filter.
    assert _error(lambda_client(backend, "222222222222").list_functions, Marker=marker) == refused
    assert _error(lambda_client(backend, "111111111111", "eu-west-1").list_functions, Marker=marker) == refused
    assert _error(first.list_versions_by_function, FunctionName="m-a", Marker=marker) == refused
    assert _error(first.list_aliases, FunctionName="m-a", Marker=marker) == refused
    assert _error(first.list_layers, Marker=marker) == refused
    assert _error(first.list_functions, FunctionVersion="ALL", Marker=marker) == refused
    assert _error(first.list_functions, Marker="not a marker") == refused
    versions = first.list_versions_by_function(FunctionName="m-a", MaxItems=1)
    assert _error(first.list_versions_by_function, FunctionName="m-b", Marker=versions["NextMarker"]) == refused


def test_a_page_holds_at_most_fifty_items(backend: InProcess) -> None:
    lam = lambda_client(backend, "333333333333")
    lam.create_function(
        FunctionName="many", Runtime="python3.13", Role=ROLE, Handler="index.handler", Code={"ZipFile": handler_zip()}
    )
    for i in range(51):
        lam.create_alias(FunctionName="many", Name=f"a{i:02d}", FunctionVersion="$LATEST")
    page = lam.list_aliases(FunctionName="many", MaxItems=1000)
    assert len(page["Aliases"]) == 50 and page["Aliases"][-1]["Name"] == "a49"
    rest = lam.list_aliases(FunctionName="many", Marker=page["NextMarker"])
    assert [a["Name"] for a in rest["Aliases"]] == ["a50"] and "NextMarker" not in rest
    names = [a["Name"] for p in lam.get_paginator("list_aliases").paginate(FunctionName="many") for a in p["Aliases"]]
    assert names == [f"a{i:02d}" for i in range(51)]


def test_another_accounts_arns_are_refused(backend: InProcess) -> None:
    owner, other = lambda_client(backend, "444444444444"), lambda_client(backend, "555555555555")
    owner.create_function(
        FunctionName="owned", Runtime="python3.13", Role=ROLE, Handler="index.handler",
        Code={"ZipFile": handler_zip()}, Tags={"team": "a"}, Publish=True,
    )  # fmt: skip
    fn = "arn:aws:lambda:us-east-1:444444444444:function:owned"
    owner.create_alias(FunctionName="owned", Name="live", FunctionVersion="1")
    layer = owner.publish_layer_version(LayerName="owned", Content={"ZipFile": make_zip({"python/o.py": "O = 1\n"})})
    calls = [
        (other.get_function, {"FunctionName": fn}),
        (other.get_function_configuration, {"FunctionName": f"{fn}:live"}),
        (other.list_versions_by_function, {"FunctionName": fn}),
        (other.get_alias, {"FunctionName": fn, "Name": "live"}),
        (other.list_tags, {"Resource": fn}),
        (other.tag_resource, {"Resource": fn, "Tags": {"team": "b"}}),
        (other.update_function_configuration, {"FunctionName": fn, "Timeout": 9}),
        (other.delete_function, {"FunctionName": fn}),
        (other.get_layer_version_by_arn, {"Arn": layer["LayerVersionArn"]}),
    ]
    for call, params in calls:
        code, _, status = _error(call, **params)
        assert (code, status) == ("AccessDeniedException", 403), call
    assert owner.get_function(FunctionName="owned")["Tags"] == {"team": "a"}
    assert owner.get_function_configuration(FunctionName="owned")["Timeout"] == 3
    assert other.list_functions()["Functions"] == [] and other.list_layers()["Layers"] == []
