"""A REST API's own attributes, authorizers and gateway responses: pure changes to its Definition.

Each function takes the API's Definition and what to change, checks the input completely, and
returns the changed Definition with the record it made (or raises, changing nothing).
https://docs.aws.amazon.com/apigateway/latest/api/API_RestApi.html
"""

from __future__ import annotations

import dataclasses
from typing import Any

from overcast.apis.errors import Conflict, NotFound
from overcast.apis.ip_address_types import IP_ADDRESS_TYPES, check_ip_address_type
from overcast.apis.restapi import models, patch, resources
from overcast.apis.restapi.ids import new_id
from overcast.apis.restapi.patch import Field, PatchOperation
from overcast.apis.restapi.records import Authorizer, Definition, GatewayResponse, RestApi
from overcast.arn import integration_function
from overcast.errors import BadRequest

ENDPOINT_TYPES = ("EDGE", "REGIONAL", "PRIVATE")
API_KEY_SOURCES = ("HEADER", "AUTHORIZER")
AUTHORIZER_TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")

API_SPEC: patch.Spec = {
    "/name": Field(("name",), removable=False),
    "/description": Field(("description",)),
    "/version": Field(("version",)),
    "/policy": Field(("policy",)),
    "/apiKeySource": Field(("api_key_source",), removable=False, choices=API_KEY_SOURCES),
    "/minimumCompressionSize": Field(("minimum_compression_size",), "int"),
    "/disableExecuteApiEndpoint": Field(("disable_execute_api_endpoint",), "bool", removable=False),
    "/endpointConfiguration/types/0": Field(
        ("endpoint_configuration", "types"), "single", removable=False, choices=ENDPOINT_TYPES
    ),
    "/binaryMediaTypes": Field(("binary_media_types",), "set"),
    "/endpointConfiguration/ipAddressType": Field(
        ("endpoint_configuration", "ip_address_type"), removable=False, choices=IP_ADDRESS_TYPES
    ),
}
AUTHORIZER_SPEC: patch.Spec = {
    "/name": Field(("name",), removable=False),
    "/type": Field(("type",), removable=False, choices=AUTHORIZER_TYPES),
    "/authorizerUri": Field(("authorizer_uri",)),
    "/authorizerCredentials": Field(("authorizer_credentials",)),
    "/identitySource": Field(("identity_source",)),
    "/identityValidationExpression": Field(("identity_validation_expression",)),
    "/authorizerResultTtlInSeconds": Field(("authorizer_result_ttl_in_seconds",), "int"),
    "/authType": Field(("auth_type",)),
    "/providerARNs": Field(("provider_arns",), "set"),
}
GATEWAY_RESPONSE_SPEC: patch.Spec = {
    "/statusCode": Field(("status_code",)),
    "/responseParameters": Field(("response_parameters",), "map"),
    "/responseTemplates": Field(("response_templates",), "map"),
}

# The response types and their default status codes.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
GATEWAY_RESPONSE_TYPES: dict[str, str | None] = {
    "ACCESS_DENIED": "403",
    "API_CONFIGURATION_ERROR": "500",
    "AUTHORIZER_CONFIGURATION_ERROR": "500",
    "AUTHORIZER_FAILURE": "500",
    "BAD_REQUEST_PARAMETERS": "400",
    "BAD_REQUEST_BODY": "400",
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
    "EXPIRED_TOKEN": "403",
    "INTEGRATION_FAILURE": "504",
    "INTEGRATION_TIMEOUT": "504",
    "INVALID_API_KEY": "403",
    "INVALID_SIGNATURE": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403",
    "QUOTA_EXCEEDED": "429",
    "REQUEST_TOO_LARGE": "413",
    "RESOURCE_NOT_FOUND": "404",
    "THROTTLED": "429",
    "UNAUTHORIZED": "401",
    "UNSUPPORTED_MEDIA_TYPE": "415",
    "WAF_FILTERED": "403",
}
DEFAULT_TEMPLATE = {"application/json": '{"message":$context.error.messageString}'}
# What CreateRestApi's cloneFrom copies from the source unless the request names it.
_CLONED = (
    "description", "version", "policy", "minimum_compression_size", "binary_media_types", "api_key_source",
    "endpoint_configuration", "disable_execute_api_endpoint",
)  # fmt: skip


def new_api(attributes: dict[str, Any]) -> Definition:
    """The Definition of a new REST API with these RestApi fields, its root resource "/" and default models.

    Its id is made here (an import's model references name it); its creation date is the store's to give
    (`RestApis.create`)."""
    given = {key: value for key, value in attributes.items() if value is not None}
    if not given.get("name"):
        raise BadRequest("Invalid REST API name specified")
    root_id = new_id()
    api = check_api(RestApi(**{"id": new_id(), "created_date": 0.0, **given, "root_resource_id": root_id}))
    return Definition(api, {root_id: resources.root(root_id)}, models=models.default_models())


