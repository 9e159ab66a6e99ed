"""OpenAPI 3.0 / Swagger 2.0 import into a REST API document (ImportRestApi, PutRestApi).

`build` is pure: it takes the parsed definition and, for PutRestApi, the API's current document,
and returns the whole new document and the warnings, or raises BadRequest before anything is
stored. Each resource, method, integration, authorizer and gateway response goes through the same
checks as the operation that would create it (`resources`, `definition`), so an imported API obeys
the rules of one built call by call.
https://docs.aws.amazon.com/apigateway/latest/developerguide/import-edge-optimized-api.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from overcast.errors import AwsError, BadRequest
from overcast.gateway.restapi import definition, resources

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


def _authorizer_params(name: str, scheme: Doc) -> Doc:
    ext = scheme[EXT + "authorizer"]
    if not isinstance(ext, dict):
        raise BadRequest(f"Invalid {EXT}authorizer in security scheme {name}")
    kind = AUTHORIZER_TYPES.get(str(ext.get("type", "")).lower())
    if kind is None:
        raise BadRequest(f"Invalid authorizer type '{ext.get('type')}' in security scheme {name}")
    params: Doc = {"name": name, "type": kind}
    for key in ("authorizerUri", "authorizerCredentials", "identitySource", "identityValidationExpression",
                "providerARNs"):  # fmt: skip
        if ext.get(key) is not None:
            params[key] = ext[key]
    if ext.get("authorizerResultTtlInSeconds") is not None:
        params["authorizerResultTtlInSeconds"] = int(ext["authorizerResultTtlInSeconds"])
    if kind == "TOKEN" and "identitySource" not in params and scheme.get("name"):
        params["identitySource"] = f"method.request.header.{scheme['name']}"
    if scheme.get(EXT + "authtype"):
        params["authType"] = scheme[EXT + "authtype"]
    return params


def _step(what: str, fn: Callable[..., T], *args: Any) -> T:
    """Run one creation step, turning its BadRequest/Conflict into AWS's import error."""
    try:
        return fn(*args)
    except ImportErrors:
        raise
    except AwsError as e:  # BadRequest, Conflict, NotFound: the same wording
        raise ImportErrors([f"{what}: {e.message}"]) from None


