"""Resources, methods, integrations and their responses: pure changes to a REST API's Definition.

A resource holds its methods by HTTP method, and each method its integration and method responses
(an integration its integration responses), as AWS nests them. Each function takes the Definition,
checks the input completely, and returns the changed Definition with the record it made (or
raises, changing nothing).
https://docs.aws.amazon.com/apigateway/latest/api/API_Resource.html
"""

from __future__ import annotations

import dataclasses
import re

from overcast.apis.errors import Conflict, NotFound
from overcast.apis.restapi import models, patch, selection
from overcast.apis.restapi.ids import new_id
from overcast.apis.restapi.patch import Field, PatchOperation
from overcast.apis.restapi.records import (
    Definition,
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    Resource,
)
from overcast.arn import integration_function, parse_arn
from overcast.errors import BadRequest

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
INTEGRATION_TYPES = ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY")
PASSTHROUGH_BEHAVIORS = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
TIMEOUT_MIN_MS, TIMEOUT_MAX_MS = 50, 29_000
_PATH_PART = re.compile(r"[a-zA-Z0-9._:-]+|\{[a-zA-Z0-9._-]+\+?\}")
_STATUS = re.compile(r"[1-5]\d\d")

RESOURCE_SPEC: patch.Spec = {
    "/pathPart": Field(("path_part",), removable=False),
    "/parentId": Field(("parent_id",), removable=False),
}
METHOD_SPEC: patch.Spec = {
    "/authorizationType": Field(("authorization_type",), removable=False, choices=AUTHORIZATION_TYPES),
    "/authorizerId": Field(("authorizer_id",)),
    "/apiKeyRequired": Field(("api_key_required",), "bool", removable=False),
    "/operationName": Field(("operation_name",)),
    "/requestValidatorId": Field(("request_validator_id",)),
    "/requestParameters": Field(("request_parameters",), "map_bool"),
    "/requestModels": Field(("request_models",), "map"),
    "/authorizationScopes": Field(("authorization_scopes",), "set"),
}
INTEGRATION_SPEC: patch.Spec = {
    "/uri": Field(("uri",)),
    "/httpMethod": Field(("http_method",)),
    "/type": Field(("type",), removable=False, choices=INTEGRATION_TYPES),
    "/credentials": Field(("credentials",)),
    "/passthroughBehavior": Field(("passthrough_behavior",), choices=PASSTHROUGH_BEHAVIORS),
    "/contentHandling": Field(("content_handling",), choices=("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")),
    "/timeoutInMillis": Field(("timeout_in_millis",), "int", removable=False),
    "/cacheNamespace": Field(("cache_namespace",)),
    "/connectionType": Field(("connection_type",)),
    "/connectionId": Field(("connection_id",)),
    "/requestParameters": Field(("request_parameters",), "map"),
    "/requestTemplates": Field(("request_templates",), "map"),
    "/cacheKeyParameters": Field(("cache_key_parameters",), "set"),
}
INTEGRATION_RESPONSE_SPEC: patch.Spec = {
    "/selectionPattern": Field(("selection_pattern",)),
    "/contentHandling": Field(("content_handling",), choices=("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")),
    "/responseParameters": Field(("response_parameters",), "map"),
    "/responseTemplates": Field(("response_templates",), "map"),
}
METHOD_RESPONSE_SPEC: patch.Spec = {
    "/responseParameters": Field(("response_parameters",), "map_bool"),
    "/responseModels": Field(("response_models",), "map"),
}


def root(resource_id: str) -> Resource:
    return Resource(resource_id, "/")


def resource(d: Definition, resource_id: str) -> Resource:
    found = d.resources.get(resource_id)
    if found is None:
        raise NotFound("Invalid Resource identifier specified")
    return found


def method(d: Definition, resource_id: str, http_method: str) -> Method:
    found = resource(d, resource_id).resource_methods.get(http_method.upper())
    if found is None:
        raise NotFound("Invalid Method identifier specified")
    return found


def integration(d: Definition, resource_id: str, http_method: str) -> Integration:
    found = method(d, resource_id, http_method).method_integration
    if found is None:
        raise NotFound("Invalid Integration identifier specified")
    return found


def _with_resource(d: Definition, res: Resource) -> Definition:
    return dataclasses.replace(d, resources={**d.resources, res.id: res})


