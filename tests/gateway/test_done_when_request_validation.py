"""Issue 12, "Done when" (API Gateway): a model-validated REST method refuses a bad body with AWS's message and
passes a good one to its Lambda integration; missing required parameters are refused; with the validator's
checks off, the same requests pass. Through the real server, boto3 for the control plane and httpx for
execute-api. https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function
from tests.gateway.test_done_when_events import call

ECHO = """
import json

def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""
OWNER = {"type": "object", "required": ["email"], "properties": {"email": {"type": "string", "pattern": "@"}}}


def pet(api_id: str) -> dict[str, Any]:
    """A pet, whose owner is the Owner model, named by its canonical URL."""
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "age": {"type": "integer", "minimum": 0},
            "owner": {"$ref": f"https://apigateway.amazonaws.com/restapis/{api_id}/models/Owner"},
        },
        "additionalProperties": False,
    }


@pytest.fixture(scope="module")
def function_arn(aws: ClientFactory) -> str:
    return python_function(aws("lambda"), "rv-echo", ECHO)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


class Api:
    """A REST API whose POST /pets takes a Pet and GET /pets/{id} needs `owner` and `x-trace`, both checked
    by one validator, in front of the echo function."""

    def __init__(self, aws: ClientFactory, function_arn: str) -> None:
        self.apigw = apigw = aws("apigateway")
        made = apigw.create_rest_api(name="rv-pets")
        self.id = api_id = made["id"]
        uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
        apigw.create_model(restApiId=api_id, name="Owner", contentType="application/json", schema=json.dumps(OWNER))
        apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=json.dumps(pet(api_id)))
        self.validator = apigw.create_request_validator(
            restApiId=api_id, name="all", validateRequestBody=True, validateRequestParameters=True
        )["id"]
        pets = apigw.create_resource(restApiId=api_id, parentId=made["rootResourceId"], pathPart="pets")["id"]
        one = apigw.create_resource(restApiId=api_id, parentId=pets, pathPart="{id}")["id"]
        for resource, method, extra in (
            (pets, "POST", {"requestModels": {"application/json": "Pet"}}),
            (
                one,
                "GET",
                {
                    "requestParameters": {
                        "method.request.path.id": True,
                        "method.request.querystring.owner": True,
                        "method.request.header.x-trace": True,
                        "method.request.querystring.page": False,
                    }
                },
            ),
        ):
            apigw.put_method(
                restApiId=api_id, resourceId=resource, httpMethod=method, authorizationType="NONE",
                requestValidatorId=self.validator, **extra,
            )  # fmt: skip
            apigw.put_integration(
                restApiId=api_id, resourceId=resource, httpMethod=method, type="AWS_PROXY",
                integrationHttpMethod="POST", uri=uri,
            )  # fmt: skip
        self.deploy()

    def deploy(self) -> None:
        self.apigw.create_deployment(restApiId=self.id, stageName="prod")

    def switch(self, path: str, on: bool) -> None:
        self.apigw.update_request_validator(
            restApiId=self.id,
            requestValidatorId=self.validator,
            patchOperations=[{"op": "replace", "path": path, "value": str(on).lower()}],
        )
        self.deploy()


@pytest.fixture
def api(aws: ClientFactory, function_arn: str) -> Api:
    return Api(aws, function_arn)


def post(server: RunningServer, http: httpx.Client, api: Api, body: bytes, **headers: str) -> httpx.Response:
    return call(
        server,
        http,
        api.id,
        "POST",
        "/prod/pets",
        content=body,
        headers={"content-type": "application/json", **headers},
    )


def refused(answer: httpx.Response, message: str) -> None:
    assert (answer.status_code, answer.json()) == (400, {"message": message}), answer.text
    assert answer.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert answer.headers["content-type"] == "application/json"


def test_a_model_validated_method_refuses_a_bad_body_and_passes_a_good_one(
    server: RunningServer, http: httpx.Client, api: Api
) -> None:
    good = {"name": "Rex", "age": 3, "owner": {"email": "a@b.c"}}
    answer = post(server, http, api, json.dumps(good).encode())
    assert answer.status_code == 200, answer.text
    assert json.loads(answer.json()["body"]) == good  # the function got the body as sent
    for bad in (
        {"age": 3},  # no name
        {"name": "Rex", "age": -1},
        {"name": "Rex", "colour": "brown"},  # additionalProperties
        {"name": "Rex", "owner": {"email": "nobody"}},  # the referenced model's pattern
        [],
    ):
        refused(post(server, http, api, json.dumps(bad).encode()), "Invalid request body")
    refused(post(server, http, api, b"{not json"), "Invalid request body")
    refused(post(server, http, api, b""), "Invalid request body")  # empty: validated as {}, which lacks the name
    # No Content-Type is application/json; a type the method has no model for is not checked.
    no_type = call(server, http, api.id, "POST", "/prod/pets", content=b"{}")
    refused(no_type, "Invalid request body")
    plain = post(server, http, api, b"just text", **{"content-type": "text/plain"})
    assert plain.status_code == 200 and plain.json()["body"] == "just text"
    charset = post(server, http, api, b"{}", **{"content-type": "application/json; charset=utf-8"})
    refused(charset, "Invalid request body")


