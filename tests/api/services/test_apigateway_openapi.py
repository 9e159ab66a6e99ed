"""ImportRestApi, PutRestApi and GetExport through boto3 against a real server, and an imported API
serving requests through the data plane."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import yaml
from botocore.exceptions import ClientError

from tests.conftest import RunningServer
from tests.functions.deployed import python_function

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def apigw(aws: Callable[..., Any]) -> Any:
    return aws("apigateway")


@pytest.fixture(scope="module")
def function_arn(aws: Callable[..., Any]) -> str:
    return python_function(aws("lambda"), "openapi-echo", ECHO)


def petstore(function_arn: str) -> dict[str, Any]:
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    proxy = {"type": "aws_proxy", "httpMethod": "POST", "uri": uri, "passthroughBehavior": "when_no_match"}
    return {
        "openapi": "3.0.1",
        "info": {"title": "PetStore", "version": "2024-01-01"},
        "paths": {
            "/pets": {
                "get": {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": proxy},
                "post": {
                    "responses": {"200": {"description": "ok"}},
                    "security": [{"api_key": []}],
                    "x-amazon-apigateway-integration": proxy,
                },
            },
            "/pets/{petId}": {
                "get": {
                    "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": proxy,
                }
            },
            "/health": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 200}'},
                        "responses": {
                            "default": {"statusCode": "200", "responseTemplates": {"application/json": '{"up": true}'}}
                        },
                    },
                }
            },
            "/{proxy+}": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": proxy}},
        },
        "components": {"securitySchemes": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}},
        "x-amazon-apigateway-gateway-responses": {
            "MISSING_AUTHENTICATION_TOKEN": {
                "statusCode": 404,
                "responseTemplates": {"application/json": '{"message": "no such route"}'},
            }
        },
    }


def error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def routes(apigw: Any, api_id: str) -> dict[str, Any]:
    """path+method -> (auth, api key, integration type/uri/method, integration responses) as GetResources shows."""
    out = {}
    for res in apigw.get_resources(restApiId=api_id, embed=["methods"])["items"]:
        for name, m in (res.get("resourceMethods") or {}).items():
            i = m.get("methodIntegration", {})
            out[f"{name} {res['path']}"] = (
                m["authorizationType"], m["apiKeyRequired"], i.get("type"), i.get("uri"), i.get("httpMethod"),
                i.get("integrationResponses"), i.get("requestTemplates"),
            )  # fmt: skip
    return out


def test_imported_petstore_serves_through_the_data_plane(apigw: Any, server: RunningServer, function_arn: str) -> None:
    imported = apigw.import_rest_api(body=json.dumps(petstore(function_arn)).encode())
    api_id = imported["id"]
    assert imported["name"] == "PetStore" and imported["version"] == "2024-01-01"
    assert "warnings" not in imported
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    base = f"{server.url}/_aws/execute-api/{api_id}/prod"
    with httpx.Client(timeout=30) as http:
        listing = http.get(f"{base}/pets?type=dog")
        assert listing.status_code == 200, listing.text
        event = listing.json()
        assert event["resource"] == "/pets" and event["queryStringParameters"] == {"type": "dog"}
        one = http.get(f"{base}/pets/7").json()
        assert one["resource"] == "/pets/{petId}" and one["pathParameters"] == {"petId": "7"}
        greedy = http.delete(f"{base}/a/b/c").json()
        assert greedy["resource"] == "/{proxy+}" and greedy["pathParameters"] == {"proxy": "a/b/c"}
        health = http.get(f"{base}/health")
        assert (health.status_code, health.json()) == (200, {"up": True})
        no_key = http.post(f"{base}/pets", content=b"{}")
        assert (no_key.status_code, no_key.json()) == (403, {"message": "Forbidden"})


def test_export_then_import_gives_the_same_routes(apigw: Any, function_arn: str) -> None:
    api_id = apigw.import_rest_api(body=json.dumps(petstore(function_arn)).encode())["id"]
    apigw.create_deployment(restApiId=api_id, stageName="v1")
    exported = apigw.get_export(
        restApiId=api_id, stageName="v1", exportType="oas30", parameters={"extensions": "apigateway"},
        accepts="application/yaml",
    )  # fmt: skip
    assert exported["contentDisposition"].startswith('attachment; filename="oas30_')
    assert exported["contentDisposition"].endswith('.yaml"')
    body = exported["body"].read()
    definition = yaml.safe_load(body)
    assert definition["servers"][0]["variables"]["basePath"]["default"] == "/v1"
    again = apigw.import_rest_api(body=body)["id"]
    assert routes(apigw, again) == routes(apigw, api_id)
    responses = apigw.get_gateway_response(restApiId=again, responseType="MISSING_AUTHENTICATION_TOKEN")
    assert responses["statusCode"] == "404"

    swagger = json.loads(apigw.get_export(restApiId=api_id, stageName="v1", exportType="swagger")["body"].read())
    assert swagger["swagger"] == "2.0" and swagger["basePath"] == "/v1"
    assert "x-amazon-apigateway-integration" not in swagger["paths"]["/pets"]["get"]
    assert error(apigw.get_export, restApiId=api_id, stageName="nope", exportType="oas30")[0] == "NotFoundException"


def test_put_rest_api_overwrite_and_merge(apigw: Any, function_arn: str) -> None:
    api_id = apigw.import_rest_api(body=json.dumps(petstore(function_arn)).encode())["id"]
    before = routes(apigw, api_id)
    extra = {"openapi": "3.0.1", "info": {"title": "PetStore"}, "paths": {"/extra": {"get": {"responses": {}}}}}
    merged = apigw.put_rest_api(restApiId=api_id, mode="merge", body=json.dumps(extra).encode())
    assert merged["id"] == api_id
    assert set(routes(apigw, api_id)) == {*before, "GET /extra"}
    apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(extra).encode())
    assert set(routes(apigw, api_id)) == {"GET /extra"}
    assert len(apigw.get_resources(restApiId=api_id)["items"]) == 2


def test_warnings_errors_and_nothing_half_applied(apigw: Any, function_arn: str) -> None:
    no_responses = {
        "openapi": "3.0.1", "info": {"title": "W"},
        "paths": {"/w": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}},
    }  # fmt: skip
    made = apigw.import_rest_api(body=yaml.safe_dump(no_responses).encode())
    assert made["warnings"] == ["Parse issue: attribute paths.'/w'(get).responses is missing"]
    count = len(apigw.get_rest_apis()["items"])
    code, message = error(apigw.import_rest_api, body=yaml.safe_dump(no_responses).encode(), failOnWarnings=True)
    assert code == "BadRequestException" and message.startswith("Warnings found during import:")
    bad = petstore(function_arn)
    bad["paths"]["/zzz"] = {"get": {"responses": {}, "x-amazon-apigateway-integration": {"type": "aws_proxy"}}}
    code, message = error(apigw.import_rest_api, body=json.dumps(bad).encode())
    assert code == "BadRequestException" and message.startswith("Errors found during import:\n\t")
    assert error(apigw.import_rest_api, body=b"this is: [not openapi") == (
        "BadRequestException",
        "Invalid OpenAPI input.",
    )
    assert len(apigw.get_rest_apis()["items"]) == count

    api_id = made["id"]
    before = routes(apigw, api_id)
    code, _ = error(apigw.put_rest_api, restApiId=api_id, mode="overwrite", body=json.dumps(bad).encode())
    assert code == "BadRequestException" and routes(apigw, api_id) == before
    assert error(apigw.put_rest_api, restApiId="nosuchapi0", body=json.dumps(no_responses).encode())[0] == (
        "NotFoundException"
    )


def test_import_parameters(apigw: Any) -> None:
    spec = {
        "swagger": "2.0", "info": {"title": "P"}, "basePath": "/api",
        "paths": {"/a": {"get": {"responses": {}}}},
    }  # fmt: skip
    made = apigw.import_rest_api(
        body=json.dumps(spec).encode(), parameters={"endpointConfigurationTypes": "REGIONAL", "basepath": "prepend"}
    )
    assert made["endpointConfiguration"]["types"] == ["REGIONAL"]
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=made["id"])["items"])
    assert paths == ["/", "/api", "/api/a"]


def http_api_spec(function_arn: str) -> dict[str, Any]:
    proxy = {"type": "aws_proxy", "httpMethod": "POST", "uri": function_arn, "payloadFormatVersion": "2.0"}
    return {
        "openapi": "3.0.1",
        "info": {"title": "HttpPets", "version": "1"},
        "paths": {
            "/pets/{id}": {"get": {"x-amazon-apigateway-integration": proxy}},
            "/secret": {"get": {"x-amazon-apigateway-integration": proxy, "security": [{"jwt": ["read"]}]}},
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
                }
            }
        },
        "x-amazon-apigateway-cors": {"allowOrigins": ["https://app.example"], "allowMethods": ["GET"]},
    }


def test_http_api_import_serves_exports_and_reimports(
    aws: Callable[..., Any], server: RunningServer, function_arn: str
) -> None:
    v2 = aws("apigatewayv2")
    made = v2.import_api(Body=json.dumps(http_api_spec(function_arn)))
    api_id = made["ApiId"]
    assert made["Name"] == "HttpPets" and made["CorsConfiguration"]["AllowOrigins"] == ["https://app.example"]
    keys = {r["RouteKey"]: r for r in v2.get_routes(ApiId=api_id)["Items"]}
    assert set(keys) == {"GET /pets/{id}", "GET /secret"}
    assert keys["GET /secret"]["AuthorizationType"] == "JWT" and keys["GET /secret"]["AuthorizationScopes"] == ["read"]
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    with httpx.Client(timeout=30) as http:
        event = http.get(f"{server.url}/_aws/execute-api/{api_id}/pets/9").json()
        assert event["routeKey"] == "GET /pets/{id}" and event["pathParameters"] == {"id": "9"}
        assert http.get(f"{server.url}/_aws/execute-api/{api_id}/secret").status_code == 401

    exported = v2.export_api(ApiId=api_id, Specification="OAS30", OutputType="YAML", StageName="$default")
    definition = yaml.safe_load(exported["body"].read())
    assert set(definition["paths"]) == {"/pets/{id}", "/secret"}
    again = v2.import_api(Body=yaml.safe_dump(definition))["ApiId"]

    def shape(api: str) -> dict[str, Any]:
        integrations = {i["IntegrationId"]: i for i in v2.get_integrations(ApiId=api)["Items"]}
        return {
            r["RouteKey"]: (
                r["AuthorizationType"],
                integrations[r["Target"].split("/")[1]]["IntegrationUri"],
                integrations[r["Target"].split("/")[1]]["PayloadFormatVersion"],
            )
            for r in v2.get_routes(ApiId=api)["Items"]
        }

    assert shape(again) == shape(api_id)

    smaller = http_api_spec(function_arn)
    del smaller["paths"]["/secret"], smaller["components"]
    reimported = v2.reimport_api(ApiId=api_id, Body=json.dumps(smaller))
    assert reimported["ApiId"] == api_id
    assert [r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"]] == ["GET /pets/{id}"]
    assert v2.get_authorizers(ApiId=api_id)["Items"] == []
    with httpx.Client(timeout=30) as http:  # the AutoDeploy stage serves the reimported definition
        assert http.get(f"{server.url}/_aws/execute-api/{api_id}/secret").status_code == 404

    bad = http_api_spec(function_arn)
    bad["paths"]["/x"] = {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}
    count = len(v2.get_apis()["Items"])
    code, message = error(v2.import_api, Body=json.dumps(bad))
    assert code == "BadRequestException" and message.startswith("Errors found during import:")
    code, _ = error(v2.reimport_api, ApiId=api_id, Body=json.dumps(bad))
    assert code == "BadRequestException" and len(v2.get_routes(ApiId=api_id)["Items"]) == 1
    assert len(v2.get_apis()["Items"]) == count


def validated(function_arn: str) -> dict[str, Any]:
    """The petstore with a Pet schema (naming an Owner schema), request validators and a validated POST."""
    spec = petstore(function_arn)
    post = spec["paths"]["/pets"]["post"]
    del post["security"]
    post["requestBody"] = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}
    post["x-amazon-apigateway-request-validator"] = "body"
    spec["paths"]["/pets"]["get"]["parameters"] = [{"name": "owner", "in": "query", "required": True}]
    spec["x-amazon-apigateway-request-validators"] = {
        "body": {"validateRequestBody": True, "validateRequestParameters": False},
        "params": {"validateRequestBody": False, "validateRequestParameters": True},
    }
    spec["x-amazon-apigateway-request-validator"] = "params"
    spec["components"]["schemas"] = {
        "Pet": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "owner": {"$ref": "#/components/schemas/Owner"}},
        },
        "Owner": {"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}},
    }
    return spec


def test_imported_models_and_validators_validate_requests(apigw: Any, server: RunningServer, function_arn: str) -> None:
    api_id = apigw.import_rest_api(body=json.dumps(validated(function_arn)).encode())["id"]
    found = {m["name"]: m for m in apigw.get_models(restApiId=api_id)["items"]}
    assert sorted(found) == ["Empty", "Error", "Owner", "Pet"]
    owner_ref = json.loads(found["Pet"]["schema"])["properties"]["owner"]["$ref"]
    assert owner_ref == f"https://apigateway.amazonaws.com/restapis/{api_id}/models/Owner"
    validators = {v["name"]: v for v in apigw.get_request_validators(restApiId=api_id)["items"]}
    assert (validators["body"]["validateRequestBody"], validators["body"]["validateRequestParameters"]) == (True, False)
    pets = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/pets")
    post = apigw.get_method(restApiId=api_id, resourceId=pets, httpMethod="POST")
    assert post["requestModels"] == {"application/json": "Pet"}
    assert post["requestValidatorId"] == validators["body"]["id"]
    get = apigw.get_method(restApiId=api_id, resourceId=pets, httpMethod="GET")
    assert get["requestValidatorId"] == validators["params"]["id"]  # the definition's default validator

    apigw.create_deployment(restApiId=api_id, stageName="prod")
    base = f"{server.url}/_aws/execute-api/{api_id}/prod"
    with httpx.Client(timeout=30) as http:
        bad = http.post(f"{base}/pets", json={"name": "Rex", "owner": {}})
        assert (bad.status_code, bad.json()) == (400, {"message": "Invalid request body"})
        good = http.post(f"{base}/pets", json={"name": "Rex", "owner": {"email": "a@b"}})
        assert good.status_code == 200 and json.loads(good.json()["body"])["name"] == "Rex"
        missing = http.get(f"{base}/pets")
        assert (missing.status_code, missing.json()) == (
            400,
            {"message": "Missing required request parameters: [owner]"},
        )
        assert http.get(f"{base}/pets?owner=ann").status_code == 200

    # Exported with its models and validators, and imported again: the same models, validators and methods.
    for export_type in ("oas30", "swagger"):
        body = apigw.get_export(
            restApiId=api_id, stageName="prod", exportType=export_type, parameters={"extensions": "apigateway"}
        )["body"].read()
        again = apigw.import_rest_api(body=body)["id"]
        schemas = {m["name"]: json.loads(m["schema"]) for m in apigw.get_models(restApiId=again)["items"]}
        owner = f"https://apigateway.amazonaws.com/restapis/{again}/models/Owner"
        assert schemas["Pet"]["properties"]["owner"] == {"$ref": owner}, export_type
        copied = {v["name"]: v for v in apigw.get_request_validators(restApiId=again)["items"]}
        assert {n: v["validateRequestBody"] for n, v in copied.items()} == {"body": True, "params": False}
        pets_again = next(r["id"] for r in apigw.get_resources(restApiId=again)["items"] if r["path"] == "/pets")
        post_again = apigw.get_method(restApiId=again, resourceId=pets_again, httpMethod="POST")
        assert post_again["requestModels"] == {"application/json": "Pet"}, export_type
        assert post_again["requestValidatorId"] == copied["body"]["id"]

    # Swagger 2.0: definitions and a body parameter; overwrite replaces the models and validators.
    swagger = {
        "swagger": "2.0",
        "info": {"title": "PetStore", "version": "2"},
        "consumes": ["application/json"],
        "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": True}},
        "paths": {
            "/cats": {
                "post": {
                    "x-amazon-apigateway-request-validator": "all",
                    "parameters": [{"in": "body", "name": "cat", "schema": {"$ref": "#/definitions/Cat"}}],
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{}"}},
                }
            }
        },
        "definitions": {"Cat": {"type": "object", "required": ["lives"]}},
    }
    apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(swagger).encode())
    assert sorted(m["name"] for m in apigw.get_models(restApiId=api_id)["items"]) == ["Cat", "Empty", "Error"]
    assert [v["name"] for v in apigw.get_request_validators(restApiId=api_id)["items"]] == ["all"]
    cats = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/cats")
    assert apigw.get_method(restApiId=api_id, resourceId=cats, httpMethod="POST")["requestModels"] == {
        "application/json": "Cat"
    }
    undefined = {**swagger, "x-amazon-apigateway-request-validators": {}}
    code, message = error(apigw.put_rest_api, restApiId=api_id, mode="overwrite", body=json.dumps(undefined).encode())
    assert code == "BadRequestException" and "request validator 'all' is not defined" in message