def _with_method(d: Definition, resource_id: str, m: Method) -> Definition:
    res = resource(d, resource_id)
    return _with_resource(d, dataclasses.replace(res, resource_methods={**res.resource_methods, m.http_method: m}))


def _with_integration(d: Definition, resource_id: str, http_method: str, i: Integration | None) -> Definition:
    return _with_method(d, resource_id, dataclasses.replace(method(d, resource_id, http_method), method_integration=i))


def _check_path_part(d: Definition, parent: Resource, path_part: str, exclude: str | None = None) -> None:
    if not _PATH_PART.fullmatch(path_part or ""):
        raise BadRequest(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end "
            "and an optional plus sign before the closing brace."
        )
    if (parent.path_part or "").endswith("+}"):
        raise BadRequest(f"Cannot create a child of a resource with a greedy path variable: {parent.path_part}")
    for sibling in d.resources.values():
        if sibling.parent_id != parent.id or sibling.id == exclude:
            continue
        if sibling.path_part == path_part:
            raise Conflict(f"Another resource with the same parent already has this name: {path_part}")
        if (sibling.path_part or "").startswith("{") and path_part.startswith("{"):
            raise BadRequest(
                f"A sibling ({sibling.path_part}) of this resource already has a variable path part -- "
                "only one is allowed"
            )


def _child_path(parent_path: str, path_part: str) -> str:
    return ("" if parent_path == "/" else parent_path) + "/" + path_part


def create_resource(d: Definition, parent_id: str, path_part: str) -> tuple[Definition, Resource]:
    parent = resource(d, parent_id)
    _check_path_part(d, parent, path_part)
    res = Resource(new_id(), _child_path(parent.path, path_part), parent_id=parent_id, path_part=path_part)
    return _with_resource(d, res), res


def update_resource(d: Definition, resource_id: str, ops: list[PatchOperation]) -> tuple[Definition, Resource]:
    res = resource(d, resource_id)
    if res.parent_id is None:
        raise BadRequest("Cannot update the root resource")
    changed = patch.apply(res, ops, RESOURCE_SPEC)
    assert changed.parent_id is not None and changed.path_part is not None
    parent = resource(d, changed.parent_id)
    if changed.parent_id in _subtree(d, resource_id):
        raise BadRequest("A resource cannot be moved under itself or its descendants")
    _check_path_part(d, parent, changed.path_part, exclude=resource_id)
    moved = {**d.resources, resource_id: changed}
    _repath(moved, resource_id, parent.path)
    return dataclasses.replace(d, resources=moved), moved[resource_id]


def _repath(found: dict[str, Resource], resource_id: str, parent_path: str) -> None:
    """Give a resource and those under it the paths their (new) parent makes, in `found` (a new dict)."""
    res = found[resource_id]
    res = found[resource_id] = dataclasses.replace(res, path=_child_path(parent_path, res.path_part or ""))
    for child in [c for c in found.values() if c.parent_id == resource_id]:
        _repath(found, child.id, res.path)


def _subtree(d: Definition, resource_id: str) -> set[str]:
    found = {resource_id}
    grew = True
    while grew:
        more = {r.id for r in d.resources.values() if r.parent_id in found} - found
        found |= more
        grew = bool(more)
    return found


def delete_resource(d: Definition, resource_id: str) -> tuple[Definition, None]:
    if resource(d, resource_id).parent_id is None:
        raise BadRequest("Cannot delete root resource")
    gone = _subtree(d, resource_id)
    return dataclasses.replace(d, resources={k: r for k, r in d.resources.items() if k not in gone}), None


