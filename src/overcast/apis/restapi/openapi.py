"""OpenAPI 3.0 / Swagger 2.0 import into a REST API's Definition (ImportRestApi, PutRestApi).

`build` is pure: it takes the parsed definition and, for PutRestApi, the API's current Definition,
and returns the whole new Definition and the warnings, or raises BadRequest before anything is
stored. Each resource, method, integration, authorizer and gateway response goes through the same
checks as the operation that would create it (`resources`, `definition`), so an imported API obeys
the rules of one built call by call.
https://docs.aws.amazon.com/apigateway/latest/developerguide/import-edge-optimized-api.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from overcast.apis.restapi import definition, models, resources
from overcast.apis.restapi.records import (
    Authorizer,
    Definition,
    GatewayResponse,
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    Model,
    RequestValidator,
    Resource,
)
from overcast.errors import AwsError, BadRequest

Doc = dict[str, Any]
T = TypeVar("T")

EXT = "x-amazon-apigateway-"
ANY_METHOD = EXT + "any-method"
# OpenAPI operation keys -> API Gateway methods; `trace` has no API Gateway method.
OPERATIONS = {"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "options": "OPTIONS",
              "head": "HEAD", "patch": "PATCH", ANY_METHOD: "ANY"}  # fmt: skip
AUTHORIZER_TYPES = {"token": "TOKEN", "request": "REQUEST", "cognito_user_pools": "COGNITO_USER_POOLS"}
BASEPATH_MODES = ("ignore", "prepend", "split")
MODES = ("overwrite", "merge")
_PARAMETER_PLACES = {"path": "path", "query": "querystring", "header": "header"}
# Where a definition keeps its schemas; a reference to one becomes the model's canonical URL.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/models-mappings-models.html
_SCHEMA_REFS = ("#/definitions/", "#/components/schemas/")


class ImportErrors(BadRequest):
    """BadRequestException listing what made the definition unimportable, as AWS words it."""

    def __init__(self, problems: list[str], heading: str = "Errors found during import:") -> None:
        super().__init__(heading + "".join(f"\n\t{p}" for p in problems))


def parse(body: bytes | str) -> Doc:
    """The definition from a JSON or YAML body; BadRequest when it is neither, or not OpenAPI."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    spec: Any
    try:
        spec = json.loads(text)
    except ValueError:
        import yaml  # here, not at start-up: ~12 ms and ~1 MB for the imports written in YAML

        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError:
            spec = None
    if not isinstance(spec, dict):
        raise BadRequest("Invalid OpenAPI input.")
    version = str(spec.get("openapi") or spec.get("swagger") or "")
    if not (version == "2.0" or version.startswith("3.0")):
        raise BadRequest(
            "Invalid OpenAPI input: the document needs 'swagger: \"2.0\"' or 'openapi: \"3.0.x\"'"
            + (f" (found {version})" if version else "")
        )
    return spec


