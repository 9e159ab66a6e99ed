"""HTTP API parameter mapping keys and values as the parameter mapping page writes them."""

from __future__ import annotations

import pytest

from overcast.apis.httpapi import mappings
from overcast.apis.httpapi.mappings import Source, Target


def test_request_keys() -> None:
    assert mappings.request_target("append:header.X-Id") == Target("append", "header", "X-Id")
    assert mappings.request_target("remove:querystring.q") == Target("remove", "querystring", "q")
    assert mappings.request_target("overwrite:path") == Target("overwrite", "path")
    for bad in ("append:path", "remove:path", "overwrite:statuscode", "append:header.", "prepend:header.x", "header.x"):
        assert mappings.request_target(bad) is None, bad


def test_response_keys() -> None:
    assert mappings.response_target("overwrite:statuscode") == Target("overwrite", "statuscode")
    assert mappings.response_target("remove:header.x") == Target("remove", "header", "x")
    assert mappings.response_target("append:querystring.x") is None
    assert mappings.response_target("overwrite:path") is None


def test_values_mix_static_text_and_expressions() -> None:
    assert mappings.value("static", response=False) == ("static",)
    assert mappings.value("$request.header.x-a", response=False) == (Source("header", "x-a"),)
    assert mappings.value("${request.path.id}/${context.requestId} ok", response=False) == (
        Source("pathparameter", "id"), "/", Source("context", "requestId"), " ok",
    )  # fmt: skip
    assert mappings.value("$request.path", response=False) == (Source("path"),)
    assert mappings.value("$request.body", response=False) == (Source("body"),)
    assert mappings.value("$request.body.a.b[0]", response=False) == (Source("body", "a.b[0]"),)
    assert mappings.value("${stageVariables.env}", response=True) == (Source("stageVariables", "env"),)
    assert mappings.value("$response.body.items[1].id", response=True) == (Source("responsebody", "items[1].id"),)


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("$response.header.x", False),  # a request value cannot read the response
        ("$request.header.x", True),  # nor a response value the request
        ("$request.body..name", False),  # recursive descent
        ("$request.body.items[?(@.a)]", False),  # filters
        ("${context.a-b}", False),  # context names take only . and _
        ("${stageVariables.a.b}", False),
        ("${nothing.here}", False),
    ],
)
def test_values_aws_does_not_take(text: str, response: bool) -> None:
    assert mappings.value(text, response=response) is None


def test_json_paths() -> None:
    assert mappings.json_path("") == ()
    assert mappings.json_path("a.b[2]['c d']") == ("a", "b", 2, "c d")
    assert mappings.json_path("a..b") is None


def test_reserved_headers() -> None:
    for name in ("Authorization", "Via", "x-amz-date", "X-Amzn-Trace-Id", "apigw-requestid",
                 "Access-Control-Allow-Origin", "Content-Length", "X-Forwarded-For"):  # fmt: skip
        assert mappings.is_reserved(name), name
    for name in ("x-custom", "x-forwarded-port", "content-type", "cache-control"):
        assert not mappings.is_reserved(name), name
