"""OpenAPI import (`openapi`) and export (`exports`) as pure conversions, on tables of definitions."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest
import yaml

from overcast.apis.restapi import definition, exports, openapi, snapshot
from overcast.apis.restapi.records import Definition, Method, Stage
from overcast.errors import BadRequest

FN = "arn:aws:lambda:us-east-1:000000000000:function:pets"
AUTH_FN = "arn:aws:lambda:us-east-1:000000000000:function:auth"
URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}/invocations"
AUTH_URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{AUTH_FN}/invocations"
PROXY = {"type": "aws_proxy", "httpMethod": "POST", "uri": URI, "passthroughBehavior": "when_no_match"}

PETSTORE: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "PetStore", "description": "pets", "version": "1.0"},
    "servers": [{"url": "https://example.com/{basePath}", "variables": {"basePath": {"default": "/v1"}}}],
    "paths": {
        "/pets": {
            "get": {
                "operationId": "ListPets",
                "parameters": [{"name": "type", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok", "headers": {"X-Count": {"schema": {"type": "string"}}}}},
                "security": [{"api_key": []}],
                "x-amazon-apigateway-integration": PROXY,
            },
            "post": {
                "responses": {"200": {"description": "ok"}},
                "security": [{"auth": []}],
                "x-amazon-apigateway-integration": PROXY,
            },
        },
        "/pets/{petId}": {
            "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": PROXY},
        },
        "/mock": {
            "get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": "{}"}}},
                },
            }
        },
        "/{proxy+}": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": PROXY}},
    },
    "components": {
        "securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            "auth": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {
                    "type": "token",
                    "authorizerUri": AUTH_URI,
                    "authorizerResultTtlInSeconds": 60,
                    "identityValidationExpression": "^Bearer .+$",
                },
            },
        }
    },
    "x-amazon-apigateway-api-key-source": "HEADER",
    "x-amazon-apigateway-binary-media-types": ["image/png"],
    "x-amazon-apigateway-gateway-responses": {
        "UNAUTHORIZED": {"statusCode": 401, "responseTemplates": {"application/json": '{"m":"no"}'}},
    },
}


STAGE = Stage(stage_name="prod", deployment_id="d1", created_date=0.0, last_updated_date=0.0)


def blank() -> Definition:
    made = definition.new_api({"name": "x"})
    return dataclasses.replace(made, api=dataclasses.replace(made.api, id="api1"))


def imported(spec: dict[str, Any], **kw: Any) -> tuple[Definition, list[str]]:
    return openapi.build(copy.deepcopy(spec), blank(), **kw)


def methods(d: Definition) -> dict[str, Method]:
    return {f"{name} {r.path}": m for r in d.resources.values() for name, m in r.resource_methods.items()}


def test_petstore_becomes_resources_methods_integrations_and_authorizers() -> None:
    d, warnings = imported(PETSTORE)
    assert warnings == []
    api = d.api
    assert (api.name, api.description, api.version) == ("PetStore", "pets", "1.0")
    assert api.binary_media_types == ("image/png",) and api.api_key_source == "HEADER"
    assert sorted(r.path for r in d.resources.values()) == ["/", "/mock", "/pets", "/pets/{petId}", "/{proxy+}"]
    found = methods(d)
    assert sorted(found) == ["ANY /{proxy+}", "GET /mock", "GET /pets", "GET /pets/{petId}", "POST /pets"]
    listing = found["GET /pets"]
    assert listing.api_key_required is True and listing.authorization_type == "NONE"
    assert listing.operation_name == "ListPets"
    assert listing.request_parameters == {"method.request.querystring.type": False}
    assert listing.method_responses is not None
    assert listing.method_responses["200"].response_parameters == {"method.response.header.X-Count": False}
    integration = listing.method_integration
    assert integration is not None
    assert (integration.type, integration.http_method, integration.uri) == ("AWS_PROXY", "POST", URI)
    assert integration.passthrough_behavior == "WHEN_NO_MATCH"
    assert found["GET /pets/{petId}"].request_parameters == {"method.request.path.petId": True}
    [authorizer] = d.authorizers.values()
    assert authorizer.name == "auth" and authorizer.type == "TOKEN"
    assert authorizer.identity_source == "method.request.header.Authorization"
    assert authorizer.authorizer_result_ttl_in_seconds == 60 and authorizer.auth_type == "custom"
    assert found["POST /pets"].authorization_type == "CUSTOM"
    assert found["POST /pets"].authorizer_id == authorizer.id
    mock = found["GET /mock"].method_integration
    assert mock is not None and mock.type == "MOCK" and mock.integration_responses is not None
    assert (mock.integration_responses["200"].status_code, mock.integration_responses["200"].response_templates) == (
        "200", {"application/json": "{}"},
    )  # fmt: skip
    assert d.gateway_responses["UNAUTHORIZED"].status_code == "401"
    snapshot.freeze(d)  # deployable as imported


def test_yaml_and_swagger_2_are_read() -> None:
    swagger = {
        "swagger": "2.0",
        "info": {"title": "S"},
        "basePath": "/api",
        "paths": {"/a": {"get": {"responses": {}, "x-amazon-apigateway-integration": PROXY}}},
        "securityDefinitions": {"k": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
        "security": [{"k": []}],
    }
    spec = openapi.parse(yaml.safe_dump(swagger).encode())
    d, _ = openapi.build(spec, blank())
    assert methods(d)["GET /a"].api_key_required is True  # global security applies


@pytest.mark.parametrize(
    ("mode", "paths"),
    [("ignore", ["/", "/a"]), ("prepend", ["/", "/api", "/api/v1", "/api/v1/a"]), ("split", ["/", "/v1", "/v1/a"])],
)
def test_basepath_modes(mode: str, paths: list[str]) -> None:
    spec = {
        "swagger": "2.0",
        "info": {"title": "S"},
        "basePath": "/api/v1",
        "paths": {"/a": {"get": {"responses": {}}}},
    }
    d, _ = openapi.build(spec, blank(), parameters={"basepath": mode})
    assert sorted(r.path for r in d.resources.values()) == paths


def test_base_path_from_servers() -> None:
    assert openapi.base_path(PETSTORE) == "/v1"
    assert openapi.base_path({"openapi": "3.0.0", "servers": [{"url": "https://h.example/stage/x"}]}) == "/stage/x"
    assert openapi.base_path({"openapi": "3.0.0"}) == "/"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json: [", "Invalid OpenAPI input."),
        (b"[1, 2]", "Invalid OpenAPI input."),
        (b'{"openapi": "3.1.0", "info": {"title": "x"}, "paths": {}}', "Invalid OpenAPI input"),
        (b'{"info": {"title": "x"}, "paths": {}}', "Invalid OpenAPI input"),
    ],
)
def test_unreadable_bodies(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        openapi.parse(body)
    assert raised.value.message.startswith(message)


def _with(path_item: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"/p": path_item}, **top}


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"openapi": "3.0.1", "paths": {}}, "Invalid REST API name"),
        ({"openapi": "3.0.1", "info": {"title": "t"}}, "attribute paths is missing"),
        (_with({"get": {"responses": {}, "x-amazon-apigateway-integration": {"type": "bogus"}}}),
         "Unable to put integration on 'GET /p': Invalid integration type"),
        (_with({"get": {"responses": {}, "x-amazon-apigateway-integration": {**PROXY, "uri": "nope"}}}),
         "Unable to put integration on 'GET /p': Invalid ARN specified in the request"),
        (_with({"get": {"responses": {}, "x-amazon-apigateway-integration": {**PROXY, "timeoutInMillis": 40000}}}),
         "Timeout should be between 50 ms and 29000 ms"),
        (_with({"get": {"responses": {}, "security": [{"missing": []}]}}), "security scheme 'missing' is not defined"),
        ({"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"/a/{x+}/b": {"get": {"responses": {}}}}},
         "Unable to create resource at path '/a/{x+}/b'"),
        ({"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"/a b": {"get": {"responses": {}}}}},
         "Unable to create resource at path '/a b'"),
        (_with({"get": {"responses": {}}}, **{"x-amazon-apigateway-gateway-responses": {"NOPE": {}}}),
         "Unable to put gateway response 'NOPE'"),
        (_with({"get": {"responses": {}}}, components={"securitySchemes": {"a": {
            "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": "bad"}}}}),
         "Unable to create authorizer 'a': Invalid Authorizer URI"),
        (_with({"get": {"responses": {}}}, **{"x-amazon-apigateway-api-key-source": "COOKIE"}),
         "Invalid API key source"),
    ],
)  # fmt: skip
def test_invalid_definitions_are_errors(spec: dict[str, Any], fragment: str) -> None:
    before = blank()
    kept = copy.deepcopy(before)
    with pytest.raises(BadRequest) as raised:
        openapi.build(spec, before)
    assert raised.value.message.startswith("Errors found during import:\n\t") or "Invalid" in raised.value.message
    assert fragment in raised.value.message
    assert before == kept  # build never changes its input


def test_warnings_and_fail_on_warnings() -> None:
    spec = _with({"get": {"x-amazon-apigateway-integration": PROXY}, "trace": {"responses": {}}})
    d, warnings = openapi.build(spec, blank())
    assert warnings == [
        "Parse issue: attribute paths.'/p'(get).responses is missing",
        "Unsupported HTTP method 'TRACE' ignored on path '/p'",
    ]
    assert "GET /p" in methods(d)
    with pytest.raises(BadRequest) as raised:
        openapi.build(spec, blank(), fail_on_warnings=True)
    assert raised.value.message.startswith("Warnings found during import:\n\tParse issue")


def test_request_authorizer_sigv4_and_cognito_scopes() -> None:
    request = {
        "type": "request",
        "authorizerUri": AUTH_URI,
        "identitySource": "method.request.header.A, method.request.querystring.b",
        "authorizerResultTtlInSeconds": 0,
    }
    pool = {"type": "cognito_user_pools", "providerARNs": ["arn:aws:cognito-idp:us-east-1:0:userpool/x"]}
    header = {"type": "apiKey", "name": "Authorization", "in": "header"}
    schemes = {
        "req": {**header, "x-amazon-apigateway-authtype": "custom", "x-amazon-apigateway-authorizer": request},
        "pool": {**header, "x-amazon-apigateway-authorizer": pool},
        "sigv4": {**header, "x-amazon-apigateway-authtype": "awsSigv4"},
    }
    spec = {
        "openapi": "3.0.1",
        "info": {"title": "t"},
        "components": {"securitySchemes": schemes},
        "paths": {
            "/r": {"get": {"responses": {}, "security": [{"req": []}]}},
            "/c": {"get": {"responses": {}, "security": [{"pool": ["email"]}]}},
            "/i": {"get": {"responses": {}, "security": [{"sigv4": []}]}},
        },
    }
    d, _ = openapi.build(spec, blank())
    found = methods(d)
    by_name = {a.name: a for a in d.authorizers.values()}
    assert by_name["req"].type == "REQUEST" and by_name["req"].authorizer_result_ttl_in_seconds == 0
    assert found["GET /r"].authorizer_id == by_name["req"].id
    assert found["GET /c"].authorization_type == "COGNITO_USER_POOLS"
    assert found["GET /c"].authorization_scopes == ("email",)
    assert found["GET /i"].authorization_type == "AWS_IAM"


def test_overwrite_replaces_and_merge_adds() -> None:
    d, _ = imported(PETSTORE)
    d = dataclasses.replace(d, stages={"prod": STAGE})
    other = {"openapi": "3.0.1", "info": {"title": "Other"}, "paths": {"/new": {"get": {"responses": {}}}}}
    over, _ = openapi.build(other, d, mode="overwrite")
    assert sorted(methods(over)) == ["GET /new"] and over.authorizers == {}
    assert over.api.root_resource_id == d.api.root_resource_id and "prod" in over.stages
    assert over.api.name == "Other" and over.api.binary_media_types is None
    merged, _ = openapi.build(other, d, mode="merge")
    assert sorted(methods(merged)) == sorted([*methods(d), "GET /new"])
    assert merged.authorizers == d.authorizers
    again, _ = openapi.build(PETSTORE, d, mode="merge")  # the same definition merged in: same methods
    assert sorted(methods(again)) == sorted(methods(d))
    assert [a.id for a in again.authorizers.values()] == [a.id for a in d.authorizers.values()]
    with pytest.raises(BadRequest):
        openapi.build(other, d, mode="replace")


def test_endpoint_configuration_types_parameter() -> None:
    d, _ = imported(PETSTORE, parameters={"endpointConfigurationTypes": "REGIONAL"})
    assert d.api.endpoint_configuration.types == ("REGIONAL",)
    with pytest.raises(BadRequest):
        imported(PETSTORE, parameters={"endpointConfigurationTypes": "MOON"})
    with pytest.raises(BadRequest):
        imported(PETSTORE, parameters={"basepath": "sideways"})


def export_of(d: Definition, export_type: str, wanted: str) -> dict[str, Any]:
    return exports.export(
        d.api, STAGE, snapshot.freeze(d), 0.0, "us-east-1", export_type, exports.extensions({"extensions": wanted}),
    )  # fmt: skip


def shape(d: Definition) -> dict[str, Any]:
    """What a round trip must keep: each method's auth, parameters, responses and integration."""
    out = {}
    names = {a.id: a.name for a in d.authorizers.values()}
    for key, m in methods(d).items():
        i = m.method_integration
        out[key] = {
            "auth": (m.authorization_type, names.get(m.authorizer_id or ""), m.api_key_required),
            "parameters": m.request_parameters,
            "responses": m.method_responses,
            "integration": dataclasses.replace(i, cache_namespace=None) if i is not None else None,
        }
    return out


