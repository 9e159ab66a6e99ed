"""HTTP API OpenAPI import (`build`) and export (`export`) as pure conversions."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi.openapi import Definition, build, export
from overcast.errors import AwsError

FN = "arn:aws:lambda:us-east-1:000000000000:function:pets"
AUTH_FN = "arn:aws:lambda:us-east-1:000000000000:function:auth"
LAMBDA = {"type": "aws_proxy", "httpMethod": "POST", "uri": FN, "payloadFormatVersion": "2.0"}

SPEC: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "Pets", "version": "1"},
    "paths": {
        "/pets": {
            "get": {"x-amazon-apigateway-integration": LAMBDA, "security": [{"jwt": ["pets:read"]}]},
            "post": {
                "x-amazon-apigateway-integration": {**LAMBDA, "payloadFormatVersion": "1.0"},
                "security": [{"lambda": []}],
            },
        },
        "/pets/{id}": {"get": {"x-amazon-apigateway-integration": LAMBDA}},
        "/web/{proxy+}": {
            "x-amazon-apigateway-any-method": {
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy",
                    "httpMethod": "ANY",
                    "uri": "https://example.com/{proxy}",
                },
            }
        },
        "$default": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": LAMBDA}},
    },
    "components": {
        "securitySchemes": {
            "jwt": {
                "type": "oauth2",
                "flows": {},
                "x-amazon-apigateway-authorizer": {
                    "type": "jwt",
                    "identitySource": "$request.header.Authorization",
                    "jwtConfiguration": {"issuer": "https://issuer.example", "audience": ["pets"]},
                },
            },
            "lambda": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authorizer": {
                    "type": "request",
                    "identitySource": "$request.header.Authorization",
                    "authorizerUri": AUTH_FN,
                    "authorizerPayloadFormatVersion": "2.0",
                    "enableSimpleResponses": True,
                    "authorizerResultTtlInSeconds": 60,
                },
            },
        }
    },
    "x-amazon-apigateway-cors": {"allowOrigins": ["https://app.example"], "allowMethods": ["GET"], "maxAge": 300},
}


def ids() -> Any:
    counter = itertools.count(1)
    return lambda: f"id{next(counter):04d}"


def routes(d: Definition) -> dict[str, tuple[Any, ...]]:
    integrations = {i.integration_id: i for i in d.integrations}
    authorizers = {a.authorizer_id: a for a in d.authorizers}
    out = {}
    for r in d.routes:
        i = integrations.get(r.integration_id or "")
        a = authorizers.get(r.authorizer_id or "")
        out[r.route_key] = (
            r.authorization_type, a.name if a else None, r.authorization_scopes,
            (i.integration_type, i.integration_uri, i.integration_method, i.payload_format_version) if i else None,
        )  # fmt: skip
    return out


def test_import_makes_routes_integrations_authorizers_and_cors() -> None:
    d = build(copy.deepcopy(SPEC), ids())
    assert (d.name, d.version, d.warnings) == ("Pets", "1", ())
    assert routes(d) == {
        "$default": ("NONE", None, None, ("AWS_PROXY", FN, "POST", "2.0")),
        "ANY /web/{proxy+}": ("NONE", None, None, ("HTTP_PROXY", "https://example.com/{proxy}", "ANY", "1.0")),
        "GET /pets": ("JWT", "jwt", ("pets:read",), ("AWS_PROXY", FN, "POST", "2.0")),
        "GET /pets/{id}": ("NONE", None, None, ("AWS_PROXY", FN, "POST", "2.0")),
        "POST /pets": ("CUSTOM", "lambda", None, ("AWS_PROXY", FN, "POST", "1.0")),
    }
    jwt = next(a for a in d.authorizers if a.name == "jwt")
    assert (jwt.authorizer_type, jwt.jwt_issuer, jwt.jwt_audience) == ("JWT", "https://issuer.example", ("pets",))
    assert jwt.identity_source == ("$request.header.Authorization",)
    request = next(a for a in d.authorizers if a.name == "lambda")
    assert (request.authorizer_uri, request.enable_simple_responses, request.result_ttl_seconds) == (AUTH_FN, True, 60)
    assert d.cors == rec.CorsConfig(allow_origins=("https://app.example",), allow_methods=("GET",), max_age=300)


def test_export_then_import_is_the_same_api() -> None:
    d = build(copy.deepcopy(SPEC), ids())
    api = rec.Api("abc123", "000000000000", "us-east-1", d.name, 0.0, version=d.version, cors=d.cors)
    out = export(api, d.routes, d.integrations, d.authorizers, d.cors, stage="prod")
    assert out["servers"][0]["url"] == "https://abc123.execute-api.us-east-1.amazonaws.com/{basePath}"
    assert out["servers"][0]["variables"]["basePath"]["default"] == "prod"
    assert out["x-amazon-apigateway-importexport-version"] == "1.0"
    again = build(out, ids())
    assert routes(again) == routes(d) and again.cors == d.cors
    plain = export(api, d.routes, d.integrations, d.authorizers, d.cors, stage=None, include_extensions=False)
    assert "x-amazon-apigateway-integration" not in plain["paths"]["/pets"]["get"]
    assert "x-amazon-apigateway-cors" not in plain
    assert plain["servers"][0]["variables"]["basePath"]["default"] == ""


def _spec(**paths: Any) -> dict[str, Any]:
    return {"openapi": "3.0.1", "info": {"title": "t"}, "paths": paths}


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"openapi": "3.0.1", "paths": {}}, "info.title is missing"),
        ({"openapi": "3.0.1", "info": {"title": "t"}}, "attribute paths is missing"),
        ({"swagger": "2.0", "info": {"title": "t"}, "paths": {}}, "OpenAPI 3.0 definitions only"),
        (_spec(**{"/a": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}}),
         "Unable to create integration for route 'GET /a': Integration type MOCK is not supported"),
        (_spec(**{"/a": {"get": {"x-amazon-apigateway-integration": {**LAMBDA, "payloadFormatVersion": "3.0"}}}}),
         "PayloadFormatVersion must be 1.0 or 2.0"),
        ({**_spec(), "components": {"securitySchemes": {"j": {"x-amazon-apigateway-authorizer": {"type": "jwt"}}}}},
         "Unable to create authorizer 'j'"),
        ({**_spec(), "x-amazon-apigateway-cors": {"maxAge": 999999}}, "Unable to set CORS configuration"),
    ],
)  # fmt: skip
def test_invalid_definitions(spec: dict[str, Any], fragment: str) -> None:
    with pytest.raises(AwsError) as raised:
        build(spec, ids())
    assert raised.value.code == "BadRequestException" and fragment in raised.value.message


def test_basepath_and_warnings() -> None:
    spec = {**_spec(**{"/a": {"get": {}}}), "servers": [{"url": "https://h.example/v1"}]}
    d = build(spec, ids(), {"basepath": "prepend"})
    assert [r.route_key for r in d.routes] == ["GET /v1/a"]
    assert d.warnings == ("No x-amazon-apigateway-integration on route 'GET /v1/a'; the route has no target",)
