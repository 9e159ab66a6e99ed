"""GetExport: a deployed REST API stage as an OpenAPI 3.0 or Swagger 2.0 definition.

`export` is pure: the stage and its deployment's Snapshot in, the definition out, with the
`x-amazon-apigateway-*` extensions the caller asked for (`integrations`, `authorizers`, or
`apigateway` for all of them). What it writes, `openapi.build` reads back into the same
resources, methods, integrations, authorizers, models and request validators.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-export-api.html
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from overcast.apis.restapi import models
from overcast.apis.restapi.records import (
    Authorizer,
    GatewayResponse,
    Integration,
    Method,
    RequestValidator,
    RestApi,
    Snapshot,
    Stage,
)
from overcast.errors import BadRequest

Doc = dict[str, Any]

EXT = "x-amazon-apigateway-"
EXPORT_TYPES = ("oas30", "swagger")
# `documentation` adds the stage's documentation version (written by the apigateway table, which has it).
EXTENSIONS = ("integrations", "authorizers", "apigateway", "postman", "documentation")
_PLACES = {"path": "path", "querystring": "query", "header": "header"}
_AUTHORIZER_TYPES = {"TOKEN": "token", "REQUEST": "request", "COGNITO_USER_POOLS": "cognito_user_pools"}
API_KEY_SCHEME = "api_key"
SIGV4_SCHEME = "sigv4"


def extensions(parameters: dict[str, str] | None) -> set[str]:
    """The extension sets named in GetExport's `parameters` (`extensions=a,b`), checked."""
    raw = {k.lower(): v for k, v in (parameters or {}).items()}.get("extensions", "")
    wanted = {e.strip().lower() for e in raw.split(",") if e.strip()}
    unknown = wanted - set(EXTENSIONS)
    if unknown:
        raise BadRequest(f"Invalid extensions specified: {', '.join(sorted(unknown))}")
    if "apigateway" in wanted:
        wanted |= {"integrations", "authorizers"}
    return wanted


def iso(ts: float) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ordered_path(path: str) -> tuple[int, str]:
    return (0 if path == "/" else 1, path)


def export(
    api: RestApi, stage: Stage, snap: Snapshot, deployed_at: float, region: str, export_type: str, wanted: set[str]
) -> Doc:
    """The definition of what `stage` serves (its deployment's snapshot `snap`)."""
    if export_type not in EXPORT_TYPES:
        raise BadRequest(f"Invalid export type specified. Must be one of: [{', '.join(EXPORT_TYPES)}]")
    oas3 = export_type == "oas30"
    host = f"{api.id}.execute-api.{region}.amazonaws.com"
    out: Doc = {"openapi": "3.0.1"} if oas3 else {"swagger": "2.0"}
    info: Doc = {"title": api.name}
    if api.description:
        info["description"] = api.description
    info["version"] = api.version or iso(deployed_at)
    out["info"] = info
    if oas3:
        out["servers"] = [
            {"url": f"https://{host}/{{basePath}}", "variables": {"basePath": {"default": "/" + stage.stage_name}}}
        ]
    else:
        out.update(host=host, basePath="/" + stage.stage_name, schemes=["https"])
    used_schemes: set[str] = set()
    paths: Doc = {}
    for res in sorted(snap.resources.values(), key=lambda r: _ordered_path(r.path)):
        item: Doc = {}
        for name, method in sorted(res.resource_methods.items()):
            key = EXT + "any-method" if name == "ANY" else name.lower()
            item[key] = _operation(method, snap.authorizers, used_schemes, oas3, wanted)
            _request(item[key], method, snap.request_validators, oas3, wanted)
        if item:
            paths[res.path] = item
    out["paths"] = paths
    schemes = _schemes(used_schemes, snap.authorizers, wanted)
    schemas = {name: _schema(m.schema, oas3) for name, m in sorted(snap.models.items()) if m.schema}
    if oas3:
        components = {"schemas": schemas} if schemas else {}
        if schemes:
            components["securitySchemes"] = schemes
        if components:
            out["components"] = components
    else:
        if schemas:
            out["definitions"] = schemas
        if schemes:
            out["securityDefinitions"] = schemes
    if "apigateway" in wanted:
        if snap.binary_media_types:
            out[EXT + "binary-media-types"] = list(snap.binary_media_types)
        if snap.api_key_source != "HEADER":
            out[EXT + "api-key-source"] = snap.api_key_source
        responses = {kind: _gateway_response(r) for kind, r in sorted(snap.gateway_responses.items())}
        if responses:
            out[EXT + "gateway-responses"] = responses
        if api.policy:
            out[EXT + "policy"] = _policy(api.policy)
        validators = {_validator_name(v): _validator(v) for v in snap.request_validators.values()}
        if validators:
            out[EXT + "request-validators"] = validators
    return out


