"""A REST API's own attributes, authorizers and gateway responses: pure changes to its document.

The document holds AWS's shapes: `api` (RestApi), `resources` (id -> Resource), `authorizers`
(id -> Authorizer), `gatewayResponses` (type -> GatewayResponse, customised ones only) and
`stages` (name -> Stage).
https://docs.aws.amazon.com/apigateway/latest/api/API_RestApi.html
"""

from __future__ import annotations

import copy
from typing import Any

from overcast.errors import BadRequest
from overcast.gateway.errors import Conflict, NotFound
from overcast.gateway.restapi import patch, resources
from overcast.gateway.restapi.ids import new_id
from overcast.gateway.restapi.patch import Field

Doc = dict[str, Any]

ENDPOINT_TYPES = ("EDGE", "REGIONAL", "PRIVATE")
API_KEY_SOURCES = ("HEADER", "AUTHORIZER")
AUTHORIZER_TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")

API_SPEC: patch.Spec = {
    "/name": Field(("name",), removable=False),
    "/description": Field(("description",)),
    "/version": Field(("version",)),
    "/policy": Field(("policy",)),
    "/apiKeySource": Field(("apiKeySource",), removable=False, choices=API_KEY_SOURCES),
    "/minimumCompressionSize": Field(("minimumCompressionSize",), "int"),
    "/disableExecuteApiEndpoint": Field(("disableExecuteApiEndpoint",), "bool", removable=False),
    "/endpointConfiguration/types/0": Field(
        ("endpointConfiguration", "types"), removable=False, choices=ENDPOINT_TYPES
    ),
    "/binaryMediaTypes": Field(("binaryMediaTypes",), "set"),
}
AUTHORIZER_SPEC: patch.Spec = {
    "/name": Field(("name",), removable=False),
    "/type": Field(("type",), removable=False, choices=AUTHORIZER_TYPES),
    "/authorizerUri": Field(("authorizerUri",)),
    "/authorizerCredentials": Field(("authorizerCredentials",)),
    "/identitySource": Field(("identitySource",)),
    "/identityValidationExpression": Field(("identityValidationExpression",)),
    "/authorizerResultTtlInSeconds": Field(("authorizerResultTtlInSeconds",), "int"),
    "/authType": Field(("authType",)),
    "/providerARNs": Field(("providerARNs",), "set"),
}
GATEWAY_RESPONSE_SPEC: patch.Spec = {
    "/statusCode": Field(("statusCode",)),
    "/responseParameters": Field(("responseParameters",), "map"),
    "/responseTemplates": Field(("responseTemplates",), "map"),
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


def new_api(params: dict[str, Any], api_id: str, created: float) -> Doc:
    """The document of a new REST API, with its root resource "/"."""
    if not params.get("name"):
        raise BadRequest("Invalid REST API name specified")
    root_id = new_id()
    api: Doc = {
        "id": api_id,
        "name": params["name"],
        "createdDate": created,
        "apiKeySource": params.get("apiKeySource") or "HEADER",
        "endpointConfiguration": copy.deepcopy(params.get("endpointConfiguration") or {"types": ["EDGE"]}),
        "disableExecuteApiEndpoint": bool(params.get("disableExecuteApiEndpoint", False)),
        "rootResourceId": root_id,
        "tags": dict(params.get("tags") or {}),
        "apiStatus": "AVAILABLE",
    }
    for key in ("description", "version", "policy", "minimumCompressionSize"):
        if params.get(key) is not None:
            api[key] = params[key]
    if params.get("binaryMediaTypes"):
        api["binaryMediaTypes"] = list(params["binaryMediaTypes"])
    check_api(api)
    return {
        "api": api,
        "resources": {root_id: resources.root(root_id)},
        "authorizers": {},
        "gatewayResponses": {},
        "stages": {},
    }


def clone(source: Doc, params: dict[str, Any], created: float) -> Doc:
    """CreateRestApi with cloneFrom: a new API with the source's resources, methods, integrations and
    their responses, authorizers, gateway responses and settings (those the request names win), under
    new ids. Stages, deployments and tags stay with the source.
    https://docs.aws.amazon.com/apigateway/latest/api/API_CreateRestApi.html#apigw-CreateRestApi-request-cloneFrom
    """
    inherited = {key: source["api"][key] for key in _CLONED if key in source["api"] and params.get(key) is None}
    doc = new_api({**inherited, **params}, "", created)
    authorizers = {old: new_id(6) for old in source["authorizers"]}
    for old, a in source["authorizers"].items():
        doc["authorizers"][authorizers[old]] = {**copy.deepcopy(a), "id": authorizers[old]}
    ids = {source["api"]["rootResourceId"]: doc["api"]["rootResourceId"]}
    ids.update({old: new_id() for old in source["resources"] if old not in ids})
    for old, res in source["resources"].items():
        made = {**copy.deepcopy(res), "id": ids[old]}
        if "parentId" in made:
            made["parentId"] = ids[made["parentId"]]
        for m in made["resourceMethods"].values():
            if m.get("authorizerId"):
                m["authorizerId"] = authorizers[m["authorizerId"]]
            integration = m.get("methodIntegration")
            if integration is not None:
                resources.check_integration(integration)  # one stored before a check existed is not copied
                if integration.get("cacheNamespace") == old:
                    integration["cacheNamespace"] = ids[old]
        doc["resources"][ids[old]] = made
    doc["gatewayResponses"] = copy.deepcopy(source["gatewayResponses"])
    return doc


_CLONED = (
    "description", "version", "policy", "minimumCompressionSize", "binaryMediaTypes", "apiKeySource",
    "endpointConfiguration", "disableExecuteApiEndpoint",
)  # fmt: skip


def check_api(api: Doc) -> None:
    if api["apiKeySource"] not in API_KEY_SOURCES:
        raise BadRequest(f"Invalid API key source specified. Must be one of: [{', '.join(API_KEY_SOURCES)}]")
    types = api["endpointConfiguration"].get("types") or []
    if isinstance(types, str):
        types = api["endpointConfiguration"]["types"] = [types]
    if len(types) != 1 or types[0] not in ENDPOINT_TYPES:
        raise BadRequest("Invalid endpoint configuration: exactly one of EDGE, REGIONAL, PRIVATE must be specified")
    size = api.get("minimumCompressionSize")
    if size is not None and not 0 <= size <= 10_485_760:
        raise BadRequest("Invalid minimum compression size, must be between 0 and 10485760")


def update_api(doc: Doc, ops: list[patch.PatchOperation]) -> Doc:
    api = copy.deepcopy(doc["api"])
    patch.apply(api, ops, API_SPEC)
    check_api(api)
    if not api.get("binaryMediaTypes"):
        api.pop("binaryMediaTypes", None)
    doc["api"] = api
    return api


def authorizer(doc: Doc, authorizer_id: str) -> Doc:
    found: Doc | None = doc["authorizers"].get(authorizer_id)
    if found is None:
        raise NotFound("Invalid authorizer identifier specified")
    return found


def _check_authorizer(a: Doc) -> None:
    if a.get("type") not in AUTHORIZER_TYPES:
        raise BadRequest(f"Invalid authorizer type specified. Must be one of: [{', '.join(AUTHORIZER_TYPES)}]")
    if not a.get("name"):
        raise BadRequest("Authorizer name must be non-empty")
    if a["type"] == "COGNITO_USER_POOLS":
        if not a.get("providerARNs"):
            raise BadRequest("ProviderARNs need to be specified for COGNITO_USER_POOLS authorizers")
    elif not resources.LAMBDA_URI.fullmatch(a.get("authorizerUri") or ""):
        raise BadRequest(f"Invalid Authorizer URI specified for {a['type']} authorizer")
    if a["type"] == "TOKEN" and not (a.get("identitySource") or "").startswith("method.request.header."):
        raise BadRequest("Invalid identity source specified: a TOKEN authorizer takes method.request.header.<name>")
    ttl = a.get("authorizerResultTtlInSeconds", 300)
    if not 0 <= ttl <= 3600:
        raise BadRequest("Invalid authorizer result TTL, must be between 0 and 3600 seconds")


def create_authorizer(doc: Doc, params: dict[str, Any]) -> Doc:
    a: Doc = {"id": new_id(6), "name": params.get("name"), "type": params.get("type")}
    for key in (
        "providerARNs", "authType", "authorizerUri", "authorizerCredentials", "identitySource",
        "identityValidationExpression", "authorizerResultTtlInSeconds",
    ):  # fmt: skip
        if params.get(key) is not None:
            a[key] = params[key]
    if a.get("type") in ("TOKEN", "REQUEST", "COGNITO_USER_POOLS"):
        a.setdefault("authorizerResultTtlInSeconds", 300)
        if a["type"] == "TOKEN":
            a.setdefault("identitySource", "method.request.header.Authorization")
        if a["type"] == "COGNITO_USER_POOLS":
            a.setdefault("identitySource", "method.request.header.Authorization")
            a.setdefault("authType", "cognito_user_pools")
        else:
            a.setdefault("authType", "custom")
    _check_authorizer(a)
    if any(other["name"] == a["name"] for other in doc["authorizers"].values()):
        raise Conflict(f"Authorizer name already exists: {a['name']}")
    doc["authorizers"][a["id"]] = a
    return a


def update_authorizer(doc: Doc, authorizer_id: str, ops: list[patch.PatchOperation]) -> Doc:
    changed = copy.deepcopy(authorizer(doc, authorizer_id))
    patch.apply(changed, ops, AUTHORIZER_SPEC)
    _check_authorizer(changed)
    doc["authorizers"][authorizer_id] = changed
    return changed


def delete_authorizer(doc: Doc, authorizer_id: str) -> None:
    a = authorizer(doc, authorizer_id)
    for res in doc["resources"].values():
        for name, m in res["resourceMethods"].items():
            if m.get("authorizerId") == authorizer_id:
                raise Conflict(f"Cannot delete authorizer '{a['name']}', is referenced in method: {name} {res['path']}")
    del doc["authorizers"][authorizer_id]


def _response_type(response_type: str) -> str:
    if response_type not in GATEWAY_RESPONSE_TYPES:
        raise BadRequest(f"Invalid response type specified. Must be one of: [{', '.join(GATEWAY_RESPONSE_TYPES)}]")
    return response_type


def default_response(response_type: str) -> Doc:
    out: Doc = {
        "responseType": response_type,
        "defaultResponse": True,
        "responseParameters": {},
        "responseTemplates": dict(DEFAULT_TEMPLATE),
    }
    status = GATEWAY_RESPONSE_TYPES[response_type]
    if status is not None:
        out["statusCode"] = status
    return out


def gateway_response(doc: Doc, response_type: str) -> Doc:
    found: Doc | None = doc["gatewayResponses"].get(_response_type(response_type))
    return copy.deepcopy(found) if found is not None else default_response(response_type)


def gateway_responses(doc: Doc) -> list[Doc]:
    return [gateway_response(doc, t) for t in GATEWAY_RESPONSE_TYPES]


def put_gateway_response(doc: Doc, response_type: str, params: dict[str, Any]) -> Doc:
    r: Doc = {"responseType": _response_type(response_type), "defaultResponse": False}
    if params.get("statusCode") is not None:
        if not (params["statusCode"].isdigit() and 100 <= int(params["statusCode"]) <= 599):
            raise BadRequest("Invalid status code specified")
        r["statusCode"] = params["statusCode"]
    r["responseParameters"] = dict(params.get("responseParameters") or {})
    r["responseTemplates"] = dict(params.get("responseTemplates") or {})
    doc["gatewayResponses"][response_type] = r
    return r


def update_gateway_response(doc: Doc, response_type: str, ops: list[patch.PatchOperation]) -> Doc:
    changed = gateway_response(doc, response_type)
    changed["defaultResponse"] = False
    patch.apply(changed, ops, GATEWAY_RESPONSE_SPEC)
    doc["gatewayResponses"][response_type] = changed
    return changed


def delete_gateway_response(doc: Doc, response_type: str) -> None:
    if doc["gatewayResponses"].pop(_response_type(response_type), None) is None:
        raise NotFound("Invalid Gateway Response identifier specified")
