"""The artifact bucket `overcast deploy` uploads to: PUT and HEAD of /_overcast/artifacts/<sha256> over
HTTP (the digest checked, the request body limit kept), and Lambda's code read from it by
CreateFunction, UpdateFunctionCode and PublishLayerVersion (`S3Bucket: overcast-artifacts`)."""

from __future__ import annotations

import hashlib
import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer, start_server
from tests.functions.deployed import ROLE
from tests.functions.zips import handler_zip, make_zip

BUCKET = "overcast-artifacts"


def upload(url: str, data: bytes) -> str:
    """PUT `data` as an artifact; its key."""
    digest = hashlib.sha256(data).hexdigest()
    answer = httpx.put(f"{url}/_overcast/artifacts/{digest}", content=data)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"bucket": BUCKET, "key": f"{digest}.zip"}
    return f"{digest}.zip"


def test_an_artifact_is_stored_under_its_digest_and_found_by_head(server: RunningServer) -> None:
    data = handler_zip(f"def handler(event, context):\n    return {uuid.uuid4().hex!r}\n")
    digest = hashlib.sha256(data).hexdigest()
    path = f"{server.url}/_overcast/artifacts/{digest}"
    assert httpx.head(path).status_code == 404  # not yet: a deploy uploads it

    assert upload(server.url, data) == f"{digest}.zip"
    assert httpx.head(path).status_code == 200  # a second deploy skips the upload
    assert httpx.get(path).json() == {"bucket": BUCKET, "key": f"{digest}.zip"}
    assert (server.data_dir / "artifacts" / f"{digest}.zip").read_bytes() == data
    assert upload(server.url, data) == f"{digest}.zip"  # the same bytes again: still one file, same answer
    assert not [p for p in (server.data_dir / "artifacts").iterdir() if p.name.startswith(".upload-")]


def test_a_body_whose_digest_is_not_its_name_is_refused(server: RunningServer) -> None:
    data = handler_zip()
    wrong = hashlib.sha256(b"something else").hexdigest()
    answer = httpx.put(f"{server.url}/_overcast/artifacts/{wrong}", content=data)
    assert answer.status_code == 400
    assert answer.json() == {"error": f"the body's sha256 is {hashlib.sha256(data).hexdigest()}, not {wrong}"}
    assert httpx.head(f"{server.url}/_overcast/artifacts/{wrong}").status_code == 404

    for name in ("not-hex", wrong.upper(), wrong[:-1], "../" + wrong):
        refused = httpx.put(f"{server.url}/_overcast/artifacts/{name}", content=data)
        assert refused.status_code in (400, 404), name
    assert httpx.put(f"{server.url}/_overcast/code/{wrong}", content=data).status_code == 404  # PUT is for artifacts


@pytest.fixture(scope="module")
def small_server() -> Iterator[RunningServer]:
    """A server whose request body limit is 64 KiB."""
    with tempfile.TemporaryDirectory(prefix="overcast-test-") as tmp:
        config = Path(tmp) / "overcast.toml"
        config.write_text("max_request_bytes = 65536\n")
        running = start_server(Path(tmp) / "data", "--config", str(config))
        try:
            yield running
        finally:
            running.stop()


def test_an_artifact_larger_than_the_request_limit_is_refused(small_server: RunningServer) -> None:
    data = bytes(70_000)
    digest = hashlib.sha256(data).hexdigest()
    answer = httpx.put(f"{small_server.url}/_overcast/artifacts/{digest}", content=data)
    assert answer.status_code == 413
    assert answer.json()["error"] == "the body is larger than this Overcast's request limit of 65536 bytes"
    assert httpx.head(f"{small_server.url}/_overcast/artifacts/{digest}").status_code == 404
    fits = bytes(60_000)
    assert upload(small_server.url, fits) == f"{hashlib.sha256(fits).hexdigest()}.zip"


def test_a_function_runs_code_from_the_artifact_bucket(server: RunningServer, aws: ClientFactory) -> None:
    lam = aws("lambda")
    token = uuid.uuid4().hex
    key = upload(
        server.url, handler_zip(f"def handler(event, context):\n    return {{'from': 'artifact', 't': {token!r}}}\n")
    )
    name = f"artifact-{token[:8]}"
    made = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
        Code={"S3Bucket": BUCKET, "S3Key": key},
    )  # fmt: skip
    assert made["CodeSha256"]  # Lambda's base64 digest of the zip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    answer = lam.invoke(FunctionName=name, Payload=b"{}")
    assert json.loads(answer["Payload"].read()) == {"from": "artifact", "t": token}

    newer = upload(server.url, handler_zip("def handler(event, context):\n    return 'updated'\n"))
    lam.update_function_code(FunctionName=name, S3Bucket=BUCKET, S3Key=newer)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == "updated"


def test_a_missing_key_is_refused_as_lambda_refuses_a_missing_s3_key(aws: ClientFactory) -> None:
    lam = aws("lambda")
    with pytest.raises(ClientError) as caught:
        lam.create_function(
            FunctionName=f"missing-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=ROLE, Handler="index.handler",
            Code={"S3Bucket": BUCKET, "S3Key": f"{'0' * 64}.zip"},
        )  # fmt: skip
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"] == (
        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."
    )
    with pytest.raises(ClientError) as caught:
        lam.publish_layer_version(LayerName="missing", Content={"S3Bucket": BUCKET, "S3Key": "nothing-here.zip"})
    assert "NoSuchKey" in caught.value.response["Error"]["Message"]


def test_a_layer_is_published_from_the_artifact_bucket(server: RunningServer, aws: ClientFactory) -> None:
    lam = aws("lambda")
    key = upload(server.url, make_zip({"python/shared_value.py": "VALUE = 'from the layer'\n"}))
    layer = lam.publish_layer_version(
        LayerName=f"artifact-{uuid.uuid4().hex[:8]}", Content={"S3Bucket": BUCKET, "S3Key": key}
    )
    name = f"layered-{uuid.uuid4().hex[:8]}"
    body = "import shared_value\ndef handler(event, context):\n    return shared_value.VALUE\n"
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
        Code={"ZipFile": handler_zip(body)},
        Layers=[layer["LayerVersionArn"]],
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    assert json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()) == "from the layer"
