"""Bad input to Lambda through the real server: each gets a precise AWS error and changes nothing."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import zipfile
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer

ROLE = "arn:aws:iam::000000000000:role/r"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


GOOD_ZIP = _zip({"app.py": b"def handler(e, c):\n    return e\n"})


def _names(aws: ClientFactory) -> set[str]:
    return {f["FunctionName"] for f in aws("lambda").list_functions(FunctionVersion="ALL")["Functions"]}


def _error(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return dict(caught.value.response)


def _create(name: str, **changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": GOOD_ZIP},
    }
    params.update(changes)
    return params


def test_malformed_json_body(server: RunningServer, aws: ClientFactory) -> None:
    before = _names(aws)
    request = urllib.request.Request(
        server.url + "/2015-03-31/functions",
        data=b'{"FunctionName": "broken", ',
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    body = json.loads(caught.value.read())
    assert caught.value.headers["x-amzn-ErrorType"].split(":")[0] in (
        "InvalidRequestContentException",
        "SerializationException",
    )
    assert body.get("message") or body.get("Message")
    assert _names(aws) == before


def test_wrong_type(aws: ClientFactory) -> None:
    lam = aws("lambda", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    response = _error(lam.create_function, **_create("wrong-type", MemorySize="lots"))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] in ("SerializationException", "InvalidRequestContentException")
    assert "wrong-type" not in _names(aws)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Timeout": 901}, "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than"),
        ({"MemorySize": 64}, "Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater"),
        ({"MemorySize": 12000}, "Member must have value less than or equal to 10240"),
    ],
)
def test_out_of_range(aws: ClientFactory, change: dict[str, int], message: str) -> None:
    lam = aws("lambda", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    response = _error(lam.create_function, **_create("out-of-range", **change))
    assert response["Error"]["Code"] == "ValidationException"
    assert message in response["Error"]["Message"]
    assert "out-of-range" not in _names(aws)


def test_unknown_operation_route(server: RunningServer) -> None:
    request = urllib.request.Request(server.url + "/2015-03-31/no-such-thing", method="GET")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code in (400, 404)
    assert "UnknownOperation" in caught.value.headers.get("x-amzn-ErrorType", "")


def test_oversize_zip(aws: ClientFactory) -> None:
    import os

    big = _zip({"app.py": b"x = 1\n", "blob.bin": os.urandom(51 * 1024 * 1024)})
    response = _error(aws("lambda").create_function, **_create("too-big", Code={"ZipFile": big}))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert response["Error"]["Code"] == "RequestEntityTooLargeException"
    assert "too-big" not in _names(aws)


@pytest.mark.parametrize(
    "hostile",
    [
        _zip({"../escape.py": b"x"}),
        _zip({"/etc/evil.py": b"x"}),
        b"PK\x03\x04 this is not a zip at all",
        _zip({"bomb.bin": b"\0" * (300 * 1024 * 1024)}),
    ],
    ids=["traversal", "absolute", "corrupt", "bomb"],
)
def test_hostile_zip(aws: ClientFactory, hostile: bytes) -> None:
    response = _error(aws("lambda").create_function, **_create("hostile", Code={"ZipFile": hostile}))
    assert response["Error"]["Code"] == "InvalidParameterValueException"
    assert response["Error"]["Message"]
    assert "hostile" not in _names(aws)


def test_bad_update_changes_nothing(aws: ClientFactory) -> None:
    lam = aws("lambda")
    lam.create_function(**_create("stable", Environment={"Variables": {"AB": "1"}}))
    before = lam.get_function_configuration(FunctionName="stable")
    _error(lam.update_function_configuration, FunctionName="stable", Environment={"Variables": {"AB": "x" * 5000}})
    _error(lam.update_function_code, FunctionName="stable", ZipFile=_zip({"../x": b"y"}))
    after = lam.get_function_configuration(FunctionName="stable")
    assert after["Environment"] == before["Environment"]
    assert after["CodeSha256"] == before["CodeSha256"]
    assert after["RevisionId"] == before["RevisionId"]
    lam.delete_function(FunctionName="stable")