def test_missing_required_parameters_are_refused(server: RunningServer, http: httpx.Client, api: Api) -> None:
    def get(query: str, **headers: str) -> httpx.Response:
        return call(server, http, api.id, "GET", f"/prod/pets/7{query}", headers=headers)

    refused(get(""), "Missing required request parameters: [owner, x-trace]")
    refused(get("?owner=ann"), "Missing required request parameters: [x-trace]")
    refused(get("?owner=", **{"x-trace": "t"}), "Missing required request parameters: [owner]")  # blank
    refused(get("?owner=ann", **{"x-trace": ""}), "Missing required request parameters: [x-trace]")
    answer = get("?owner=ann", **{"X-Trace": "t"})  # `page` is not required
    assert answer.status_code == 200, answer.text
    event = answer.json()
    assert (event["pathParameters"], event["queryStringParameters"]) == ({"id": "7"}, {"owner": "ann"})


def test_with_the_validators_checks_off_the_same_requests_pass(
    server: RunningServer, http: httpx.Client, api: Api
) -> None:
    api.switch("/validateRequestBody", False)
    answer = post(server, http, api, b'{"colour": "brown"}')
    assert answer.status_code == 200 and json.loads(answer.json()["body"]) == {"colour": "brown"}
    refused(call(server, http, api.id, "GET", "/prod/pets/7"), "Missing required request parameters: [owner, x-trace]")
    api.switch("/validateRequestParameters", False)
    assert call(server, http, api.id, "GET", "/prod/pets/7").status_code == 200
    api.switch("/validateRequestBody", True)
    refused(post(server, http, api, b'{"colour": "brown"}'), "Invalid request body")
    # Without a validator, nothing is checked, models or not.
    where = {"restApiId": api.id, "resourceId": _resource(api, "/pets"), "httpMethod": "POST"}
    api.apigw.update_method(**where, patchOperations=[{"op": "remove", "path": "/requestValidatorId"}])
    api.deploy()
    assert post(server, http, api, b'{"colour": "brown"}').status_code == 200


def test_the_validation_gateway_responses_can_be_customised(
    server: RunningServer, http: httpx.Client, api: Api
) -> None:
    api.apigw.put_gateway_response(
        restApiId=api.id,
        responseType="BAD_REQUEST_BODY",
        statusCode="422",
        responseParameters={"gatewayresponse.header.x-why": "'schema'"},
        responseTemplates={
            "application/json": '{"error": "$context.error.message", "type": "$context.error.responseType", '
            '"details": "$context.error.validationErrorString"}'
        },
    )
    api.deploy()
    answer = post(server, http, api, b'{"age": 3}')
    assert (answer.status_code, answer.headers["x-why"]) == (422, "schema")
    found = answer.json()
    assert (found["error"], found["type"]) == ("Invalid request body", "BAD_REQUEST_BODY")
    assert "name" in found["details"] and found["details"].startswith("[")
    # BAD_REQUEST_PARAMETERS falls back on DEFAULT_4XX's customisation.
    api.apigw.put_gateway_response(restApiId=api.id, responseType="DEFAULT_4XX", statusCode="418")
    api.deploy()
    answer = call(server, http, api.id, "GET", "/prod/pets/7")
    missing = {"message": "Missing required request parameters: [owner, x-trace]"}
    assert (answer.status_code, answer.json()) == (418, missing)


def _resource(api: Api, path: str) -> str:
    return next(r["id"] for r in api.apigw.get_resources(restApiId=api.id)["items"] if r["path"] == path)


def test_the_default_model_validates_any_content_type(server: RunningServer, http: httpx.Client, api: Api) -> None:
    where = {"restApiId": api.id, "resourceId": _resource(api, "/pets"), "httpMethod": "POST"}
    api.apigw.update_method(
        **where,
        patchOperations=[
            {"op": "remove", "path": "/requestModels/application~1json"},
            {"op": "add", "path": "/requestModels/$default", "value": "Owner"},
        ],
    )
    api.deploy()
    for content_type in ("application/json", "text/plain", "application/x-anything"):
        refused(post(server, http, api, b'{"name": "Rex"}', **{"content-type": content_type}), "Invalid request body")
        answer = post(server, http, api, b'{"email": "a@b"}', **{"content-type": content_type})
        assert answer.status_code == 200, (content_type, answer.text)
