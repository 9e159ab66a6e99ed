"""Models and request validators: pure changes to a REST API's Definition, and the checks methods need.

A model is a JSON Schema (draft 4) for one content type, named within its API; another model's schema
names it by its canonical URL (`MODEL_URL`), which is how request validation resolves it too. A request
validator says whether a method's body (against its request model) and its required request parameters
are checked. Each function takes the Definition, checks the input completely, and returns the changed
Definition with the record it made (or raises, changing nothing).
https://docs.aws.amazon.com/apigateway/latest/developerguide/models-mappings-models.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

from overcast.apis.errors import Conflict, NotFound
from overcast.apis.restapi import patch
from overcast.apis.restapi.ids import new_id
from overcast.apis.restapi.patch import Field, PatchOperation
from overcast.apis.restapi.records import Definition, Method, Model, RequestValidator
from overcast.errors import BadRequest

MODEL_URL = "https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"
_MODEL_REF = re.compile(r"https://apigateway\.amazonaws\.com/restapis/([^/]+)/models/([^/#]+)")
_NAME = re.compile(r"[a-zA-Z0-9]+")
# A method's required parameters: https://docs.aws.amazon.com/apigateway/latest/api/API_Method.html#apigw-Type-Method-requestParameters
_REQUEST_PARAMETER = re.compile(
    r"method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.\S+"
)
DRAFT4 = "http://json-schema.org/draft-04/schema#"

# Every new REST API has these two models (what the console offers as "Empty" and "Error").
# https://docs.aws.amazon.com/apigateway/latest/developerguide/models-mappings-models.html
_DEFAULT_SCHEMAS = {
    "Empty": ("This is a default empty schema model", {"$schema": DRAFT4, "title": "Empty Schema", "type": "object"}),
    "Error": (
        "This is a default error schema model",
        {"$schema": DRAFT4, "title": "Error Schema", "type": "object", "properties": {"message": {"type": "string"}}},
    ),
}

DEFAULT_MODELS = tuple(_DEFAULT_SCHEMAS)

MODEL_SPEC: patch.Spec = {
    "/schema": Field(("schema",)),
    "/description": Field(("description",)),
}
VALIDATOR_SPEC: patch.Spec = {
    "/name": Field(("name",)),
    "/validateRequestBody": Field(("validate_request_body",), "bool", removable=False),
    "/validateRequestParameters": Field(("validate_request_parameters",), "bool", removable=False),
}


def default_models() -> dict[str, Model]:
    """A new API's models, by name."""
    return {
        name: Model(new_id(6), name, "application/json", json.dumps(schema, indent=2), description)
        for name, (description, schema) in _DEFAULT_SCHEMAS.items()
    }


# -- models -----------------------------------------------------------------------------------------


def model(d: Definition, name: str) -> Model:
    found = d.models.get(name)
    if found is None:
        raise NotFound(f"Invalid model name specified: {name}")
    return found


def _invalid(*errors: str) -> BadRequest:
    # AWS's wording, e.g. "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model
    # schema specified, Model reference must be in canonical form]" (a CloudFormation stack's event).
    return BadRequest(f"Invalid model specified: Validation Result: warnings : [], errors : [{', '.join(errors)}]")