def _str_keys(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def base_path(spec: Doc) -> str:
    """Swagger's basePath, or the path of OpenAPI 3's first server URL with its variables' defaults."""
    if "swagger" in spec:
        return str(spec.get("basePath") or "/")
    servers = spec.get("servers") or []
    if not servers or not isinstance(servers[0], dict):
        return "/"
    url = str(servers[0].get("url") or "")
    for name, var in _str_keys(servers[0].get("variables")).items():
        url = url.replace("{" + name + "}", str((var or {}).get("default", "")).strip("/"))
    path = urlsplit(url).path if "://" in url else url
    return "/" + path.strip("/")


def full_path(path: str, base: str, mode: str) -> str:
    # basepath=prepend puts the whole base path before every path, split drops its first segment.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-import-api-basePath.html
    segments = [s for s in base.split("/") if s]
    if mode == "split":
        segments = segments[1:]
    if mode == "ignore" or not segments:
        return path
    return "/" + "/".join(segments) + ("" if path == "/" else path)


def _security_schemes(spec: Doc) -> Doc:
    if "swagger" in spec:
        return _str_keys(spec.get("securityDefinitions"))
    return _str_keys((spec.get("components") or {}).get("securitySchemes"))


def _is_api_key(scheme: Doc) -> bool:
    return (
        scheme.get("type") == "apiKey"
        and str(scheme.get("name", "")).lower() == "x-api-key"
        and scheme.get("in") == "header"
        and EXT + "authorizer" not in scheme
    )


def _authorizer_params(name: str, scheme: Doc, existing: str) -> Authorizer:
    """The authorizer a security scheme's extension describes (under the id `existing`, or a new one)."""
    ext = scheme[EXT + "authorizer"]
    if not isinstance(ext, dict):
        raise BadRequest(f"Invalid {EXT}authorizer in security scheme {name}")
    kind = AUTHORIZER_TYPES.get(str(ext.get("type", "")).lower())
    if kind is None:
        raise BadRequest(f"Invalid authorizer type '{ext.get('type')}' in security scheme {name}")
    identity_source = ext.get("identitySource")
    if kind == "TOKEN" and identity_source is None and scheme.get("name"):
        identity_source = f"method.request.header.{scheme['name']}"
    ttl = ext.get("authorizerResultTtlInSeconds")
    providers = ext.get("providerARNs")
    return Authorizer(
        id=existing,
        name=name,
        type=kind,
        authorizer_uri=ext.get("authorizerUri"),
        authorizer_credentials=ext.get("authorizerCredentials"),
        identity_source=identity_source,
        identity_validation_expression=ext.get("identityValidationExpression"),
        provider_arns=tuple(str(p) for p in providers) if providers is not None else None,
        authorizer_result_ttl_in_seconds=int(ttl) if ttl is not None else None,
        auth_type=scheme.get(EXT + "authtype") or None,
    )


def _step(what: str, fn: Callable[..., T], *args: Any) -> T:
    """Run one creation step, turning its BadRequest/Conflict into AWS's import error."""
    try:
        return fn(*args)
    except ImportErrors:
        raise
    except AwsError as e:  # BadRequest, Conflict, NotFound: the same wording
        raise ImportErrors([f"{what}: {e.message}"]) from None


class _Importer:
    """Applies one definition to an API's Definition (already reset for overwrite, or kept for merge)."""

    def __init__(self, spec: Doc, d: Definition, basepath_mode: str) -> None:
        self.spec = spec
        self.d = d
        self.base = base_path(spec)
        self.basepath_mode = basepath_mode
        self.warnings: list[str] = []
        self.authorizer_ids: dict[str, str] = {}
        self.validator_ids: dict[str, str] = {}
        self.schemes = _security_schemes(spec)

    def run(self) -> None:
        self._api_attributes()
        self._authorizers()
        self._models()
        self._validators()
        paths = self.spec.get("paths")
        if not isinstance(paths, dict):
            raise ImportErrors(["Parse issue: attribute paths is missing"])
        for raw_path in sorted(paths, key=str):
            item = paths[raw_path]
            path = str(raw_path)
            if not path.startswith("/"):
                raise ImportErrors([f"Invalid resource path specified: {path} (a path starts with /)"])
            if not isinstance(item, dict):
                raise ImportErrors([f"Parse issue: attribute paths.'{path}' is not an object"])
            self._path(path, item)
        self._gateway_responses()

    # -- API-level extensions ------------------------------------------------------------------

    def _api_attributes(self) -> None:
        api = self.d.api
        info: Doc = self.spec["info"] if isinstance(self.spec.get("info"), dict) else {}
        title = info.get("title")
        if not title:
            raise ImportErrors(["Unable to create RestApi: Invalid REST API name specified (info.title is missing)"])
        changes: dict[str, Any] = {"name": str(title)}
        for key in ("description", "version"):
            if info.get(key) is not None:
                changes[key] = str(info[key])
        if self.spec.get(EXT + "api-key-source") is not None:
            changes["api_key_source"] = str(self.spec[EXT + "api-key-source"]).upper()
        media = self.spec.get(EXT + "binary-media-types")
        if media:
            merged = list(api.binary_media_types or ())
            merged += [str(m) for m in media if str(m) not in merged]
            changes["binary_media_types"] = tuple(merged)
        if self.spec.get(EXT + "minimum-compression-size") is not None:
            changes["minimum_compression_size"] = int(self.spec[EXT + "minimum-compression-size"])
        if self.spec.get(EXT + "policy") is not None:
            policy = self.spec[EXT + "policy"]
            changes["policy"] = policy if isinstance(policy, str) else json.dumps(policy)
        endpoint = self.spec.get(EXT + "endpoint-configuration")
        if isinstance(endpoint, dict):
            if endpoint.get("types"):
                types = tuple(str(t) for t in endpoint["types"])
                changes["endpoint_configuration"] = dataclasses.replace(api.endpoint_configuration, types=types)
            if endpoint.get("disableExecuteApiEndpoint") is not None:
                changes["disable_execute_api_endpoint"] = bool(endpoint["disableExecuteApiEndpoint"])
        checked = _step("Unable to update RestApi", definition.check_api, dataclasses.replace(api, **changes))
        self.d = dataclasses.replace(self.d, api=checked)

    def _authorizers(self) -> None:
        by_name = {a.name: a.id for a in self.d.authorizers.values()}
        for name, scheme in self.schemes.items():
            if not isinstance(scheme, dict) or EXT + "authorizer" not in scheme:
                continue
            existing = by_name.get(name, "")  # merge: the definition's authorizer replaces the one of that name
            requested = _step(f"Unable to create authorizer '{name}'", _authorizer_params, name, scheme, existing)
            if existing:
                kept = {k: a for k, a in self.d.authorizers.items() if k != existing}
                self.d = dataclasses.replace(self.d, authorizers=kept)
            self.d, made = _step(
                f"Unable to create authorizer '{name}'", definition.create_authorizer, self.d, requested
            )
            self.authorizer_ids[name] = made.id

    def _models(self) -> None:
        """Swagger's definitions or OpenAPI 3's components.schemas, as application/json models."""
        if "swagger" in self.spec:
            schemas = _str_keys(self.spec.get("definitions"))
        else:
            schemas = _str_keys((self.spec.get("components") or {}).get("schemas"))
        made = [
            Model("", name, "application/json", json.dumps(_canonical(schema, self.d.api.id)))
            for name, schema in schemas.items()
        ]
        if made:
            self.d = _step("Unable to create models", models.put_models, self.d, made)

    def _validators(self) -> None:
        """x-amazon-apigateway-request-validators: a validator of the same name is replaced, keeping its id.
        https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-request-validators.html
        """
        by_name = {v.name: v.id for v in self.d.request_validators.values()}
        for name, raw in _str_keys(self.spec.get(EXT + "request-validators")).items():
            raw = raw if isinstance(raw, dict) else {}
            requested = RequestValidator(
                by_name.get(name, ""),
                name,
                validate_request_body=bool(raw.get("validateRequestBody")),
                validate_request_parameters=bool(raw.get("validateRequestParameters")),
            )
            self.d, made = models.create_request_validator(self.d, requested)
            self.validator_ids[name] = made.id

    def _validator_id(self, op: Doc, where: str) -> str | None:
        """The method's validator: its own x-amazon-apigateway-request-validator, else the definition's."""
        name = op.get(EXT + "request-validator", self.spec.get(EXT + "request-validator"))
        if name is None:
            return None
        if str(name) not in self.validator_ids:
            raise ImportErrors([f"Unable to put method {where}: request validator '{name}' is not defined"])
        return self.validator_ids[str(name)]

    def _request_models(self, op: Doc) -> dict[str, str]:
        """content type -> model name, from an OpenAPI 3 requestBody or a Swagger body parameter, where its
        schema references a model (inline schemas make no model)."""
        found: dict[str, str] = {}
        if "swagger" in self.spec:
            types = op.get("consumes") or self.spec.get("consumes") or ["application/json"]
            for p in op.get("parameters") or []:
                if isinstance(p, dict) and p.get("in") == "body":
                    name = _model_name(p.get("schema"))
                    found.update({str(t): name for t in types if name})
        else:
            for content_type, media in _str_keys(_str_keys(op.get("requestBody")).get("content")).items():
                name = _model_name(media.get("schema") if isinstance(media, dict) else None)
                if name:
                    found[content_type] = name
        return found

    def _gateway_responses(self) -> None:
        for kind, value in _str_keys(self.spec.get(EXT + "gateway-responses")).items():
            value = value if isinstance(value, dict) else {}
            requested = GatewayResponse(
                response_type=kind,
                status_code=str(value["statusCode"]) if value.get("statusCode") is not None else None,
                response_parameters=_str_map(value.get("responseParameters")),
                response_templates=_str_map(value.get("responseTemplates")),
            )
            self.d, _ = _step(
                f"Unable to put gateway response '{kind}'", definition.put_gateway_response, self.d, requested
            )

    # -- paths ------------------------------------------------------------------------------------

    def _resource(self, path: str) -> Resource:
        """The resource at `path`, creating the missing ones on the way."""
        by_path = {r.path: r for r in self.d.resources.values()}
        current = by_path["/"]
        for part in [p for p in path.split("/") if p]:
            child_path = ("" if current.path == "/" else current.path) + "/" + part
            found = by_path.get(child_path)
            if found is None:
                self.d, found = _step(
                    f"Unable to create resource at path '{child_path}'",
                    resources.create_resource,
                    self.d,
                    current.id,
                    part,
                )
                by_path[child_path] = found
            current = found
        return current

    def _path(self, raw_path: str, item: Doc) -> None:
        path = full_path(raw_path, self.base, self.basepath_mode)
        res = self._resource(path)
        shared = item.get("parameters") or []
        for key, operation in item.items():
            name = OPERATIONS.get(str(key).lower())
            if name is None:
                if str(key).lower() == "trace":
                    self.warnings.append(f"Unsupported HTTP method 'TRACE' ignored on path '{raw_path}'")
                continue
            if not isinstance(operation, dict):
                raise ImportErrors([f"Parse issue: attribute paths.'{raw_path}'({key}) is not an object"])
            self._method(res, raw_path, str(key), name, operation, shared)

    def _method(self, res: Resource, raw_path: str, key: str, name: str, op: Doc, shared: list[Any]) -> None:
        where = f"'{name} {res.path}'"
        if "responses" not in op and key != ANY_METHOD:
            self.warnings.append(f"Parse issue: attribute paths.'{raw_path}'({key}).responses is missing")
        request_parameters = self._request_parameters([*shared, *(op.get("parameters") or [])])
        requested = Method(
            http_method=name,
            operation_name=str(op["operationId"]) if op.get("operationId") else None,
            request_parameters=request_parameters or None,
            request_validator_id=self._validator_id(op, where),
            request_models=self._request_models(op) or None,
        )
        requested = self._security(requested, op.get("security", self.spec.get("security")) or [], where)
        if name in resources.resource(self.d, res.id).resource_methods:
            self.d, _ = resources.delete_method(self.d, res.id, name)  # merge: the definition's method replaces it
        self.d, _ = _step(f"Unable to put method {where}", resources.put_method, self.d, res.id, requested)
        for code, response in _str_keys(op.get("responses")).items():
            if not re.fullmatch(r"[1-5]\d\d", code):
                continue  # `default` and ranges have no method response in API Gateway
            headers = _str_keys((response or {}).get("headers") if isinstance(response, dict) else {})
            mr = MethodResponse(code, {f"method.response.header.{h}": False for h in headers} or None)
            self.d, _ = _step(
                f"Unable to put method response {code} on {where}",
                resources.put_method_response,
                self.d,
                res.id,
                name,
                mr,
            )
        integration = op.get(EXT + "integration")
        if integration is not None:
            self._integration(res, name, where, integration)

    def _request_parameters(self, raw: list[Any]) -> dict[str, bool]:
        out: dict[str, bool] = {}
        for p in raw:
            if not isinstance(p, dict) or "$ref" in p:
                continue
            place = _PARAMETER_PLACES.get(str(p.get("in")))
            if place and p.get("name"):
                out[f"method.request.{place}.{p['name']}"] = bool(p.get("required", place == "path"))
        return out

    def _security(self, m: Method, requirements: list[Any], where: str) -> Method:
        for requirement in requirements:
            for scheme_name, scopes in _str_keys(requirement).items():
                scheme = self.schemes.get(scheme_name)
                if not isinstance(scheme, dict):
                    raise ImportErrors(
                        [f"Unable to put method {where}: security scheme '{scheme_name}' is not defined"]
                    )
                if scheme_name in self.authorizer_ids:
                    authorizer = self.d.authorizers[self.authorizer_ids[scheme_name]]
                    cognito = authorizer.type == "COGNITO_USER_POOLS"
                    m = dataclasses.replace(
                        m,
                        authorizer_id=authorizer.id,
                        authorization_type="COGNITO_USER_POOLS" if cognito else "CUSTOM",
                        authorization_scopes=tuple(str(s) for s in scopes) if scopes else m.authorization_scopes,
                    )
                elif _is_api_key(scheme):
                    m = dataclasses.replace(m, api_key_required=True)
                elif str(scheme.get(EXT + "authtype", "")).lower() == "awssigv4":
                    m = dataclasses.replace(m, authorization_type="AWS_IAM")
                else:
                    self.warnings.append(
                        f"Security scheme '{scheme_name}' on method {where} is not supported by API Gateway; ignored"
                    )
        return m

    def _integration(self, res: Resource, name: str, where: str, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise ImportErrors([f"Unable to put integration on {where}: {EXT}integration is not an object"])
        given: dict[str, Any] = {}
        for field, value in (
            ("http_method", raw.get("httpMethod")),
            ("passthrough_behavior", raw.get("passthroughBehavior")),
            ("content_handling", raw.get("contentHandling")),
        ):
            if value:
                given[field] = str(value).upper()
        if raw.get("timeoutInMillis") is not None:
            given["timeout_in_millis"] = int(raw["timeoutInMillis"])
        for field, key in (
            ("uri", "uri"), ("credentials", "credentials"), ("cache_namespace", "cacheNamespace"),
            ("connection_type", "connectionType"), ("connection_id", "connectionId"),
        ):  # fmt: skip
            if raw.get(key) is not None:
                given[field] = str(raw[key])
        for field, key in (("request_parameters", "requestParameters"), ("request_templates", "requestTemplates")):
            if raw.get(key):
                given[field] = _str_map(raw[key])
        if raw.get("cacheKeyParameters"):
            given["cache_key_parameters"] = tuple(str(k) for k in raw["cacheKeyParameters"])
        requested = Integration(type=str(raw.get("type", "")).upper(), **given)
        self.d, _ = _step(
            f"Unable to put integration on {where}", resources.put_integration, self.d, res.id, name, requested
        )
        for pattern, response in _str_keys(raw.get("responses")).items():
            response = response if isinstance(response, dict) else {}
            ir = IntegrationResponse(
                status_code=str(response.get("statusCode", "")),
                selection_pattern=pattern if pattern != "default" else None,
                response_parameters=_str_map(response["responseParameters"])
                if response.get("responseParameters") else None,
                response_templates=_str_map(response["responseTemplates"])
                if response.get("responseTemplates") else None,
                content_handling=str(response["contentHandling"]).upper() if response.get("contentHandling") else None,
            )  # fmt: skip
            self.d, _ = _step(
                f"Unable to put integration response on {where} for pattern '{pattern}'",
                resources.put_integration_response,
                self.d,
                res.id,
                name,
                ir,
            )


def _model_name(schema: Any) -> str | None:
    """The model a schema object names by reference (`$ref: '#/definitions/Pet'`), or None."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    for prefix in _SCHEMA_REFS:
        if isinstance(ref, str) and ref.startswith(prefix) and "/" not in ref[len(prefix) :]:
            return ref[len(prefix) :]
    return None


def _canonical(schema: Any, api_id: str) -> Any:
    """A definition's schema with its references to the definition's schemas as models' canonical URLs."""
    if isinstance(schema, list):
        return [_canonical(item, api_id) for item in schema]
    if not isinstance(schema, dict):
        return schema
    name = _model_name(schema)
    return {
        key: models.model_url(api_id, name) if key == "$ref" and name else _canonical(value, api_id)
        for key, value in schema.items()
    }


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def options(parameters: dict[str, str] | None) -> tuple[str, list[str]]:
    """(basepath mode, endpoint types) from ImportRestApi's `parameters`, checked."""
    parameters = {k.lower(): v for k, v in (parameters or {}).items()}
    mode = parameters.get("basepath", "ignore").lower()
    if mode not in BASEPATH_MODES:
        raise BadRequest(f"Invalid basepath parameter '{mode}'. Must be one of: [{', '.join(BASEPATH_MODES)}]")
    types = [t.strip().upper() for t in parameters.get("endpointconfigurationtypes", "").split(",") if t.strip()]
    return mode, types


def build(
    spec: Doc,
    current: Definition,
    *,
    mode: str = "overwrite",
    parameters: dict[str, str] | None = None,
    fail_on_warnings: bool = False,
) -> tuple[Definition, list[str]]:
    """The Definition `current` becomes with `spec` applied, and the import's warnings.

    overwrite replaces resources, methods, authorizers, models, request validators and gateway responses
    and keeps the API's id, root resource, default models, stages and tags; merge adds the definition's
    to what is there, a method, authorizer, model or validator of the same path and verb (or name)
    replacing the existing one.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-import-api-update.html
    """
    if mode not in MODES:
        raise BadRequest(f"Invalid mode specified. Must be one of: [{', '.join(MODES)}]")
    basepath_mode, types = options(parameters)
    d = current
    if mode == "overwrite":
        root_id = d.api.root_resource_id
        kept = dataclasses.replace(
            d.api, description=None, version=None, binary_media_types=None, minimum_compression_size=None, policy=None
        )
        defaults = {name: m for name, m in d.models.items() if name in models.DEFAULT_MODELS}
        d = dataclasses.replace(d, api=kept, resources={root_id: resources.root(root_id)}, authorizers={},
                                gateway_responses={}, models=defaults, request_validators={})  # fmt: skip
    if types:
        endpoint = dataclasses.replace(d.api.endpoint_configuration, types=tuple(types))
        d = dataclasses.replace(d, api=dataclasses.replace(d.api, endpoint_configuration=endpoint))
    importer = _Importer(spec, d, basepath_mode)
    importer.run()
    if importer.warnings and fail_on_warnings:
        raise ImportErrors(importer.warnings, "Warnings found during import:")
    return importer.d, importer.warnings