def _http_method(value: str) -> str:
    if value.upper() not in HTTP_METHODS:
        raise BadRequest("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
    return value.upper()


def _check_authorization(d: Definition, m: Method) -> Method:
    kind = m.authorization_type
    if kind not in AUTHORIZATION_TYPES:
        raise BadRequest(f"Invalid authorization type specified. Must be one of: [{', '.join(AUTHORIZATION_TYPES)}]")
    if kind in ("CUSTOM", "COGNITO_USER_POOLS"):
        authorizer = d.authorizers.get(m.authorizer_id or "")
        if authorizer is None or (authorizer.type == "COGNITO_USER_POOLS") != (kind == "COGNITO_USER_POOLS"):
            raise BadRequest(
                "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS "
                "requires a valid authorizer."
            )
        return m
    return dataclasses.replace(m, authorizer_id=None)


def put_method(d: Definition, resource_id: str, requested: Method) -> tuple[Definition, Method]:
    """A new method as requested (no responses, no integration yet)."""
    res = resource(d, resource_id)
    name = _http_method(requested.http_method)
    if name in res.resource_methods:
        raise Conflict("Method already exists for this resource")
    m = _check_authorization(
        d,
        dataclasses.replace(
            requested,
            http_method=name,
            authorization_scopes=requested.authorization_scopes or None,
            method_responses=None,
            method_integration=None,
        ),
    )
    models.check_method(d, m)
    return _with_method(d, resource_id, m), m


def update_method(
    d: Definition, resource_id: str, http_method: str, ops: list[PatchOperation]
) -> tuple[Definition, Method]:
    changed = _check_authorization(d, patch.apply(method(d, resource_id, http_method), ops, METHOD_SPEC))
    models.check_method(d, changed)
    return _with_method(d, resource_id, changed), changed


def delete_method(d: Definition, resource_id: str, http_method: str) -> tuple[Definition, None]:
    res = resource(d, resource_id)
    name = method(d, resource_id, http_method).http_method
    kept = {k: m for k, m in res.resource_methods.items() if k != name}
    return _with_resource(d, dataclasses.replace(res, resource_methods=kept)), None


_SERVICE_CALL = re.compile(r"(path|action)/.")  # an AWS integration URI's resource: what the service is asked


def _check_integration(i: Integration) -> None:
    kind = i.type
    if kind not in INTEGRATION_TYPES:
        raise BadRequest(f"Invalid integration type specified. Must be one of: [{', '.join(INTEGRATION_TYPES)}]")
    if i.passthrough_behavior not in PASSTHROUGH_BEHAVIORS:
        raise BadRequest(
            f"Invalid passthrough behavior specified: {i.passthrough_behavior}. "
            f"Valid values are: [{', '.join(PASSTHROUGH_BEHAVIORS)}]"
        )
    if not TIMEOUT_MIN_MS <= i.timeout_in_millis <= TIMEOUT_MAX_MS:
        raise BadRequest(f"Timeout should be between {TIMEOUT_MIN_MS} ms and {TIMEOUT_MAX_MS} ms")
    if kind == "MOCK":
        return
    if not i.http_method:
        raise BadRequest("Enumeration value for HttpMethod must be non-empty")
    _http_method(i.http_method)
    uri = i.uri or ""
    if kind in ("HTTP_PROXY", "HTTP") and not re.match(r"https?://[^/\s]+", uri):
        raise BadRequest("Invalid HTTP endpoint specified for URI")
    if kind in ("AWS_PROXY", "AWS"):
        # `arn:aws:apigateway:{region}:{service}:path/{path}` or `...:action/{action}` for any AWS service: a
        # service Overcast does not serve (SQS, SNS...) is accepted, as AWS accepts it, and answers 500 when called
        # (gateway/services.py). https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html
        arn = parse_arn(uri)
        if arn is None:
            raise BadRequest("Invalid ARN specified in the request")
        if arn.service != "apigateway" or not _SERVICE_CALL.match(arn.resource) or not arn.account:
            raise BadRequest("AWS ARN for integration must contain path or action")
        if kind == "AWS_PROXY" and integration_function(uri) is None:
            raise BadRequest("Integrations of type 'AWS_PROXY' currently only supports Lambda function invocations.")
    if kind == "AWS_PROXY" and i.http_method != "POST":
        raise BadRequest("Lambda proxy integrations must use integrationHttpMethod POST")


def check_integration(i: Integration) -> None:
    """An integration as it is stored, with its responses: BadRequest for one Overcast does not accept."""
    _check_integration(i)
    for r in (i.integration_responses or {}).values():
        selection.check(r.selection_pattern or "")


def put_integration(
    d: Definition, resource_id: str, http_method: str, requested: Integration
) -> tuple[Definition, Integration]:
    """The method's integration, replaced by the one requested (without responses yet)."""
    method(d, resource_id, http_method)
    i = dataclasses.replace(
        requested,
        cache_namespace=requested.cache_namespace or resource_id,
        http_method=requested.http_method.upper() if requested.http_method else None,
        integration_responses=None,
    )
    _check_integration(i)
    return _with_integration(d, resource_id, http_method, i), i


def update_integration(
    d: Definition, resource_id: str, http_method: str, ops: list[PatchOperation]
) -> tuple[Definition, Integration]:
    changed = patch.apply(integration(d, resource_id, http_method), ops, INTEGRATION_SPEC)
    if changed.http_method:
        changed = dataclasses.replace(changed, http_method=changed.http_method.upper())
    _check_integration(changed)
    return _with_integration(d, resource_id, http_method, changed), changed


def delete_integration(d: Definition, resource_id: str, http_method: str) -> tuple[Definition, None]:
    integration(d, resource_id, http_method)
    return _with_integration(d, resource_id, http_method, None), None


def _status(code: str) -> str:
    if not _STATUS.fullmatch(code or ""):
        raise BadRequest("Invalid status code specified")
    return code


def _with_integration_responses(
    d: Definition, resource_id: str, http_method: str, responses: dict[str, IntegrationResponse]
) -> Definition:
    i = integration(d, resource_id, http_method)
    return _with_integration(d, resource_id, http_method, dataclasses.replace(i, integration_responses=responses))


def put_integration_response(
    d: Definition, resource_id: str, http_method: str, requested: IntegrationResponse
) -> tuple[Definition, IntegrationResponse]:
    i = integration(d, resource_id, http_method)
    code = _status(requested.status_code)
    selection.check(requested.selection_pattern or "")
    responses = {**(i.integration_responses or {}), code: requested}
    return _with_integration_responses(d, resource_id, http_method, responses), requested


def integration_response(d: Definition, resource_id: str, http_method: str, code: str) -> IntegrationResponse:
    found = (integration(d, resource_id, http_method).integration_responses or {}).get(code)
    if found is None:
        raise NotFound("Invalid Response status code specified")
    return found


def update_integration_response(
    d: Definition, resource_id: str, http_method: str, code: str, ops: list[PatchOperation]
) -> tuple[Definition, IntegrationResponse]:
    changed = patch.apply(integration_response(d, resource_id, http_method, code), ops, INTEGRATION_RESPONSE_SPEC)
    selection.check(changed.selection_pattern or "")
    responses = {**(integration(d, resource_id, http_method).integration_responses or {}), code: changed}
    return _with_integration_responses(d, resource_id, http_method, responses), changed


def delete_integration_response(
    d: Definition, resource_id: str, http_method: str, code: str
) -> tuple[Definition, None]:
    integration_response(d, resource_id, http_method, code)
    responses = integration(d, resource_id, http_method).integration_responses or {}
    kept = {k: r for k, r in responses.items() if k != code}
    return _with_integration_responses(d, resource_id, http_method, kept), None


def _with_method_responses(
    d: Definition, resource_id: str, http_method: str, responses: dict[str, MethodResponse]
) -> Definition:
    m = method(d, resource_id, http_method)
    return _with_method(d, resource_id, dataclasses.replace(m, method_responses=responses))


def put_method_response(
    d: Definition, resource_id: str, http_method: str, requested: MethodResponse
) -> tuple[Definition, MethodResponse]:
    m = method(d, resource_id, http_method)
    code = _status(requested.status_code)
    responses = {**(m.method_responses or {}), code: requested}
    return _with_method_responses(d, resource_id, http_method, responses), requested


def method_response(d: Definition, resource_id: str, http_method: str, code: str) -> MethodResponse:
    found = (method(d, resource_id, http_method).method_responses or {}).get(code)
    if found is None:
        raise NotFound("Invalid Response status code specified")
    return found


def update_method_response(
    d: Definition, resource_id: str, http_method: str, code: str, ops: list[PatchOperation]
) -> tuple[Definition, MethodResponse]:
    changed = patch.apply(method_response(d, resource_id, http_method, code), ops, METHOD_RESPONSE_SPEC)
    responses = {**(method(d, resource_id, http_method).method_responses or {}), code: changed}
    return _with_method_responses(d, resource_id, http_method, responses), changed


def delete_method_response(d: Definition, resource_id: str, http_method: str, code: str) -> tuple[Definition, None]:
    method_response(d, resource_id, http_method, code)
    responses = method(d, resource_id, http_method).method_responses or {}
    kept = {k: r for k, r in responses.items() if k != code}
    return _with_method_responses(d, resource_id, http_method, kept), None
