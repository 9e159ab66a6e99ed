"""Resources, methods, integrations and their responses: pure changes to a REST API's document.

A resource is stored in AWS's `Resource` shape with its methods embedded (`resourceMethods`), and
each method with its `methodIntegration` and `methodResponses`, so reads are copies of the stored
document. Functions here take the API document (`doc["resources"]`, `doc["authorizers"]`),
check the input completely, and change the document only when everything is valid.
https://docs.aws.amazon.com/apigateway/latest/api/API_Resource.html
"""

from __future__ import annotations

import copy
import re
from typing import Any

from overcast.errors import BadRequest
from overcast.gateway.errors import Conflict, NotFound
from overcast.gateway.restapi import patch, selection
from overcast.gateway.restapi.ids import new_id
from overcast.gateway.restapi.patch import Field

Doc = dict[str, Any]

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
INTEGRATION_TYPES = ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY")
# Custom (non-proxy) integrations map requests and responses with Velocity templates, which Overcast does
# not run yet: refused when an integration is made, never accepted and then failed at request time.
UNSUPPORTED_INTEGRATION_TYPES = {"HTTP": "HTTP_PROXY", "AWS": "AWS_PROXY (a Lambda proxy integration)"}
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
TIMEOUT_MIN_MS, TIMEOUT_MAX_MS = 50, 29_000
_PATH_PART = re.compile(r"[a-zA-Z0-9._:-]+|\{[a-zA-Z0-9._-]+\+?\}")
_STATUS = re.compile(r"[1-5]\d\d")
LAMBDA_URI = re.compile(
    r"arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/[^/]+/functions/(?P<function>.+)/invocations"
)

METHOD_SPEC: patch.Spec = {
    "/authorizationType": Field(("authorizationType",), removable=False, choices=AUTHORIZATION_TYPES),
    "/authorizerId": Field(("authorizerId",)),
    "/apiKeyRequired": Field(("apiKeyRequired",), "bool", removable=False),
    "/operationName": Field(("operationName",)),
    "/requestValidatorId": Field(("requestValidatorId",)),
    "/requestParameters": Field(("requestParameters",), "map_bool"),
    "/requestModels": Field(("requestModels",), "map"),
    "/authorizationScopes": Field(("authorizationScopes",), "set"),
}
INTEGRATION_SPEC: patch.Spec = {
    "/uri": Field(("uri",)),
    "/httpMethod": Field(("httpMethod",)),
    "/type": Field(("type",), removable=False, choices=INTEGRATION_TYPES),
    "/credentials": Field(("credentials",)),
    "/passthroughBehavior": Field(("passthroughBehavior",), choices=("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")),
    "/contentHandling": Field(("contentHandling",), choices=("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")),
    "/timeoutInMillis": Field(("timeoutInMillis",), "int", removable=False),
    "/cacheNamespace": Field(("cacheNamespace",)),
    "/connectionType": Field(("connectionType",)),
    "/connectionId": Field(("connectionId",)),
    "/requestParameters": Field(("requestParameters",), "map"),
    "/requestTemplates": Field(("requestTemplates",), "map"),
    "/cacheKeyParameters": Field(("cacheKeyParameters",), "set"),
}
INTEGRATION_RESPONSE_SPEC: patch.Spec = {
    "/selectionPattern": Field(("selectionPattern",)),
    "/contentHandling": Field(("contentHandling",), choices=("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")),
    "/responseParameters": Field(("responseParameters",), "map"),
    "/responseTemplates": Field(("responseTemplates",), "map"),
}
METHOD_RESPONSE_SPEC: patch.Spec = {
    "/responseParameters": Field(("responseParameters",), "map_bool"),
    "/responseModels": Field(("responseModels",), "map"),
}


def root(resource_id: str) -> Doc:
    return {"id": resource_id, "path": "/", "resourceMethods": {}}


def resource(doc: Doc, resource_id: str) -> Doc:
    found: Doc | None = doc["resources"].get(resource_id)
    if found is None:
        raise NotFound("Invalid Resource identifier specified")
    return found


def method(doc: Doc, resource_id: str, http_method: str) -> Doc:
    found: Doc | None = resource(doc, resource_id)["resourceMethods"].get(http_method.upper())
    if found is None:
        raise NotFound("Invalid Method identifier specified")
    return found


