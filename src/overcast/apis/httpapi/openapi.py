"""OpenAPI 3.0 import into an HTTP API's records (ImportApi, ReimportApi), and export (ExportApi).

`build` is pure: a parsed definition in, a `Definition` (API attributes, integrations, routes,
authorizers, CORS, warnings) out, every record checked by the same `validation` as the operation
that would create it; HttpApis stores it in one transaction. `export` is the reverse, from the
records a stage serves (or the API's current ones).
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-open-api.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-swagger-extensions.html
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi import validation
from overcast.apis.restapi.openapi import OPERATIONS, base_path, full_path, options
from overcast.errors import AwsError, BadRequest

Doc = dict[str, Any]
T = TypeVar("T")
EXT = "x-amazon-apigateway-"
_CORS = {"allowOrigins": "allow_origins", "allowMethods": "allow_methods", "allowHeaders": "allow_headers",
         "exposeHeaders": "expose_headers", "maxAge": "max_age", "allowCredentials": "allow_credentials"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    description: str | None
    version: str | None
    cors: rec.CorsConfig | None
    integrations: tuple[rec.Integration, ...]
    routes: tuple[rec.Route, ...]
    authorizers: tuple[rec.Authorizer, ...]
    warnings: tuple[str, ...] = ()


def _errors(problem: str) -> BadRequest:
    return BadRequest(f"Errors found during import:\n\t{problem}")


def _step(what: str, fn: Callable[..., T], *args: Any) -> T:
    try:
        return fn(*args)
    except AwsError as e:
        raise _errors(f"{what}: {e.message}") from None


def _sources(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return tuple(str(s).strip() for s in items if str(s).strip())


def _authorizer(new_id: Callable[[], str], name: str, ext: Doc) -> rec.Authorizer:
    kind = str(ext.get("type", "")).upper()
    jwt = ext.get("jwtConfiguration") or {}
    audience = jwt.get("audience")
    ttl = ext.get("authorizerResultTtlInSeconds")
    return rec.Authorizer(
        authorizer_id=new_id(),
        name=name,
        authorizer_type=kind,
        identity_source=_sources(ext.get("identitySource", "$request.header.Authorization" if kind == "JWT" else "")),
        jwt_issuer=jwt.get("issuer") if kind == "JWT" else None,
        jwt_audience=tuple(audience) if kind == "JWT" and audience is not None else None,
        authorizer_uri=ext.get("authorizerUri"),
        payload_format_version=ext.get("authorizerPayloadFormatVersion") if kind == "REQUEST" else None,
        enable_simple_responses=ext.get("enableSimpleResponses"),
        result_ttl_seconds=int(ttl) if ttl is not None else (0 if kind == "REQUEST" else None),
        credentials_arn=ext.get("authorizerCredentials"),
    )


def _integration(new_id: Callable[[], str], raw: Doc) -> rec.Integration:
    kind = str(raw.get("type", "")).upper()
    tls = raw.get("tlsConfig") or {}
    return rec.Integration(
        integration_id=new_id(),
        integration_type=kind,
        integration_uri=raw.get("uri"),
        integration_method=str(raw["httpMethod"]).upper() if raw.get("httpMethod") else None,
        integration_subtype=raw.get("integrationSubtype"),
        payload_format_version=str(raw.get("payloadFormatVersion") or ("2.0" if kind == "AWS_PROXY" else "1.0")),
        timeout_in_millis=int(raw.get("timeoutInMillis") or 30_000),
        request_parameters=raw.get("requestParameters") or None,
        response_parameters=raw.get("responseParameters") or None,
        connection_type=str(raw.get("connectionType") or "INTERNET").upper(),
        connection_id=raw.get("connectionId"),
        credentials_arn=raw.get("credentials"),
        tls_server_name=tls.get("serverNameToVerify"),
    )


def build(spec: Doc, new_id: Callable[[], str], parameters: dict[str, str] | None = None) -> Definition:
    basepath_mode, _ = options(parameters)
    info: Doc = spec["info"] if isinstance(spec.get("info"), dict) else {}
    if not info.get("title"):
        raise _errors("Unable to create Api: info.title is missing (an API needs a name)")
    if "openapi" not in spec:
        raise BadRequest("Invalid OpenAPI input: HTTP APIs import OpenAPI 3.0 definitions only")
    warnings: list[str] = []
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    authorizers: dict[str, rec.Authorizer] = {}
    for name, scheme in schemes.items():
        if isinstance(scheme, dict) and isinstance(scheme.get(EXT + "authorizer"), dict):
            a = _step(
                f"Unable to create authorizer '{name}'", _authorizer, new_id, str(name), scheme[EXT + "authorizer"]
            )
            _step(f"Unable to create authorizer '{name}'", validation.authorizer, a)
            authorizers[str(name)] = a
    cors = None
    if isinstance(spec.get(EXT + "cors"), dict):
        raw = spec[EXT + "cors"]
        given: dict[str, Any] = {f: raw[k] for k, f in _CORS.items() if k in raw}
        converted: dict[str, Any] = {f: tuple(v) if isinstance(v, list) else v for f, v in given.items()}
        cors = rec.CorsConfig(**converted)
        _step("Unable to set CORS configuration", validation.cors, cors)
    paths = spec.get("paths")
    if not isinstance(paths, dict):
        raise _errors("Parse issue: attribute paths is missing")
    integrations: list[rec.Integration] = []
    routes: list[rec.Route] = []
    base = base_path(spec)
    by_id = {a.authorizer_id: a for a in authorizers.values()}
    for raw_path, item in sorted(paths.items(), key=lambda kv: str(kv[0])):
        path = str(raw_path)
        for key, op in (item or {}).items():
            method = OPERATIONS.get(str(key).lower())
            if method is None or not isinstance(op, dict):
                continue
            route_key = "$default" if path == "$default" else f"{method} {full_path(path, base, basepath_mode)}"
            where = f"route '{route_key}'"
            fields: Doc = {"route_key": route_key}
            if op.get("operationId"):
                fields["operation_name"] = str(op["operationId"])
            for requirement in op.get("security", spec.get("security")) or []:
                for scheme_name, scopes in (requirement or {}).items():
                    found = authorizers.get(scheme_name)
                    if found is None:
                        warnings.append(f"Security scheme '{scheme_name}' on {where} has no {EXT}authorizer; ignored")
                        continue
                    fields["authorizer_id"] = found.authorizer_id
                    fields["authorization_type"] = "JWT" if found.authorizer_type == "JWT" else "CUSTOM"
                    if scopes:
                        fields["authorization_scopes"] = tuple(str(s) for s in scopes)
            if isinstance(op.get(EXT + "integration"), dict):
                integration = _step(f"Unable to create integration for {where}", _integration, new_id,
                                    op[EXT + "integration"])  # fmt: skip
                _step(f"Unable to create integration for {where}", validation.integration, integration)
                integrations.append(integration)
                fields["target"] = f"integrations/{integration.integration_id}"
            else:
                warnings.append(f"No {EXT}integration on {where}; the route has no target")
            route = rec.Route(route_id=new_id(), **fields)
            _step(f"Unable to create {where}", validation.route_key, route_key)
            _step(f"Unable to create {where}", validation.route, route, by_id, [i.integration_id for i in integrations])
            if any(r.route_key == route_key for r in routes):
                raise _errors(f"Unable to create {where}: a route with this key already exists")
            routes.append(route)
    return Definition(
        name=str(info["title"]),
        description=info.get("description"),
        version=str(info["version"]) if info.get("version") is not None else None,
        cors=cors,
        integrations=tuple(integrations),
        routes=tuple(routes),
        authorizers=tuple(authorizers.values()),
        warnings=tuple(warnings),
    )


def export(
    api: rec.Api,
    routes: Iterable[rec.Route],
    integrations: Iterable[rec.Integration],
    authorizers: Iterable[rec.Authorizer],
    cors: rec.CorsConfig | None,
    *,
    stage: str | None,
    include_extensions: bool = True,
) -> Doc:
    """The OpenAPI 3.0 definition of these records, as ExportApi writes it."""
    by_integration = {i.integration_id: i for i in integrations}
    by_authorizer = {a.authorizer_id: a for a in authorizers}
    created = datetime.datetime.fromtimestamp(api.created, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out: Doc = {"openapi": "3.0.1", "info": {"title": api.name, "version": api.version or created}}
    if api.description:
        out["info"]["description"] = api.description
    default = "" if stage in (None, rec.DEFAULT_STAGE) else stage
    out["servers"] = [{
        "url": f"https://{api.api_id}.execute-api.{api.region}.amazonaws.com/{{basePath}}",
        "variables": {"basePath": {"default": default}},
    }]  # fmt: skip
    paths: Doc = {}
    used: set[str] = set()
    for r in sorted(routes, key=lambda r: r.route_key):
        method, path = ("ANY", "$default") if r.route_key == "$default" else validation.split_route_key(r.route_key)
        op: Doc = {"responses": {"default": {"description": "Default response for " + r.route_key}}}
        if r.operation_name:
            op["operationId"] = r.operation_name
        names = [p[1:-1].rstrip("+") for p in path.split("/") if p.startswith("{")]
        if names:
            op["parameters"] = [
                {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
            ]
        a = by_authorizer.get(r.authorizer_id or "")
        if a is not None:
            used.add(a.authorizer_id)
            op["security"] = [{a.name: list(r.authorization_scopes or [])}]
        i = by_integration.get(r.integration_id or "")
        if i is not None and include_extensions:
            op[EXT + "integration"] = _integration_out(i)
        paths.setdefault(path, {})[EXT + "any-method" if method == "ANY" else method.lower()] = op
    out["paths"] = paths
    schemes = {a.name: _scheme(a, include_extensions) for a in by_authorizer.values() if a.authorizer_id in used}
    if schemes:
        out["components"] = {"securitySchemes": schemes}
    if include_extensions:
        if cors is not None:
            out[EXT + "cors"] = {k: (list(v) if isinstance(v, tuple) else v) for k, f in _CORS.items()
                                 if (v := getattr(cors, f)) is not None}  # fmt: skip
        out[EXT + "importexport-version"] = "1.0"
    return out


def _integration_out(i: rec.Integration) -> Doc:
    out: Doc = {"type": i.integration_type.lower(), "uri": i.integration_uri,
                "payloadFormatVersion": i.payload_format_version, "connectionType": i.connection_type,
                "timeoutInMillis": i.timeout_in_millis}  # fmt: skip
    if i.integration_method:
        out["httpMethod"] = i.integration_method
    for key, value in (("requestParameters", i.request_parameters), ("responseParameters", i.response_parameters),
                       ("credentials", i.credentials_arn), ("connectionId", i.connection_id)):  # fmt: skip
        if value:
            out[key] = value
    if i.tls_server_name:
        out["tlsConfig"] = {"serverNameToVerify": i.tls_server_name}
    return out


def _scheme(a: rec.Authorizer, include_extensions: bool) -> Doc:
    if a.authorizer_type == "JWT":
        scheme: Doc = {"type": "oauth2", "flows": {}}
        ext: Doc = {"type": "jwt", "identitySource": ",".join(a.identity_source),
                    "jwtConfiguration": {"issuer": a.jwt_issuer, "audience": list(a.jwt_audience or [])}}  # fmt: skip
    else:
        scheme = {"type": "apiKey", "name": "Authorization", "in": "header"}
        ext = {"type": "request", "identitySource": ",".join(a.identity_source), "authorizerUri": a.authorizer_uri,
               "authorizerPayloadFormatVersion": a.payload_format_version,
               "authorizerResultTtlInSeconds": a.result_ttl_seconds or 0}  # fmt: skip
        if a.enable_simple_responses is not None:
            ext["enableSimpleResponses"] = a.enable_simple_responses
    if include_extensions:
        scheme[EXT + "authorizer"] = ext
    return scheme
