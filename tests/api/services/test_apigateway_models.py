"""apigateway models and request validators through boto3 against a real server: their lifecycles, the
methods that name them, and AWS's errors (a schema that is not JSON Schema draft 4, unknown ids, a
duplicate name, one still in use), with bad input changing nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.api.services.test_apigateway import error, new_api

PET = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
}


@pytest.fixture(scope="module")
def apigw(aws: Callable[..., Any]) -> Any:
    return aws("apigateway")


def _pet(apigw: Any, api_id: str, name: str = "Pet", schema: Any = PET) -> dict[str, Any]:
    made: dict[str, Any] = apigw.create_model(
        restApiId=api_id, name=name, contentType="application/json", schema=json.dumps(schema), description="a pet"
    )
    return made


def test_a_new_api_has_the_empty_and_error_models(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    found = {m["name"]: m for m in apigw.get_models(restApiId=api_id)["items"]}
    assert sorted(found) == ["Empty", "Error"]
    assert found["Empty"]["contentType"] == "application/json"
    assert json.loads(found["Empty"]["schema"])["title"] == "Empty Schema"
    assert json.loads(found["Error"]["schema"])["properties"] == {"message": {"type": "string"}}


def test_model_lifecycle(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    made = _pet(apigw, api_id)
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (made["name"], made["contentType"], made["description"]) == ("Pet", "application/json", "a pet")
    assert json.loads(made["schema"]) == PET and made["id"]
    got = apigw.get_model(restApiId=api_id, modelName="Pet")
    assert {k: got[k] for k in ("id", "name", "schema")} == {k: made[k] for k in ("id", "name", "schema")}

    narrower = {**PET, "required": ["name", "age"]}
    updated = apigw.update_model(
        restApiId=api_id,
        modelName="Pet",
        patchOperations=[
            {"op": "replace", "path": "/schema", "value": json.dumps(narrower)},
            {"op": "replace", "path": "/description", "value": "a real pet"},
        ],
    )
    assert json.loads(updated["schema"])["required"] == ["name", "age"] and updated["description"] == "a real pet"
    page = apigw.get_models(restApiId=api_id, limit=2)
    rest = apigw.get_models(restApiId=api_id, limit=2, position=page["position"])
    assert sorted(m["name"] for m in page["items"] + rest["items"]) == ["Empty", "Error", "Pet"]

    apigw.delete_model(restApiId=api_id, modelName="Pet")
    assert error(apigw.get_model, restApiId=api_id, modelName="Pet") == (
        "NotFoundException",
        "Invalid model name specified: Pet",
        404,
    )


def test_model_errors(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    _pet(apigw, api_id)
    code, message, status = error(
        apigw.create_model, restApiId=api_id, name="Pet", contentType="application/json", schema="{}"
    )
    assert (code, message, status) == ("ConflictException", "Model name already exists for this REST API", 409)
    invalid = "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified"
    for schema in ("{not json", '{"type": "no-such-type"}', '{"required": []}', "[1]"):
        code, message, _ = error(
            apigw.create_model, restApiId=api_id, name="Bad", contentType="application/json", schema=schema
        )
        assert code == "BadRequestException" and message.startswith(invalid), (schema, message)
    code, message, _ = error(
        apigw.create_model, restApiId=api_id, name="Bad", contentType="application/json",
        schema=json.dumps({"$ref": "http://example.com/pet.json"}),
    )  # fmt: skip
    assert "Model reference must be in canonical form" in message
    assert error(apigw.create_model, restApiId=api_id, name="not-alnum", contentType="application/json")[0] == (
        "BadRequestException"
    )
    bad_patch = [{"op": "replace", "path": "/schema", "value": '{"type": 7}'}]
    code, _, _ = error(apigw.update_model, restApiId=api_id, modelName="Pet", patchOperations=bad_patch)
    assert code == "BadRequestException"
    assert json.loads(apigw.get_model(restApiId=api_id, modelName="Pet")["schema"]) == PET  # unchanged
    code, _, _ = error(
        apigw.update_model, restApiId=api_id, modelName="Pet",
        patchOperations=[{"op": "replace", "path": "/name", "value": "Cat"}],
    )  # fmt: skip
    assert code == "BadRequestException"
    assert error(apigw.delete_model, restApiId=api_id, modelName="Nope")[:2] == (
        "NotFoundException",
        "Invalid model name specified: Nope",
    )
    assert sorted(m["name"] for m in apigw.get_models(restApiId=api_id)["items"]) == ["Empty", "Error", "Pet"]


def test_a_model_references_another_by_its_canonical_url(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    _pet(apigw, api_id)
    ref = f"https://apigateway.amazonaws.com/restapis/{api_id}/models/Pet"
    _pet(apigw, api_id, "Pets", {"type": "array", "items": {"$ref": ref}})
    code, message, _ = error(apigw.delete_model, restApiId=api_id, modelName="Pet")
    assert (code, message) == ("ConflictException", "Cannot delete model 'Pet', is referenced in model: Pets")
    missing = f"https://apigateway.amazonaws.com/restapis/{api_id}/models/Cat"
    code, _, _ = error(
        apigw.create_model, restApiId=api_id, name="Cats", contentType="application/json",
        schema=json.dumps({"type": "array", "items": {"$ref": missing}}),
    )  # fmt: skip
    assert code == "BadRequestException"


def test_request_validator_lifecycle(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    made = apigw.create_request_validator(restApiId=api_id, name="body", validateRequestBody=True)
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (made["name"], made["validateRequestBody"], made["validateRequestParameters"]) == ("body", True, False)
    validator_id = made["id"]
    assert apigw.get_request_validator(restApiId=api_id, requestValidatorId=validator_id)["name"] == "body"
    updated = apigw.update_request_validator(
        restApiId=api_id,
        requestValidatorId=validator_id,
        patchOperations=[
            {"op": "replace", "path": "/validateRequestParameters", "value": "true"},
            {"op": "replace", "path": "/name", "value": "both"},
        ],
    )
    assert (updated["name"], updated["validateRequestParameters"]) == ("both", True)
    assert [v["id"] for v in apigw.get_request_validators(restApiId=api_id)["items"]] == [validator_id]
    code, _, _ = error(
        apigw.update_request_validator, restApiId=api_id, requestValidatorId=validator_id,
        patchOperations=[{"op": "replace", "path": "/validateRequestBody", "value": "maybe"}],
    )  # fmt: skip
    assert code == "BadRequestException"
    apigw.delete_request_validator(restApiId=api_id, requestValidatorId=validator_id)
    assert error(apigw.get_request_validator, restApiId=api_id, requestValidatorId=validator_id) == (
        "NotFoundException",
        "Invalid Request Validator identifier specified",
        404,
    )
    assert apigw.get_request_validators(restApiId=api_id)["items"] == []


def test_methods_name_validators_models_and_required_parameters(apigw: Any) -> None:
    api_id, root = new_api(apigw)
    _pet(apigw, api_id)
    validator_id = apigw.create_request_validator(restApiId=api_id, name="all", validateRequestBody=True)["id"]
    method = {"restApiId": api_id, "resourceId": root, "httpMethod": "POST", "authorizationType": "NONE"}
    assert error(apigw.put_method, **method, requestValidatorId="nope")[:2] == (
        "BadRequestException",
        "Invalid Request Validator identifier specified",
    )
    assert error(apigw.put_method, **method, requestModels={"application/json": "Cat"})[:2] == (
        "BadRequestException",
        "Invalid model identifier specified: Cat",
    )
    assert error(apigw.put_method, **method, requestParameters={"querystring.x": True})[0] == "BadRequestException"
    assert "POST" not in apigw.get_resource(restApiId=api_id, resourceId=root).get("resourceMethods", {})

    made = apigw.put_method(
        **method,
        requestValidatorId=validator_id,
        requestModels={"application/json": "Pet"},
        requestParameters={"method.request.querystring.owner": True, "method.request.header.x-trace": False},
    )
    assert made["requestValidatorId"] == validator_id
    assert made["requestModels"] == {"application/json": "Pet"}
    assert made["requestParameters"] == {
        "method.request.querystring.owner": True,
        "method.request.header.x-trace": False,
    }
    where = {k: method[k] for k in ("restApiId", "resourceId", "httpMethod")}
    updated = apigw.update_method(
        **where,
        patchOperations=[
            {"op": "replace", "path": "/requestParameters/method.request.header.x-trace", "value": "true"},
            {"op": "add", "path": "/requestModels/text~1plain", "value": "Empty"},
        ],
    )
    assert updated["requestParameters"]["method.request.header.x-trace"] is True
    assert updated["requestModels"] == {"application/json": "Pet", "text/plain": "Empty"}
    bad = [{"op": "add", "path": "/requestModels/text~1xml", "value": "Cat"}]
    assert error(apigw.update_method, **where, patchOperations=bad)[:2] == (
        "BadRequestException",
        "Invalid model identifier specified: Cat",
    )

    code, message, _ = error(apigw.delete_model, restApiId=api_id, modelName="Pet")
    assert (code, message) == (
        "ConflictException",
        "Cannot delete model 'Pet', is referenced in method request: POST /",
    )
    code, _, _ = error(apigw.delete_request_validator, restApiId=api_id, requestValidatorId=validator_id)
    assert code == "ConflictException"
    apigw.update_method(**where, patchOperations=[{"op": "remove", "path": "/requestValidatorId"}])
    apigw.delete_request_validator(restApiId=api_id, requestValidatorId=validator_id)


def test_a_clone_keeps_models_and_validators(apigw: Any) -> None:
    api_id, root = new_api(apigw)
    _pet(apigw, api_id)
    validator_id = apigw.create_request_validator(restApiId=api_id, name="v", validateRequestParameters=True)["id"]
    apigw.put_method(
        restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE", requestValidatorId=validator_id
    )
    clone = apigw.create_rest_api(name="clone", cloneFrom=api_id)
    assert sorted(m["name"] for m in apigw.get_models(restApiId=clone["id"])["items"]) == ["Empty", "Error", "Pet"]
    (copied,) = apigw.get_request_validators(restApiId=clone["id"])["items"]
    assert copied["name"] == "v" and copied["id"] != validator_id
    got = apigw.get_method(restApiId=clone["id"], resourceId=clone["rootResourceId"], httpMethod="GET")
    assert got["requestValidatorId"] == copied["id"]