class _Importer:
    """Applies one definition to a document (already reset for overwrite, or kept for merge)."""

    def __init__(self, spec: Doc, doc: Doc, basepath_mode: str) -> None:
        self.spec = spec
        self.doc = doc
        self.base = base_path(spec)
        self.basepath_mode = basepath_mode
        self.warnings: list[str] = []
        self.authorizer_ids: dict[str, str] = {}
        self.schemes = _security_schemes(spec)

    def run(self) -> None:
        self._api_attributes()
        self._authorizers()
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
        api = self.doc["api"]
        info: Doc = self.spec["info"] if isinstance(self.spec.get("info"), dict) else {}
        title = info.get("title")
        if not title:
            raise ImportErrors(["Unable to create RestApi: Invalid REST API name specified (info.title is missing)"])
        api["name"] = str(title)
        for key in ("description", "version"):
            if info.get(key) is not None:
                api[key] = str(info[key])
        if self.spec.get(EXT + "api-key-source") is not None:
            api["apiKeySource"] = str(self.spec[EXT + "api-key-source"]).upper()
        media = self.spec.get(EXT + "binary-media-types")
        if media:
            merged = list(api.get("binaryMediaTypes") or [])
            merged += [str(m) for m in media if str(m) not in merged]
            api["binaryMediaTypes"] = merged
        if self.spec.get(EXT + "minimum-compression-size") is not None:
            api["minimumCompressionSize"] = int(self.spec[EXT + "minimum-compression-size"])
        if self.spec.get(EXT + "policy") is not None:
            policy = self.spec[EXT + "policy"]
            api["policy"] = policy if isinstance(policy, str) else json.dumps(policy)
        endpoint = self.spec.get(EXT + "endpoint-configuration")
        if isinstance(endpoint, dict):
            if endpoint.get("types"):
                api["endpointConfiguration"]["types"] = list(endpoint["types"])
            if endpoint.get("disableExecuteApiEndpoint") is not None:
                api["disableExecuteApiEndpoint"] = bool(endpoint["disableExecuteApiEndpoint"])
        _step("Unable to update RestApi", definition.check_api, api)

    def _authorizers(self) -> None:
        by_name = {a["name"]: a["id"] for a in self.doc["authorizers"].values()}
        for name, scheme in self.schemes.items():
            if not isinstance(scheme, dict) or EXT + "authorizer" not in scheme:
                continue
            params = _step(f"Unable to create authorizer '{name}'", _authorizer_params, name, scheme)
            if name in by_name:  # merge: the definition's authorizer replaces the one of that name
                del self.doc["authorizers"][by_name[name]]
            made = _step(f"Unable to create authorizer '{name}'", definition.create_authorizer, self.doc, params)
            if name in by_name:
                del self.doc["authorizers"][made["id"]]
                made["id"] = by_name[name]
                self.doc["authorizers"][made["id"]] = made
            self.authorizer_ids[name] = made["id"]

    def _gateway_responses(self) -> None:
        for kind, value in _str_keys(self.spec.get(EXT + "gateway-responses")).items():
            value = value if isinstance(value, dict) else {}
            params: Doc = {
                "responseParameters": _str_map(value.get("responseParameters")),
                "responseTemplates": _str_map(value.get("responseTemplates")),
            }
            if value.get("statusCode") is not None:
                params["statusCode"] = str(value["statusCode"])
            _step(
                f"Unable to put gateway response '{kind}'",
                definition.put_gateway_response,
                self.doc,
                kind,
                params,
            )

    # -- paths ------------------------------------------------------------------------------------

    def _resource(self, path: str) -> Doc:
        """The resource at `path`, creating the missing ones on the way."""
        by_path = {r["path"]: r for r in self.doc["resources"].values()}
        current = by_path["/"]
        for part in [p for p in path.split("/") if p]:
            child_path = ("" if current["path"] == "/" else current["path"]) + "/" + part
            found = by_path.get(child_path)
            if found is None:
                found = _step(
                    f"Unable to create resource at path '{child_path}'",
                    resources.create_resource,
                    self.doc,
                    current["id"],
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

    def _method(self, res: Doc, raw_path: str, key: str, name: str, op: Doc, shared: list[Any]) -> None:
        where = f"'{name} {res['path']}'"
        if "responses" not in op and key != ANY_METHOD:
            self.warnings.append(f"Parse issue: attribute paths.'{raw_path}'({key}).responses is missing")
        params: Doc = {"httpMethod": name, "authorizationType": "NONE", "apiKeyRequired": False}
        if op.get("operationId"):
            params["operationName"] = str(op["operationId"])
        request_parameters = self._request_parameters([*shared, *(op.get("parameters") or [])])
        if request_parameters:
            params["requestParameters"] = request_parameters
        self._security(params, op.get("security", self.spec.get("security")) or [], where)
        res["resourceMethods"].pop(name, None)  # merge: the definition's method replaces the old one
        _step(f"Unable to put method {where}", resources.put_method, self.doc, res["id"], params)
        for code, response in _str_keys(op.get("responses")).items():
            if not re.fullmatch(r"[1-5]\d\d", code):
                continue  # `default` and ranges have no method response in API Gateway
            headers = _str_keys((response or {}).get("headers") if isinstance(response, dict) else {})
            mr: Doc = {"statusCode": code}
            if headers:
                mr["responseParameters"] = {f"method.response.header.{h}": False for h in headers}
            _step(
                f"Unable to put method response {code} on {where}",
                resources.put_method_response,
                self.doc,
                res["id"],
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

    def _security(self, params: Doc, requirements: list[Any], where: str) -> None:
        for requirement in requirements:
            for scheme_name, scopes in _str_keys(requirement).items():
                scheme = self.schemes.get(scheme_name)
                if not isinstance(scheme, dict):
                    raise ImportErrors(
                        [f"Unable to put method {where}: security scheme '{scheme_name}' is not defined"]
                    )
                if scheme_name in self.authorizer_ids:
                    authorizer = self.doc["authorizers"][self.authorizer_ids[scheme_name]]
                    params["authorizerId"] = authorizer["id"]
                    params["authorizationType"] = (
                        "COGNITO_USER_POOLS" if authorizer["type"] == "COGNITO_USER_POOLS" else "CUSTOM"
                    )
                    if scopes:
                        params["authorizationScopes"] = [str(s) for s in scopes]
                elif _is_api_key(scheme):
                    params["apiKeyRequired"] = True
                elif str(scheme.get(EXT + "authtype", "")).lower() == "awssigv4":
                    params["authorizationType"] = "AWS_IAM"
                else:
                    self.warnings.append(
                        f"Security scheme '{scheme_name}' on method {where} is not supported by API Gateway; ignored"
                    )

    def _integration(self, res: Doc, name: str, where: str, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise ImportErrors([f"Unable to put integration on {where}: {EXT}integration is not an object"])
        params: Doc = {"type": str(raw.get("type", "")).upper()}
        if raw.get("httpMethod"):
            params["integrationHttpMethod"] = str(raw["httpMethod"]).upper()
        if raw.get("passthroughBehavior"):
            params["passthroughBehavior"] = str(raw["passthroughBehavior"]).upper()
        if raw.get("contentHandling"):
            params["contentHandling"] = str(raw["contentHandling"]).upper()
        if raw.get("timeoutInMillis") is not None:
            params["timeoutInMillis"] = int(raw["timeoutInMillis"])
        for key in ("uri", "credentials", "cacheNamespace", "connectionType", "connectionId"):
            if raw.get(key) is not None:
                params[key] = str(raw[key])
        for key in ("requestParameters", "requestTemplates"):
            if raw.get(key):
                params[key] = _str_map(raw[key])
        if raw.get("cacheKeyParameters"):
            params["cacheKeyParameters"] = [str(k) for k in raw["cacheKeyParameters"]]
        _step(
            f"Unable to put integration on {where}",
            resources.put_integration,
            self.doc,
            res["id"],
            name,
            params,
        )
        for pattern, response in _str_keys(raw.get("responses")).items():
            response = response if isinstance(response, dict) else {}
            ir: Doc = {"statusCode": str(response.get("statusCode", ""))}
            if pattern != "default":
                ir["selectionPattern"] = pattern
            for key in ("responseParameters", "responseTemplates"):
                if response.get(key):
                    ir[key] = _str_map(response[key])
            if response.get("contentHandling"):
                ir["contentHandling"] = str(response["contentHandling"]).upper()
            _step(
                f"Unable to put integration response on {where} for pattern '{pattern}'",
                resources.put_integration_response,
                self.doc,
                res["id"],
                name,
                ir,
            )


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


def put(doc: Doc, spec: Doc, **kw: Any) -> list[str]:
    """PutRestApi inside RestApis.change: `doc` becomes the built document, or stays as it was."""
    built, warnings = build(spec, doc, **kw)
    doc.clear()
    doc.update(built)
    return warnings


def build(
    spec: Doc,
    current: Doc,
    *,
    mode: str = "overwrite",
    parameters: dict[str, str] | None = None,
    fail_on_warnings: bool = False,
) -> tuple[Doc, list[str]]:
    """The document `current` becomes with `spec` applied (a new one: `current` is not changed).

    overwrite replaces resources, methods, authorizers and gateway responses and keeps the API's
    id, root resource, stages and tags; merge adds the definition's to what is there, a method or
    authorizer of the same path and verb (or name) replacing the existing one.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-import-api-update.html
    """
    if mode not in MODES:
        raise BadRequest(f"Invalid mode specified. Must be one of: [{', '.join(MODES)}]")
    basepath_mode, types = options(parameters)
    doc = copy.deepcopy(current)
    if mode == "overwrite":
        root_id = doc["api"]["rootResourceId"]
        doc["resources"] = {root_id: resources.root(root_id)}
        doc["authorizers"] = {}
        doc["gatewayResponses"] = {}
        for key in ("description", "version", "binaryMediaTypes", "minimumCompressionSize", "policy"):
            doc["api"].pop(key, None)
    if types:
        doc["api"]["endpointConfiguration"] = {**doc["api"]["endpointConfiguration"], "types": types}
    importer = _Importer(spec, doc, basepath_mode)
    importer.run()
    if importer.warnings and fail_on_warnings:
        raise ImportErrors(importer.warnings, "Warnings found during import:")
    return doc, importer.warnings
