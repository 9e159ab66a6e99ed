"""Request validation: a REST method's required parameters and body model, checked before its integration.

When a method has a request validator, API Gateway checks that each required request parameter (path,
query string, header) is present and not blank — only its presence, not its type — and that the body
matches the JSON Schema (draft 4) of the method's request model for the request's content type (the
`$default` model when none is for that type; no model, no check). A failure answers 400 with the
BAD_REQUEST_PARAMETERS or BAD_REQUEST_BODY gateway response, which the API may customise.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from overcast.apis.deployed import DeployedApi, Validation
from overcast.gateway.gateway_responses import Failure, failure
from overcast.gateway.request import GatewayRequest, RouteMatch

if TYPE_CHECKING:
    from jsonschema import Draft4Validator
    from referencing import Resource

# A model's schema names another model by its URL: https://apigateway.amazonaws.com/restapis/{id}/models/{name}
# https://docs.aws.amazon.com/apigateway/latest/developerguide/models-mappings-models.html
_MODELS = "/models/"
# With no Content-Type, API Gateway takes the body as application/json (as its mapping templates do):
# https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-passthrough-behaviors.html
DEFAULT_CONTENT_TYPE = "application/json"


class BodyValidators:
    """A method's compiled body schemas by content type, made once per deployed route."""

    __slots__ = ("_by_type",)

    def __init__(self, api: DeployedApi, validation: Validation) -> None:
        # here, not at start-up: ~70 ms, for the methods that validate bodies
        from jsonschema import Draft4Validator
        from referencing import Registry, Resource
        from referencing.exceptions import NoSuchResource
        from referencing.jsonschema import DRAFT4

        schemas = {name: text for name, text in api.models}

        def retrieve(uri: str) -> Resource[Any]:
            name = uri.rpartition(_MODELS)[2] if _MODELS in uri else ""
            if name not in schemas:
                raise NoSuchResource(uri)
            return Resource.from_contents(json.loads(schemas[name]), default_specification=DRAFT4)

        registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]  # an attrs field
        self._by_type: dict[str, Draft4Validator | None] = {}
        for content_type, name in validation.body_models:
            text = schemas.get(name)
            self._by_type[content_type.lower()] = (
                Draft4Validator(json.loads(text), registry=registry) if text is not None else None
            )

    def for_type(self, content_type: str) -> Draft4Validator | None:
        found = self._by_type.get(content_type)
        return found if found is not None else self._by_type.get("$default")


def missing_parameters(validation: Validation, request: GatewayRequest, match: RouteMatch) -> list[str]:
    """The names of the required parameters the request lacks or leaves blank, in the method's order."""
    query: dict[str, list[str]] | None = None
    missing = []
    for key in validation.required_parameters:
        _, _, rest = key.partition("method.request.")
        where, _, name = rest.partition(".")
        if where == "path":
            values = [match.path_parameters.get(name, "")]
        elif where in ("querystring", "multivaluequerystring"):
            if query is None:
                query = {}
                for k, v in request.query():
                    query.setdefault(k, []).append(v)
            values = query.get(name, [])
        else:  # header, multivalueheader
            values = request.header_values(name)
        if not any(v.strip() for v in values):
            missing.append(name)
    return missing


def body_errors(validators: BodyValidators, request: GatewayRequest) -> list[str] | None:
    """What is wrong with the body by its model (None: no model for its content type, so no check)."""
    content_type = (request.header("content-type") or DEFAULT_CONTENT_TYPE).split(";")[0].strip().lower()
    validator = validators.for_type(content_type)
    if validator is None:
        return None
    try:
        # an empty body is validated as an empty JSON object
        body = json.loads(request.body or b"{}")
    except ValueError as e:
        return [f"Invalid JSON body: {e}"]
    return [e.message for e in validator.iter_errors(body)]


def check(
    validation: Validation, validators: BodyValidators | None, request: GatewayRequest, match: RouteMatch
) -> Failure | None:
    """The 400 a request that fails its method's validation gets (parameters first), or None."""
    kind = match.api.kind
    missing = missing_parameters(validation, request, match)
    if missing:
        message = f"Missing required request parameters: [{', '.join(missing)}]"
        return failure(kind, "BAD_REQUEST_PARAMETERS", message, f"[{message}]")
    if validators is not None:
        errors = body_errors(validators, request)
        if errors:
            return failure(kind, "BAD_REQUEST_BODY", validation_error=f"[{', '.join(errors)}]")
    return None
