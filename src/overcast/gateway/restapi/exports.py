"""GetExport: a deployed REST API stage as an OpenAPI 3.0 or Swagger 2.0 definition.

`export` is pure: the stage's deployment snapshot in, the definition out, with the
`x-amazon-apigateway-*` extensions the caller asked for (`integrations`, `authorizers`, or
`apigateway` for all of them). What it writes, `openapi.build` reads back into the same
resources, methods, integrations and authorizers.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-export-api.html
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from overcast.errors import BadRequest

Doc = dict[str, Any]

EXT = "x-amazon-apigateway-"
EXPORT_TYPES = ("oas30", "swagger")
EXTENSIONS = ("integrations", "authorizers", "apigateway", "postman")
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
    api: Doc, stage: Doc, frozen: Doc, deployed_at: float, region: str, export_type: str, wanted: set[str]
) -> Doc:
    """The definition of what `stage` serves (its deployment's snapshot `frozen`)."""
    if export_type not in EXPORT_TYPES:
        raise BadRequest(f"Invalid export type specified. Must be one of: [{', '.join(EXPORT_TYPES)}]")
    oas3 = export_type == "oas30"
    host = f"{api['id']}.execute-api.{region}.amazonaws.com"
    out: Doc = {"openapi": "3.0.1"} if oas3 else {"swagger": "2.0"}
    info: Doc = {"title": api["name"]}
    if api.get("description"):
        info["description"] = api["description"]
    info["version"] = api.get("version") or iso(deployed_at)
    out["info"] = info
    if oas3:
        out["servers"] = [
            {"url": f"https://{host}/{{basePath}}", "variables": {"basePath": {"default": "/" + stage["stageName"]}}}
        ]
    else:
        out.update(host=host, basePath="/" + stage["stageName"], schemes=["https"])
    authorizers: dict[str, Doc] = frozen["authorizers"]
    used_schemes: set[str] = set()
    paths: Doc = {}
    for res in sorted(frozen["resources"].values(), key=lambda r: _ordered_path(r["path"])):
        item: Doc = {}
        for name, method in sorted(res["resourceMethods"].items()):
            key = EXT + "any-method" if name == "ANY" else name.lower()
            item[key] = _operation(method, authorizers, used_schemes, oas3, wanted)
        if item:
            paths[res["path"]] = item
    out["paths"] = paths
    schemes = _schemes(used_schemes, authorizers, wanted)
    if schemes:
        if oas3:
            out["components"] = {"securitySchemes": schemes}
        else:
            out["securityDefinitions"] = schemes
    if "apigateway" in wanted:
        if frozen.get("binaryMediaTypes"):
            out[EXT + "binary-media-types"] = list(frozen["binaryMediaTypes"])
        if frozen.get("apiKeySource", "HEADER") != "HEADER":
            out[EXT + "api-key-source"] = frozen["apiKeySource"]
        responses = {
            kind: {k: r[k] for k in ("statusCode", "responseParameters", "responseTemplates") if r.get(k)}
            for kind, r in sorted(frozen["gatewayResponses"].items())
        }
        if responses:
            out[EXT + "gateway-responses"] = responses
        if api.get("policy"):
            out[EXT + "policy"] = _policy(api["policy"])
    return out


def _policy(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _operation(method: Doc, authorizers: dict[str, Doc], used: set[str], oas3: bool, wanted: set[str]) -> Doc:
    op: Doc = {}
    if method.get("operationName"):
        op["operationId"] = method["operationName"]
    parameters = []
    for key, required in sorted((method.get("requestParameters") or {}).items()):
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
    for code, mr in sorted((method.get("methodResponses") or {}).items()):
        r: Doc = {"description": f"{code} response"}
        headers = {
            k.removeprefix("method.response.header."): ({"schema": {"type": "string"}} if oas3 else {"type": "string"})
            for k in sorted(mr.get("responseParameters") or {})
            if k.startswith("method.response.header.")
        }
        if headers:
            r["headers"] = headers
        responses[code] = r
    op["responses"] = responses
    security = []
    if method.get("authorizationType") in ("CUSTOM", "COGNITO_USER_POOLS"):
        found = authorizers.get(method.get("authorizerId") or "")
        if found is not None:
            used.add(found["id"])
            security.append({found["name"]: list(method.get("authorizationScopes") or [])})
    elif method.get("authorizationType") == "AWS_IAM":
        used.add(SIGV4_SCHEME)
        security.append({SIGV4_SCHEME: []})
    if method.get("apiKeyRequired"):
        used.add(API_KEY_SCHEME)
        security.append({API_KEY_SCHEME: []})
    if security:
        op["security"] = security
    integration = method.get("methodIntegration")
    if integration is not None and "integrations" in wanted:
        op[EXT + "integration"] = _integration(integration)
    return op


def _integration(i: Doc) -> Doc:
    out: Doc = {"type": i["type"].lower()}
    for key in ("httpMethod", "uri", "credentials", "connectionType", "connectionId", "timeoutInMillis",
                "cacheNamespace"):  # fmt: skip
        if i.get(key) is not None:
            out[key] = i[key]
    if i.get("passthroughBehavior"):
        out["passthroughBehavior"] = i["passthroughBehavior"].lower()
    if i.get("contentHandling"):
        out["contentHandling"] = i["contentHandling"]
    for key in ("requestParameters", "requestTemplates", "cacheKeyParameters"):
        if i.get(key):
            out[key] = i[key]
    responses: Doc = {}
    for code, r in sorted((i.get("integrationResponses") or {}).items()):
        entry: Doc = {"statusCode": code}
        for key in ("responseParameters", "responseTemplates", "contentHandling"):
            if r.get(key):
                entry[key] = r[key]
        responses[r.get("selectionPattern") or "default"] = entry
    if responses:
        out["responses"] = responses
    return out


def _schemes(used: set[str], authorizers: dict[str, Doc], wanted: set[str]) -> Doc:
    schemes: Doc = {}
    if API_KEY_SCHEME in used:
        schemes[API_KEY_SCHEME] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
    if SIGV4_SCHEME in used:
        schemes[SIGV4_SCHEME] = {
            "type": "apiKey", "name": "Authorization", "in": "header", EXT + "authtype": "awsSigv4",
        }  # fmt: skip
    for a in sorted(authorizers.values(), key=lambda a: a["name"]):
        if a["id"] not in used:
            continue
        sources = a.get("identitySource") or ""
        header = sources.removeprefix("method.request.header.") if a["type"] == "TOKEN" else "Unused"
        scheme: Doc = {"type": "apiKey", "name": header, "in": "header", EXT + "authtype": a.get("authType", "custom")}
        if "authorizers" in wanted:
            ext: Doc = {"type": _AUTHORIZER_TYPES[a["type"]]}
            for key in ("authorizerUri", "authorizerCredentials", "identitySource", "identityValidationExpression",
                        "providerARNs", "authorizerResultTtlInSeconds"):  # fmt: skip
                if a.get(key) is not None:
                    ext[key] = a[key]
            scheme[EXT + "authorizer"] = ext
        schemes[a["name"]] = scheme
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