def integration(doc: Doc, resource_id: str, http_method: str) -> Doc:
    found: Doc | None = method(doc, resource_id, http_method).get("methodIntegration")
    if found is None:
        raise NotFound("Invalid Integration identifier specified")
    return found


def view(res: Doc, embed_methods: bool) -> Doc:
    """A resource as GetResource(s) show it: method names only, unless `embed=methods`."""
    out = copy.deepcopy(res)
    if not out["resourceMethods"]:
        out.pop("resourceMethods")
    elif not embed_methods:
        out["resourceMethods"] = {name: {} for name in out["resourceMethods"]}
    return out


def _check_path_part(doc: Doc, parent: Doc, path_part: str, exclude: str | None = None) -> None:
    if not _PATH_PART.fullmatch(path_part or ""):
        raise BadRequest(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end "
            "and an optional plus sign before the closing brace."
        )
    if parent.get("pathPart", "").endswith("+}"):
        raise BadRequest(f"Cannot create a child of a resource with a greedy path variable: {parent['pathPart']}")
    for sibling in doc["resources"].values():
        if sibling.get("parentId") != parent["id"] or sibling["id"] == exclude:
            continue
        if sibling["pathPart"] == path_part:
            raise Conflict(f"Another resource with the same parent already has this name: {path_part}")
        if sibling["pathPart"].startswith("{") and path_part.startswith("{"):
            raise BadRequest(
                f"A sibling ({sibling['pathPart']}) of this resource already has a variable path part -- "
                "only one is allowed"
            )


def _child_path(parent: Doc, path_part: str) -> str:
    return ("" if parent["path"] == "/" else parent["path"]) + "/" + path_part


def create_resource(doc: Doc, parent_id: str, path_part: str) -> Doc:
    parent = resource(doc, parent_id)
    _check_path_part(doc, parent, path_part)
    res = {
        "id": new_id(),
        "parentId": parent_id,
        "pathPart": path_part,
        "path": _child_path(parent, path_part),
        "resourceMethods": {},
    }
    doc["resources"][res["id"]] = res
    return res


def update_resource(doc: Doc, resource_id: str, ops: list[patch.PatchOperation]) -> Doc:
    res = resource(doc, resource_id)
    if "parentId" not in res:
        raise BadRequest("Cannot update the root resource")
    changed = copy.deepcopy(res)
    spec = {"/pathPart": Field(("pathPart",), removable=False), "/parentId": Field(("parentId",), removable=False)}
    patch.apply(changed, ops, spec)
    parent = resource(doc, changed["parentId"])
    if changed["parentId"] in _subtree(doc, resource_id):
        raise BadRequest("A resource cannot be moved under itself or its descendants")
    _check_path_part(doc, parent, changed["pathPart"], exclude=resource_id)
    doc["resources"][resource_id] = changed
    _repath(doc, changed, parent)
    return changed


def _repath(doc: Doc, res: Doc, parent: Doc) -> None:
    res["path"] = _child_path(parent, res["pathPart"])
    for child in doc["resources"].values():
        if child.get("parentId") == res["id"]:
            _repath(doc, child, res)


def _subtree(doc: Doc, resource_id: str) -> set[str]:
    found = {resource_id}
    grew = True
    while grew:
        more = {r["id"] for r in doc["resources"].values() if r.get("parentId") in found} - found
        found |= more
        grew = bool(more)
    return found


def delete_resource(doc: Doc, resource_id: str) -> None:
    res = resource(doc, resource_id)
    if "parentId" not in res:
        raise BadRequest("Cannot delete root resource")
    for gone in _subtree(doc, resource_id):
        del doc["resources"][gone]