def references(schema: Any) -> Iterator[str]:
    """Every `$ref` in a schema, nested ones included."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from references(item)


def model_url(api_id: str, name: str) -> str:
    return MODEL_URL.format(api_id=api_id, name=name)


def referenced_model(ref: str) -> str | None:
    """The model name a canonical model URL names (None: not one)."""
    found = _MODEL_REF.fullmatch(ref)
    return found.group(2) if found else None


def _check_schema(d: Definition, m: Model) -> None:
    """A JSON model's schema: JSON, draft 4, its references local or to this API's existing models."""
    if m.schema is None or "json" not in m.content_type.lower():
        return
    from jsonschema import Draft4Validator  # here, not at start-up: ~70 ms, for the APIs that have models
    from jsonschema.exceptions import SchemaError

    try:
        schema = json.loads(m.schema)
        if not isinstance(schema, dict):
            raise ValueError
        Draft4Validator.check_schema(schema)
    except (ValueError, SchemaError):
        raise _invalid("Invalid model schema specified") from None
    for ref in references(schema):
        if ref.startswith("#"):
            continue
        name = referenced_model(ref)
        if name is None:
            raise _invalid("Invalid model schema specified", "Model reference must be in canonical form")
        if name not in d.models and name != m.name:
            raise _invalid("Invalid model schema specified", f"Model reference must be to an existing model: {ref}")


def _check_names(m: Model) -> None:
    if not m.name:
        raise BadRequest("Model name must be non-empty")
    if not _NAME.fullmatch(m.name):
        raise BadRequest(f"Invalid model name specified: {m.name}. Model names must be alphanumeric.")
    if not m.content_type:
        raise BadRequest("Invalid content type specified")


def create_model(d: Definition, requested: Model) -> tuple[Definition, Model]:
    _check_names(requested)
    if requested.name in d.models:
        raise Conflict("Model name already exists for this REST API")
    m = dataclasses.replace(requested, id=requested.id or new_id(6))
    _check_schema(d, m)
    return dataclasses.replace(d, models={**d.models, m.name: m}), m


def put_models(d: Definition, made: list[Model]) -> Definition:
    """An import's models, each replacing the one of its name; their schemas are checked once all are in
    (they may name each other)."""
    for m in made:
        _check_names(m)
    d = dataclasses.replace(d, models={**d.models, **{m.name: dataclasses.replace(m, id=new_id(6)) for m in made}})
    for m in made:
        _check_schema(d, m)
    return d


def update_model(d: Definition, name: str, ops: list[PatchOperation]) -> tuple[Definition, Model]:
    changed = patch.apply(model(d, name), ops, MODEL_SPEC)
    _check_schema(d, changed)
    return dataclasses.replace(d, models={**d.models, name: changed}), changed


def delete_model(d: Definition, name: str) -> tuple[Definition, None]:
    model(d, name)
    for res in d.resources.values():
        for method_name, m in res.resource_methods.items():
            if name in (m.request_models or {}).values():
                raise Conflict(
                    f"Cannot delete model '{name}', is referenced in method request: {method_name} {res.path}"
                )
            for r in (m.method_responses or {}).values():
                if name in (r.response_models or {}).values():
                    raise Conflict(
                        f"Cannot delete model '{name}', is referenced in method response: "
                        f"{method_name} {res.path} {r.status_code}"
                    )
    for other in d.models.values():
        if other.name != name and any(referenced_model(ref) == name for ref in _schema_references(other)):
            raise Conflict(f"Cannot delete model '{name}', is referenced in model: {other.name}")
    return dataclasses.replace(d, models={k: v for k, v in d.models.items() if k != name}), None


def _schema_references(m: Model) -> list[str]:
    try:
        return list(references(json.loads(m.schema or "null")))
    except ValueError:
        return []


# -- request validators -----------------------------------------------------------------------------


def request_validator(d: Definition, validator_id: str) -> RequestValidator:
    found = d.request_validators.get(validator_id)
    if found is None:
        raise NotFound("Invalid Request Validator identifier specified")
    return found


def create_request_validator(d: Definition, requested: RequestValidator) -> tuple[Definition, RequestValidator]:
    v = requested if requested.id else dataclasses.replace(requested, id=new_id(6))
    return dataclasses.replace(d, request_validators={**d.request_validators, v.id: v}), v


def update_request_validator(
    d: Definition, validator_id: str, ops: list[PatchOperation]
) -> tuple[Definition, RequestValidator]:
    changed = patch.apply(request_validator(d, validator_id), ops, VALIDATOR_SPEC)
    return dataclasses.replace(d, request_validators={**d.request_validators, validator_id: changed}), changed


def delete_request_validator(d: Definition, validator_id: str) -> tuple[Definition, None]:
    v = request_validator(d, validator_id)
    for res in d.resources.values():
        for name, m in res.resource_methods.items():
            if m.request_validator_id == validator_id:
                raise Conflict(
                    f"Cannot delete request validator '{v.name or v.id}', is referenced in method: {name} {res.path}"
                )
    kept = {k: v for k, v in d.request_validators.items() if k != validator_id}
    return dataclasses.replace(d, request_validators=kept), None


# -- what a method names ----------------------------------------------------------------------------


def check_method(d: Definition, m: Method) -> None:
    """A method's request validator, request models and required parameters name what exists, as AWS checks
    them on PutMethod and UpdateMethod."""
    if m.request_validator_id and m.request_validator_id not in d.request_validators:
        raise BadRequest("Invalid Request Validator identifier specified")
    for name in (m.request_models or {}).values():
        if name not in d.models:
            raise BadRequest(f"Invalid model identifier specified: {name}")
    for key in m.request_parameters or {}:
        if not _REQUEST_PARAMETER.fullmatch(key):
            raise BadRequest(f"Invalid method request parameter specified: {key}")