def _local_ref(name: str, oas3: bool) -> str:
    return ("#/components/schemas/" if oas3 else "#/definitions/") + name


def _schema(text: str, oas3: bool) -> Any:
    """A model's schema with its references to other models as references within the definition."""

    def local(value: Any) -> Any:
        if isinstance(value, list):
            return [local(v) for v in value]
        if not isinstance(value, dict):
            return value
        found = {}
        for key, v in value.items():
            name = models.referenced_model(v) if key == "$ref" and isinstance(v, str) else None
            found[key] = _local_ref(name, oas3) if name else local(v)
        return found

    try:
        return local(json.loads(text))
    except ValueError:
        return {}


def _validator_name(v: RequestValidator) -> str:
    return v.name or v.id


def _validator(v: RequestValidator) -> Doc:
    return {"validateRequestBody": v.validate_request_body, "validateRequestParameters": v.validate_request_parameters}


def _request(op: Doc, method: Method, validators: dict[str, RequestValidator], oas3: bool, wanted: set[str]) -> None:
    """The method's request models (OpenAPI 3's requestBody, Swagger's body parameter) and its validator."""
    request_models = sorted((method.request_models or {}).items())
    if request_models and oas3:
        content = {ct: {"schema": {"$ref": _local_ref(name, oas3)}} for ct, name in request_models}
        op["requestBody"] = {"content": content, "required": True}
    elif request_models:
        op["consumes"] = [ct for ct, _ in request_models]
        name = request_models[0][1]
        body = {"in": "body", "name": name, "required": True, "schema": {"$ref": _local_ref(name, oas3)}}
        op["parameters"] = [*op.get("parameters", []), body]
    v = validators.get(method.request_validator_id or "")
    if v is not None and "apigateway" in wanted:
        op[EXT + "request-validator"] = _validator_name(v)


def _gateway_response(r: GatewayResponse) -> Doc:
    out: Doc = {"statusCode": r.status_code} if r.status_code else {}
    if r.response_parameters:
        out["responseParameters"] = dict(r.response_parameters)
    if r.response_templates:
        out["responseTemplates"] = dict(r.response_templates)
    return out


