"""Stages: a named pointer to a deployment with its variables, cache cluster and method settings.

Method settings are keyed as AWS keys them, `<resource path with / as ~1, no leading />/<METHOD>`,
and `*/*` for the whole stage; patch paths name them as `/~1pets/GET/caching/enabled` and
`/*/*/throttling/rateLimit`.
https://docs.aws.amazon.com/apigateway/latest/api/API_Stage.html
https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html#UpdateStage-Patch
"""

from __future__ import annotations

import copy
import re
from typing import Any

from overcast.errors import BadRequest
from overcast.gateway.errors import Conflict, NotFound
from overcast.gateway.restapi import patch
from overcast.gateway.restapi.patch import Field, PatchOperation

Doc = dict[str, Any]

# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html
CACHE_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
_STAGE_NAME = re.compile(r"[a-zA-Z0-9_]{1,128}")
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")

STAGE_SPEC: patch.Spec = {
    "/description": Field(("description",)),
    "/deploymentId": Field(("deploymentId",), removable=False),
    "/cacheClusterEnabled": Field(("cacheClusterEnabled",), "bool", removable=False),
    "/cacheClusterSize": Field(("cacheClusterSize",), removable=False, choices=CACHE_SIZES),
    "/tracingEnabled": Field(("tracingEnabled",), "bool", removable=False),
    "/clientCertificateId": Field(("clientCertificateId",)),
    "/documentationVersion": Field(("documentationVersion",)),
    "/webAclArn": Field(("webAclArn",)),
    "/variables": Field(("variables",), "map"),
    "/accessLogSettings/format": Field(("accessLogSettings", "format")),
    "/accessLogSettings/destinationArn": Field(("accessLogSettings", "destinationArn")),
    "/accessLogSettings": Field(("accessLogSettings",), "map"),
}
# `<group>/<setting>` of a method-settings patch path -> (MethodSetting member, kind)
METHOD_SETTINGS: dict[str, tuple[str, str]] = {
    "metrics/enabled": ("metricsEnabled", "bool"),
    "logging/loglevel": ("loggingLevel", "str"),
    "logging/dataTrace": ("dataTraceEnabled", "bool"),
    "throttling/burstLimit": ("throttlingBurstLimit", "int"),
    "throttling/rateLimit": ("throttlingRateLimit", "float"),
    "caching/enabled": ("cachingEnabled", "bool"),
    "caching/ttlInSeconds": ("cacheTtlInSeconds", "int"),
    "caching/dataEncrypted": ("cacheDataEncrypted", "bool"),
    "caching/requireAuthorizationForCacheControl": ("requireAuthorizationForCacheControl", "bool"),
    "caching/unauthorizedCacheControlHeaderStrategy": ("unauthorizedCacheControlHeaderStrategy", "str"),
}
# What AWS fills in for a method setting entry that a patch creates.
METHOD_SETTING_DEFAULTS: Doc = {
    "metricsEnabled": False,
    "dataTraceEnabled": False,
    "throttlingBurstLimit": 5000,
    "throttlingRateLimit": 10000.0,
    "cachingEnabled": False,
    "cacheTtlInSeconds": 300,
    "cacheDataEncrypted": False,
    "requireAuthorizationForCacheControl": True,
    "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
}


def stage(doc: Doc, name: str) -> Doc:
    found: Doc | None = doc["stages"].get(name)
    if found is None:
        raise NotFound("Invalid Stage identifier specified")
    return found


def setting_key(resource_path: str, http_method: str) -> str:
    """The methodSettings key of a method: "~1pets~1{id}/GET"; "*/*" for the stage."""
    if resource_path == "*":
        return f"*/{http_method}"
    return resource_path.replace("~", "~0").replace("/", "~1") + "/" + http_method


def _check(s: Doc) -> None:
    if s.get("cacheClusterSize") not in (None, *CACHE_SIZES):
        raise BadRequest(f"Invalid cache cluster size specified. Must be one of: [{', '.join(CACHE_SIZES)}]")
    for name in s.get("variables") or {}:
        if not _VARIABLE_NAME.fullmatch(name):
            raise BadRequest("Stage variable names must only contain alphanumeric characters and underscores")
    s["cacheClusterStatus"] = "AVAILABLE" if s.get("cacheClusterEnabled") else "NOT_AVAILABLE"
    if s.get("cacheClusterEnabled"):
        s.setdefault("cacheClusterSize", "0.5")
    if not s.get("accessLogSettings"):
        s.pop("accessLogSettings", None)


def create_stage(doc: Doc, params: dict[str, Any], now: float) -> Doc:
    name = params.get("stageName") or ""
    if not _STAGE_NAME.fullmatch(name):
        raise BadRequest("Stage name only allows a-zA-Z0-9_")
    if name in doc["stages"]:
        raise Conflict("Stage already exists")
    s: Doc = {
        "stageName": name,
        "deploymentId": params["deploymentId"],
        "cacheClusterEnabled": bool(params.get("cacheClusterEnabled", False)),
        "methodSettings": {},
        "tracingEnabled": bool(params.get("tracingEnabled", False)),
        "createdDate": now,
        "lastUpdatedDate": now,
    }
    for key in ("description", "cacheClusterSize", "variables", "documentationVersion", "tags"):
        if params.get(key) is not None:
            s[key] = copy.deepcopy(params[key])
    _check(s)
    doc["stages"][name] = s
    return s


def update_stage(doc: Doc, name: str, ops: list[PatchOperation], now: float, deployments: set[str]) -> Doc:
    """Apply patch operations; `deployments` are the API's deployment ids (a stage may point at one only)."""
    changed = copy.deepcopy(stage(doc, name))
    patch.apply(changed, ops, STAGE_SPEC, _method_setting)
    if changed["deploymentId"] not in deployments:
        raise BadRequest("Deployment id does not exist")
    changed["lastUpdatedDate"] = now
    _check(changed)
    doc["stages"][name] = changed
    return changed


def _method_setting(s: Doc, op: PatchOperation) -> bool:
    """Method-settings paths: /{resourcePath}/{method}/{group}/{setting}, or remove /{path}/{method}."""
    segs = op.path.split("/")[1:]
    if len(segs) not in (2, 4) or segs[0] in ("variables", "accessLogSettings"):
        return False
    key = f"{segs[0]}/{segs[1]}"
    if len(segs) == 2:
        if op.op != "remove":
            return False
        s["methodSettings"].pop(key, None)
        return True
    setting = METHOD_SETTINGS.get(f"{segs[2]}/{segs[3]}")
    if setting is None:
        raise BadRequest(f"Invalid method setting path: {op.path}")
    member, kind = setting
    # A method's own entry starts from the stage's (`*/*`) settings, as the console's override does.
    inherited = s["methodSettings"].get("*/*", {}) if key != "*/*" else {}
    entry = s["methodSettings"].setdefault(key, {**METHOD_SETTING_DEFAULTS, **inherited})
    if op.op == "remove":
        entry.pop(member, None)
    elif op.op in ("add", "replace"):
        entry[member] = patch.convert(Field((member,), kind), op.path, op.value)
    else:
        raise BadRequest(f"Invalid patch operation specified for path {op.path}")
    if member in ("throttlingRateLimit", "throttlingBurstLimit") and entry[member] < 0:
        raise BadRequest("Throttling limits must not be negative")
    if member == "cacheTtlInSeconds" and not 0 <= entry[member] <= 3600:
        raise BadRequest("Cache TTL must be between 0 and 3600 seconds")
    return True


def delete_stage(doc: Doc, name: str) -> None:
    stage(doc, name)
    del doc["stages"][name]