@pytest.mark.parametrize("export_type", ["oas30", "swagger"])
def test_export_then_import_gives_the_same_api(export_type: str) -> None:
    d, _ = imported(PETSTORE)
    out = export_of(d, export_type, "apigateway")
    if export_type == "oas30":
        assert out["servers"][0]["variables"]["basePath"]["default"] == "/prod"
        assert out["servers"][0]["url"] == "https://api1.execute-api.us-east-1.amazonaws.com/{basePath}"
    else:
        assert (out["host"], out["basePath"]) == ("api1.execute-api.us-east-1.amazonaws.com", "/prod")
    assert out["x-amazon-apigateway-binary-media-types"] == ["image/png"]
    again, warnings = openapi.build(json.loads(json.dumps(out)), blank())
    assert warnings == []
    assert shape(again) == shape(d)
    assert [(a.name, a.type, a.authorizer_uri, a.identity_source) for a in again.authorizers.values()] == [
        (a.name, a.type, a.authorizer_uri, a.identity_source) for a in d.authorizers.values()
    ]
    assert again.gateway_responses["UNAUTHORIZED"].status_code == "401"


def test_export_extensions_are_opt_in() -> None:
    d, _ = imported(PETSTORE)
    plain = json.dumps(export_of(d, "oas30", ""))
    assert "x-amazon-apigateway" not in plain.replace("x-amazon-apigateway-any-method", "").replace(
        "x-amazon-apigateway-authtype", ""
    )
    integrations = export_of(d, "oas30", "integrations")
    assert "x-amazon-apigateway-integration" in integrations["paths"]["/pets"]["get"]
    assert "x-amazon-apigateway-authorizer" not in integrations["components"]["securitySchemes"]["auth"]
    authorizers = export_of(d, "oas30", "authorizers")
    assert authorizers["components"]["securitySchemes"]["auth"]["x-amazon-apigateway-authorizer"]["type"] == "token"
    assert "x-amazon-apigateway-integration" not in authorizers["paths"]["/pets"]["get"]
    with pytest.raises(BadRequest):
        exports.extensions({"extensions": "everything"})
    with pytest.raises(BadRequest):
        export_of(d, "raml", "")


def test_render_json_and_yaml() -> None:
    body, suffix = exports.render({"a": 1}, None)
    assert (json.loads(body), suffix) == ({"a": 1}, "json")
    body, suffix = exports.render({"a": 1}, "application/yaml")
    assert (yaml.safe_load(body), suffix) == ({"a": 1}, "yaml")
    with pytest.raises(BadRequest):
        exports.render({}, "text/html")