def _http_method(value: str) -> str:
    if value.upper() not in HTTP_METHODS:
        raise BadRequest("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
    return value.upper()


def _check_authorization(doc: Doc, m: Doc) -> None:
    kind = m.get("authorizationType")
    if kind not in AUTHORIZATION_TYPES:
        raise BadRequest(f"Invalid authorization type specified. Must be one of: [{', '.join(AUTHORIZATION_TYPES)}]")
    if kind in ("CUSTOM", "COGNITO_USER_POOLS"):
        authorizer = doc["authorizers"].get(m.get("authorizerId") or "")
        if authorizer is None or (authorizer["type"] == "COGNITO_USER_POOLS") != (kind == "COGNITO_USER_POOLS"):
            raise BadRequest(
                "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS "
                "requires a valid authorizer."
            )
    else:
        m.pop("authorizerId", None)


def put_method(doc: Doc, resource_id: str, params: dict[str, Any]) -> Doc:
    res = resource(doc, resource_id)
    name = _http_method(params["httpMethod"])
    if name in res["resourceMethods"]:
        raise Conflict("Method already exists for this resource")
    m: Doc = {"httpMethod": name, "authorizationType": params.get("authorizationType") or "NONE"}
    m["apiKeyRequired"] = bool(params.get("apiKeyRequired", False))
    for key in ("authorizerId", "operationName", "requestValidatorId", "requestParameters", "requestModels"):
        if params.get(key) is not None:
            m[key] = params[key]
    if params.get("authorizationScopes"):
        m["authorizationScopes"] = list(params["authorizationScopes"])
    _check_authorization(doc, m)
    res["resourceMethods"][name] = m
    return m


def update_method(doc: Doc, resource_id: str, http_method: str, ops: list[patch.PatchOperation]) -> Doc:
    changed = copy.deepcopy(method(doc, resource_id, http_method))
    patch.apply(changed, ops, METHOD_SPEC)
    _check_authorization(doc, changed)
    resource(doc, resource_id)["resourceMethods"][changed["httpMethod"]] = changed
    return changed


def delete_method(doc: Doc, resource_id: str, http_method: str) -> None:
    method(doc, resource_id, http_method)
    del resource(doc, resource_id)["resourceMethods"][http_method.upper()]


def _check_integration(i: Doc) -> None:
    kind = i.get("type")
    if kind not in INTEGRATION_TYPES:
        raise BadRequest(f"Invalid integration type specified. Must be one of: [{', '.join(INTEGRATION_TYPES)}]")
    if kind in UNSUPPORTED_INTEGRATION_TYPES:
        raise BadRequest(
            f"Integrations of type '{kind}' are not supported by Overcast yet: they need mapping templates "
            f"(Velocity), which Overcast does not run. Use {UNSUPPORTED_INTEGRATION_TYPES[kind]} instead."
        )
    timeout = i.get("timeoutInMillis", TIMEOUT_MAX_MS)
    if not TIMEOUT_MIN_MS <= timeout <= TIMEOUT_MAX_MS:
        raise BadRequest(f"Timeout should be between {TIMEOUT_MIN_MS} ms and {TIMEOUT_MAX_MS} ms")
    if kind == "MOCK":
        return
    if not i.get("httpMethod"):
        raise BadRequest("Enumeration value for HttpMethod must be non-empty")
    _http_method(i["httpMethod"])
    uri = i.get("uri") or ""
    if kind in ("HTTP", "HTTP_PROXY") and not re.match(r"https?://[^/\s]+", uri):
        raise BadRequest("Invalid HTTP endpoint specified for URI")
    if kind in ("AWS", "AWS_PROXY"):
        if not uri.startswith("arn:"):
            raise BadRequest("AWS ARN for integration must contain path or action")
        if kind == "AWS_PROXY" and not LAMBDA_URI.fullmatch(uri):
            raise BadRequest("Integrations of type 'AWS_PROXY' currently only supports Lambda function invocations.")
        if kind == "AWS_PROXY" and i["httpMethod"] != "POST":
            raise BadRequest("Lambda proxy integrations must use integrationHttpMethod POST")


def check_integration(i: Doc) -> None:
    """An integration as it is stored, with its responses: BadRequest for one Overcast does not accept."""
    _check_integration(i)
    for r in (i.get("integrationResponses") or {}).values():
        selection.check(r.get("selectionPattern") or "")


def put_integration(doc: Doc, resource_id: str, http_method: str, params: dict[str, Any]) -> Doc:
    m = method(doc, resource_id, http_method)
    i: Doc = {
        "type": params.get("type"),
        "passthroughBehavior": params.get("passthroughBehavior") or "WHEN_NO_MATCH",
        "timeoutInMillis": params.get("timeoutInMillis") or TIMEOUT_MAX_MS,
        "cacheNamespace": params.get("cacheNamespace") or resource_id,
        "cacheKeyParameters": list(params.get("cacheKeyParameters") or []),
    }
    if params.get("integrationHttpMethod"):
        i["httpMethod"] = params["integrationHttpMethod"].upper()
    for key in (
        "uri", "connectionType", "connectionId", "credentials", "requestParameters", "requestTemplates",
        "contentHandling", "tlsConfig",
    ):  # fmt: skip
        if params.get(key) is not None:
            i[key] = params[key]
    _check_integration(i)
    m["methodIntegration"] = i
    return i


def update_integration(doc: Doc, resource_id: str, http_method: str, ops: list[patch.PatchOperation]) -> Doc:
    changed = copy.deepcopy(integration(doc, resource_id, http_method))
    patch.apply(changed, ops, INTEGRATION_SPEC)
    if "httpMethod" in changed:
        changed["httpMethod"] = changed["httpMethod"].upper()
    _check_integration(changed)
    method(doc, resource_id, http_method)["methodIntegration"] = changed
    return changed


def delete_integration(doc: Doc, resource_id: str, http_method: str) -> None:
    integration(doc, resource_id, http_method)
    del method(doc, resource_id, http_method)["methodIntegration"]


def _status(code: str) -> str:
    if not _STATUS.fullmatch(code or ""):
        raise BadRequest("Invalid status code specified")
    return code


def put_integration_response(doc: Doc, resource_id: str, http_method: str, params: dict[str, Any]) -> Doc:
    i = integration(doc, resource_id, http_method)
    code = _status(params["statusCode"])
    r: Doc = {"statusCode": code}
    for key in ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"):
        if params.get(key) is not None:
            r[key] = params[key]
    selection.check(r.get("selectionPattern") or "")
    i.setdefault("integrationResponses", {})[code] = r
    return r


def integration_response(doc: Doc, resource_id: str, http_method: str, code: str) -> Doc:
    found: Doc | None = integration(doc, resource_id, http_method).get("integrationResponses", {}).get(code)
    if found is None:
        raise NotFound("Invalid Response status code specified")
    return found


def update_integration_response(
    doc: Doc, resource_id: str, http_method: str, code: str, ops: list[patch.PatchOperation]
) -> Doc:
    changed = copy.deepcopy(integration_response(doc, resource_id, http_method, code))
    patch.apply(changed, ops, INTEGRATION_RESPONSE_SPEC)
    selection.check(changed.get("selectionPattern") or "")
    integration(doc, resource_id, http_method)["integrationResponses"][code] = changed
    return changed


def delete_integration_response(doc: Doc, resource_id: str, http_method: str, code: str) -> None:
    integration_response(doc, resource_id, http_method, code)
    del integration(doc, resource_id, http_method)["integrationResponses"][code]


def put_method_response(doc: Doc, resource_id: str, http_method: str, params: dict[str, Any]) -> Doc:
    m = method(doc, resource_id, http_method)
    code = _status(params["statusCode"])
    r: Doc = {"statusCode": code}
    for key in ("responseParameters", "responseModels"):
        if params.get(key) is not None:
            r[key] = params[key]
    m.setdefault("methodResponses", {})[code] = r
    return r


def method_response(doc: Doc, resource_id: str, http_method: str, code: str) -> Doc:
    found: Doc | None = method(doc, resource_id, http_method).get("methodResponses", {}).get(code)
    if found is None:
        raise NotFound("Invalid Response status code specified")
    return found


def update_method_response(
    doc: Doc, resource_id: str, http_method: str, code: str, ops: list[patch.PatchOperation]
) -> Doc:
    changed = copy.deepcopy(method_response(doc, resource_id, http_method, code))
    patch.apply(changed, ops, METHOD_RESPONSE_SPEC)
    method(doc, resource_id, http_method)["methodResponses"][code] = changed
    return changed


def delete_method_response(doc: Doc, resource_id: str, http_method: str, code: str) -> None:
    method_response(doc, resource_id, http_method, code)
    del method(doc, resource_id, http_method)["methodResponses"][code]