def clone(source: Definition, attributes: dict[str, Any]) -> Definition:
    """CreateRestApi with cloneFrom: a new API with the source's resources, methods, integrations and
    their responses, authorizers, models, request validators, gateway responses and settings (those the
    request names win), under new ids. Stages, deployments and tags stay with the source.
    https://docs.aws.amazon.com/apigateway/latest/api/API_CreateRestApi.html#apigw-CreateRestApi-request-cloneFrom
    """
    inherited = {key: getattr(source.api, key) for key in _CLONED if attributes.get(key) is None}
    made = new_api({**attributes, **inherited})
    authorizers = {old: new_id(6) for old in source.authorizers}
    validators = {old: new_id(6) for old in source.request_validators}
    ids = {source.api.root_resource_id: made.api.root_resource_id}
    ids.update({old: new_id() for old in source.resources if old not in ids})
    copied = {}
    for old, res in source.resources.items():
        methods = {}
        for name, m in res.resource_methods.items():
            if m.authorizer_id:
                m = dataclasses.replace(m, authorizer_id=authorizers[m.authorizer_id])
            if m.request_validator_id in validators:
                m = dataclasses.replace(m, request_validator_id=validators[m.request_validator_id])
            i = m.method_integration
            if i is not None:
                resources.check_integration(i)  # one stored before a check existed is not copied
                if i.cache_namespace == old:
                    m = dataclasses.replace(m, method_integration=dataclasses.replace(i, cache_namespace=ids[old]))
            methods[name] = m
        parent = ids[res.parent_id] if res.parent_id is not None else None
        copied[ids[old]] = dataclasses.replace(res, id=ids[old], parent_id=parent, resource_methods=methods)
    return dataclasses.replace(
        made,
        resources=copied,
        authorizers={
            authorizers[old]: dataclasses.replace(a, id=authorizers[old]) for old, a in source.authorizers.items()
        },
        gateway_responses=dict(source.gateway_responses),
        # a schema's references name models by name (the API id in their URL is not looked at): they hold
        models={name: dataclasses.replace(m, id=new_id(6)) for name, m in source.models.items()},
        request_validators={
            validators[old]: dataclasses.replace(v, id=validators[old]) for old, v in source.request_validators.items()
        },
    )


def check_api(api: RestApi) -> RestApi:
    """The API's attributes checked, with no binary media types as None (AWS leaves the member out)."""
    if api.api_key_source not in API_KEY_SOURCES:
        raise BadRequest(f"Invalid API key source specified. Must be one of: [{', '.join(API_KEY_SOURCES)}]")
    types = api.endpoint_configuration.types
    if len(types) != 1 or types[0] not in ENDPOINT_TYPES:
        raise BadRequest("Invalid endpoint configuration: exactly one of EDGE, REGIONAL, PRIVATE must be specified")
    endpoint = api.endpoint_configuration
    given = check_ip_address_type(endpoint.ip_address_type, types[0])
    if given != endpoint.ip_address_type:
        api = dataclasses.replace(api, endpoint_configuration=dataclasses.replace(endpoint, ip_address_type=given))
    size = api.minimum_compression_size
    if size is not None and not 0 <= size <= 10_485_760:
        raise BadRequest("Invalid minimum compression size, must be between 0 and 10485760")
    return api if api.binary_media_types else dataclasses.replace(api, binary_media_types=None)


def update_api(d: Definition, ops: list[PatchOperation]) -> tuple[Definition, RestApi]:
    api = check_api(patch.apply(d.api, ops, API_SPEC))
    return dataclasses.replace(d, api=api), api


def authorizer(d: Definition, authorizer_id: str) -> Authorizer:
    found = d.authorizers.get(authorizer_id)
    if found is None:
        raise NotFound("Invalid authorizer identifier specified")
    return found


