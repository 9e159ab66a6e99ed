"""Mapping templates: `$input`, `$util`, `$context` and `$stageVariables` as AWS documents them.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from overcast.gateway.templates import TemplateFailure, render

PARAMS = {
    "path": {"id": "7"},
    "querystring": {"q": "a b", "id": "query", "s": "it's \"q\"/\u00e9\n"},
    "header": {"x-trace": "t1"},
}


def run(template: str, body: bytes = b"", context: dict[str, Any] | None = None, **stage: str) -> str:
    return render(template, body, PARAMS, context if context is not None else {}, stage)


def test_input_json_path_body_and_params() -> None:
    body = b'{"pets": [{"name": "Rex"}, {"name": "Tom"}], "n": 2}'
    assert json.loads(run("$input.json('$.pets[0]')", body)) == {"name": "Rex"}
    assert json.loads(run("$input.json('$')", body)) == json.loads(body)
    assert run("$input.json('$')", b"") == "{}"  # an empty payload is an empty object
    assert run("#set($p = $input.path('$'))$p.pets.size() $p.pets[1].name $p.n", body) == "2 Tom 2"
    assert run("$input.body", b"raw text") == "raw text"
    # params(name): path first, then query string, then a header (any case)
    assert run("$input.params('id') $input.params('q') $input.params('X-Trace')") == "7 a b t1"
    assert run("$input.params().querystring.q|$input.params().header.get('x-trace')") == "a b|t1"


def test_util_functions() -> None:
    # Java's StringEscapeUtils: single quotes and slashes too, past ASCII as \uXXXX
    assert run("$util.escapeJavaScript($input.params('s'))") == "it\\'s \\\"q\\\"\\/\\u00E9\\n"
    assert run("$util.urlEncode('a b&c=d~*')") == "a+b%26c%3Dd%7E*"
    assert run("$util.urlDecode('a+b%26c')") == "a b&c"
    assert run("$util.base64Encode('hello')|$util.base64Decode('aGVsbG8=')") == "aGVsbG8=|hello"
    assert run("""#set($o = $util.parseJson('{"a": [1, 2]}'))$o.a[1]""") == "2"


def test_context_stage_variables_and_response_override() -> None:
    context: dict[str, Any] = {"stage": "prod", "identity": {"sourceIp": "1.2.3.4"}, "responseOverride": {"header": {}}}
    out = run(
        "$context.stage $context.identity.sourceIp $stageVariables.color"
        "#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Why = 'tea')",
        context=context,
        color="blue",
    )
    assert out == "prod 1.2.3.4 blue"
    assert context["responseOverride"] == {"status": 418, "header": {"X-Why": "tea"}}


def test_a_template_that_cannot_parse_fails_as_a_configuration_error() -> None:
    with pytest.raises(TemplateFailure) as raised:
        run("#foreach($x in)")
    assert raised.value.status == 500
