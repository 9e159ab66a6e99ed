"""Invoke's own path through the edge answers exactly as the generic, model-driven path does.

Each case is sent twice to the real server: once as the plain request the fast path takes, once
with the function name percent-encoded (`%65cho` is `echo`), which only the generic path decodes.
Status, headers (less the request id's value) and body must agree.
"""

from __future__ import annotations

import base64
import http.client
import json
import uuid
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.conftest import ClientFactory, RunningServer
from tests.functions.zips import handler_zip

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
HANDLER = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom")
    return {"echo": event, "version": context.function_version}
"""
SIGNED = "AWS4-HMAC-SHA256 Credential={key}/20261127/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"


@pytest.fixture(scope="module")
def function(aws: ClientFactory) -> str:
    lam = aws("lambda")
    name = f"fast{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
        Code={"ZipFile": handler_zip(HANDLER)}, Publish=True,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    return name


def _call(server: RunningServer, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    url = urlparse(server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _both(server: RunningServer, name: str, suffix: str, body: bytes, headers: dict[str, str]) -> tuple[Any, Any]:
    encoded = "%" + format(ord(name[0]), "02x") + name[1:]
    fast = _call(server, f"/2015-03-31/functions/{name}/invocations{suffix}", body, headers)
    generic = _call(server, f"/2015-03-31/functions/{encoded}/invocations{suffix}", body, headers)
    return fast, generic


def _comparable(answer: tuple[int, dict[str, str], bytes]) -> tuple[int, dict[str, str], bytes]:
    status, headers, body = answer
    headers = {k: v for k, v in headers.items() if k not in ("date", "server")}
    request_id = headers.pop("x-amzn-requestid")
    assert request_id
    return status, headers, body.replace(request_id.encode(), b"<request id>")


CASES = [
    pytest.param("", b'{"a": 1}', {}, id="plain"),
    pytest.param("", b"", {}, id="empty payload"),
    pytest.param("", b'{"fail": true}', {}, id="function error"),
    pytest.param("", b"{bad", {}, id="malformed json"),
    pytest.param("?Qualifier=1", b"{}", {}, id="version"),
    pytest.param("?Qualifier=live", b"{}", {}, id="alias"),
    pytest.param("?Qualifier=%24LATEST", b"{}", {}, id="$LATEST"),
    pytest.param("?Qualifier=nope", b"{}", {}, id="unknown alias"),
    pytest.param("", b"{}", {"X-Amz-Log-Type": "Bogus"}, id="bad log type"),
    pytest.param("", b"{}", {"X-Amz-Invocation-Type": "DryRun"}, id="dry run"),
]


@pytest.mark.parametrize(("suffix", "body", "headers"), CASES)
def test_fast_and_generic_paths_answer_alike(
    server: RunningServer, function: str, suffix: str, body: bytes, headers: dict[str, str]
) -> None:
    fast, generic = _both(server, function, suffix, body, headers)
    assert _comparable(fast) == _comparable(generic)


def test_an_unknown_function_is_answered_alike(server: RunningServer) -> None:
    fast, generic = _both(server, "nosuchfunction", "", b"{}", {})
    assert fast[0] == 404
    assert _comparable(fast) == _comparable(generic)


def test_the_signers_scope_picks_account_and_region(server: RunningServer, function: str) -> None:
    headers = {"Authorization": SIGNED.format(key="123456789012", region="eu-west-1", service="lambda")}
    fast, generic = _both(server, function, "", b"{}", headers)
    assert fast[0] == 404  # the function lives in 000000000000 / us-east-1
    assert b"arn:aws:lambda:eu-west-1:123456789012:function:" in fast[2]
    assert _comparable(fast) == _comparable(generic)


def test_log_tail_comes_back_on_both_paths(server: RunningServer, function: str) -> None:
    fast, generic = _both(server, function, "", b"{}", {"X-Amz-Log-Type": "Tail"})
    for status, headers, body in (fast, generic):
        assert status == 200
        assert json.loads(body)["echo"] == {}
        tail = base64.b64decode(headers["x-amz-log-result"]).decode()
        assert "START RequestId: " in tail and "REPORT RequestId: " in tail