def _policy(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _operation(method: Method, authorizers: dict[str, Authorizer], used: set[str], oas3: bool, wanted: set[str]) -> Doc:
    op: Doc = {}
    if method.operation_name:
        op["operationId"] = method.operation_name
    parameters = []
    for key, required in sorted((method.request_parameters or {}).items()):
        _, _, place, name = key.split(".", 3)
        if place not in _PLACES:
            continue
        p: Doc = {"name": name, "in": _PLACES[place], "required": bool(required or place == "path")}
        if oas3:
            p["schema"] = {"type": "string"}
        else:
            p["type"] = "string"
        parameters.append(p)
    if parameters:
        op["parameters"] = parameters
    responses: Doc = {}
    for code, mr in sorted((method.method_responses or {}).items()):
        r: Doc = {"description": f"{code} response"}
        headers = {
            k.removeprefix("method.response.header."): ({"schema": {"type": "string"}} if oas3 else {"type": "string"})
            for k in sorted(mr.response_parameters or {})
            if k.startswith("method.response.header.")
        }
        if headers:
            r["headers"] = headers
        responses[code] = r
    op["responses"] = responses
    security = []
    if method.authorization_type in ("CUSTOM", "COGNITO_USER_POOLS"):
        found = authorizers.get(method.authorizer_id or "")
        if found is not None:
            used.add(found.id)
            security.append({found.name: list(method.authorization_scopes or [])})
    elif method.authorization_type == "AWS_IAM":
        used.add(SIGV4_SCHEME)
        security.append({SIGV4_SCHEME: []})
    if method.api_key_required:
        used.add(API_KEY_SCHEME)
        security.append({API_KEY_SCHEME: []})
    if security:
        op["security"] = security
    if method.method_integration is not None and "integrations" in wanted:
        op[EXT + "integration"] = _integration(method.method_integration)
    return op


def _integration(i: Integration) -> Doc:
    out: Doc = {"type": i.type.lower()}
    for key, value in (
        ("httpMethod", i.http_method), ("uri", i.uri), ("credentials", i.credentials),
        ("connectionType", i.connection_type), ("connectionId", i.connection_id),
        ("timeoutInMillis", i.timeout_in_millis), ("cacheNamespace", i.cache_namespace),
    ):  # fmt: skip
        if value is not None:
            out[key] = value
    if i.passthrough_behavior:
        out["passthroughBehavior"] = i.passthrough_behavior.lower()
    if i.content_handling:
        out["contentHandling"] = i.content_handling
    for key, found in (
        ("requestParameters", i.request_parameters),
        ("requestTemplates", i.request_templates),
        ("cacheKeyParameters", i.cache_key_parameters),
    ):
        if found:
            out[key] = dict(found) if isinstance(found, dict) else list(found)
    responses: Doc = {}
    for code, r in sorted((i.integration_responses or {}).items()):
        entry: Doc = {"statusCode": code}
        for key, given in (
            ("responseParameters", r.response_parameters),
            ("responseTemplates", r.response_templates),
            ("contentHandling", r.content_handling),
        ):
            if given:
                entry[key] = dict(given) if isinstance(given, dict) else given
        responses[r.selection_pattern or "default"] = entry
    if responses:
        out["responses"] = responses
    return out


def _schemes(used: set[str], authorizers: dict[str, Authorizer], wanted: set[str]) -> Doc:
    schemes: Doc = {}
    if API_KEY_SCHEME in used:
        schemes[API_KEY_SCHEME] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
    if SIGV4_SCHEME in used:
        schemes[SIGV4_SCHEME] = {
            "type": "apiKey", "name": "Authorization", "in": "header", EXT + "authtype": "awsSigv4",
        }  # fmt: skip
    for a in sorted(authorizers.values(), key=lambda a: a.name):
        if a.id not in used:
            continue
        sources = a.identity_source or ""
        header = sources.removeprefix("method.request.header.") if a.type == "TOKEN" else "Unused"
        scheme: Doc = {"type": "apiKey", "name": header, "in": "header", EXT + "authtype": a.auth_type or "custom"}
        if "authorizers" in wanted:
            ext: Doc = {"type": _AUTHORIZER_TYPES[a.type]}
            for key, value in (
                ("authorizerUri", a.authorizer_uri), ("authorizerCredentials", a.authorizer_credentials),
                ("identitySource", a.identity_source),
                ("identityValidationExpression", a.identity_validation_expression),
                ("providerARNs", list(a.provider_arns) if a.provider_arns is not None else None),
                ("authorizerResultTtlInSeconds", a.authorizer_result_ttl_in_seconds),
            ):  # fmt: skip
                if value is not None:
                    ext[key] = value
            scheme[EXT + "authorizer"] = ext
        schemes[a.name] = scheme
    return schemes


def render(definition: Doc, accepts: str | None) -> tuple[bytes, str]:
    """The definition as bytes in the format `Accept` asks for, and the file extension."""
    accept = (accepts or "application/json").lower()
    if "yaml" in accept:
        import yaml  # here, not at start-up: ~12 ms and ~1 MB for the exports that ask for YAML

        return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True).encode("utf-8"), "yaml"
    if "json" in accept or "*/*" in accept:
        return json.dumps(definition, indent=2).encode("utf-8"), "json"
    raise BadRequest(f"Unsupported Accept type: {accepts}. Use application/json or application/yaml")