def _check_authorizer(a: Authorizer) -> None:
    if a.type not in AUTHORIZER_TYPES:
        raise BadRequest(f"Invalid authorizer type specified. Must be one of: [{', '.join(AUTHORIZER_TYPES)}]")
    if not a.name:
        raise BadRequest("Authorizer name must be non-empty")
    if a.type == "COGNITO_USER_POOLS":
        if not a.provider_arns:
            raise BadRequest("ProviderARNs need to be specified for COGNITO_USER_POOLS authorizers")
    elif integration_function(a.authorizer_uri or "") is None:
        raise BadRequest(f"Invalid Authorizer URI specified for {a.type} authorizer")
    if a.type == "TOKEN" and not (a.identity_source or "").startswith("method.request.header."):
        raise BadRequest("Invalid identity source specified: a TOKEN authorizer takes method.request.header.<name>")
    ttl = 300 if a.authorizer_result_ttl_in_seconds is None else a.authorizer_result_ttl_in_seconds
    if not 0 <= ttl <= 3600:
        raise BadRequest("Invalid authorizer result TTL, must be between 0 and 3600 seconds")


def create_authorizer(d: Definition, requested: Authorizer) -> tuple[Definition, Authorizer]:
    """A new authorizer as requested, AWS's defaults filled in; a new id unless `requested` has one."""
    a = requested if requested.id else dataclasses.replace(requested, id=new_id(6))
    if a.type in AUTHORIZER_TYPES:
        ttl = a.authorizer_result_ttl_in_seconds
        header = "method.request.header.Authorization" if a.type != "REQUEST" else None
        a = dataclasses.replace(
            a,
            authorizer_result_ttl_in_seconds=300 if ttl is None else ttl,
            identity_source=a.identity_source or header,
            auth_type=a.auth_type or ("cognito_user_pools" if a.type == "COGNITO_USER_POOLS" else "custom"),
        )
    _check_authorizer(a)
    if any(other.name == a.name for other in d.authorizers.values()):
        raise Conflict(f"Authorizer name already exists: {a.name}")
    return dataclasses.replace(d, authorizers={**d.authorizers, a.id: a}), a


def update_authorizer(d: Definition, authorizer_id: str, ops: list[PatchOperation]) -> tuple[Definition, Authorizer]:
    changed = patch.apply(authorizer(d, authorizer_id), ops, AUTHORIZER_SPEC)
    _check_authorizer(changed)
    return dataclasses.replace(d, authorizers={**d.authorizers, authorizer_id: changed}), changed


def delete_authorizer(d: Definition, authorizer_id: str) -> tuple[Definition, None]:
    a = authorizer(d, authorizer_id)
    for res in d.resources.values():
        for name, m in res.resource_methods.items():
            if m.authorizer_id == authorizer_id:
                raise Conflict(f"Cannot delete authorizer '{a.name}', is referenced in method: {name} {res.path}")
    return dataclasses.replace(d, authorizers={k: v for k, v in d.authorizers.items() if k != authorizer_id}), None


def _response_type(response_type: str) -> str:
    if response_type not in GATEWAY_RESPONSE_TYPES:
        raise BadRequest(f"Invalid response type specified. Must be one of: [{', '.join(GATEWAY_RESPONSE_TYPES)}]")
    return response_type


def default_response(response_type: str) -> GatewayResponse:
    return GatewayResponse(
        response_type,
        default_response=True,
        status_code=GATEWAY_RESPONSE_TYPES[response_type],
        response_templates=dict(DEFAULT_TEMPLATE),
    )


def gateway_response(d: Definition, response_type: str) -> GatewayResponse:
    found = d.gateway_responses.get(_response_type(response_type))
    return found if found is not None else default_response(response_type)


def gateway_responses(d: Definition) -> list[GatewayResponse]:
    """Every response type, customised or default, in the order of their types."""
    return [gateway_response(d, t) for t in GATEWAY_RESPONSE_TYPES]


def put_gateway_response(d: Definition, requested: GatewayResponse) -> tuple[Definition, GatewayResponse]:
    r = dataclasses.replace(requested, response_type=_response_type(requested.response_type), default_response=False)
    if r.status_code is not None and not (r.status_code.isdigit() and 100 <= int(r.status_code) <= 599):
        raise BadRequest("Invalid status code specified")
    return dataclasses.replace(d, gateway_responses={**d.gateway_responses, r.response_type: r}), r


def update_gateway_response(
    d: Definition, response_type: str, ops: list[PatchOperation]
) -> tuple[Definition, GatewayResponse]:
    current = dataclasses.replace(gateway_response(d, response_type), default_response=False)
    changed = patch.apply(current, ops, GATEWAY_RESPONSE_SPEC)
    return dataclasses.replace(d, gateway_responses={**d.gateway_responses, response_type: changed}), changed


def delete_gateway_response(d: Definition, response_type: str) -> tuple[Definition, None]:
    if _response_type(response_type) not in d.gateway_responses:
        raise NotFound("Invalid Gateway Response identifier specified")
    kept = {k: v for k, v in d.gateway_responses.items() if k != response_type}
    return dataclasses.replace(d, gateway_responses=kept), None
