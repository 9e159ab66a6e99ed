"""Stages: a named pointer to a deployment with its variables, cache cluster and method settings.

Method settings are keyed as AWS keys them, `<resource path with / as ~1, no leading />/<METHOD>`,
and `*/*` for the whole stage; patch paths name them as `/~1pets/GET/caching/enabled` and
`/*/*/throttling/rateLimit`.
https://docs.aws.amazon.com/apigateway/latest/api/API_Stage.html
https://docs.aws.amazon.com/apigateway/latest/api/patch-operations.html#UpdateStage-Patch
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from overcast.apis.errors import Conflict, NotFound
from overcast.apis.restapi import patch
from overcast.apis.restapi.patch import Field, PatchOperation
from overcast.apis.restapi.records import AccessLogSettings, Definition, MethodSetting, Stage
from overcast.errors import BadRequest

# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html
CACHE_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")
_STAGE_NAME = re.compile(r"[a-zA-Z0-9_]{1,128}")
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
STAGE_WIDE = "*/*"

STAGE_SPEC: patch.Spec = {
    "/description": Field(("description",)),
    "/deploymentId": Field(("deployment_id",), removable=False),
    "/cacheClusterEnabled": Field(("cache_cluster_enabled",), "bool", removable=False),
    "/cacheClusterSize": Field(("cache_cluster_size",), removable=False, choices=CACHE_SIZES),
    "/tracingEnabled": Field(("tracing_enabled",), "bool", removable=False),
    "/clientCertificateId": Field(("client_certificate_id",)),
    "/documentationVersion": Field(("documentation_version",)),
    "/webAclArn": Field(("web_acl_arn",)),
    "/variables": Field(("variables",), "map"),
    "/accessLogSettings/format": Field(("access_log_settings", "format")),
    "/accessLogSettings/destinationArn": Field(("access_log_settings", "destination_arn")),
    "/accessLogSettings": Field(("access_log_settings",), "object"),
}
# `<group>/<setting>` of a method-settings patch path -> (MethodSetting field, kind)
METHOD_SETTINGS: dict[str, tuple[str, str]] = {
    "metrics/enabled": ("metrics_enabled", "bool"),
    "logging/loglevel": ("logging_level", "str"),
    "logging/dataTrace": ("data_trace_enabled", "bool"),
    "throttling/burstLimit": ("throttling_burst_limit", "int"),
    "throttling/rateLimit": ("throttling_rate_limit", "float"),
    "caching/enabled": ("caching_enabled", "bool"),
    "caching/ttlInSeconds": ("cache_ttl_in_seconds", "int"),
    "caching/dataEncrypted": ("cache_data_encrypted", "bool"),
    "caching/requireAuthorizationForCacheControl": ("require_authorization_for_cache_control", "bool"),
    "caching/unauthorizedCacheControlHeaderStrategy": ("unauthorized_cache_control_header_strategy", "str"),
}
# What AWS fills in for a method setting entry that a patch creates.
METHOD_SETTING_DEFAULTS = MethodSetting(
    metrics_enabled=False,
    data_trace_enabled=False,
    throttling_burst_limit=5000,
    throttling_rate_limit=10000.0,
    caching_enabled=False,
    cache_ttl_in_seconds=300,
    cache_data_encrypted=False,
    require_authorization_for_cache_control=True,
    unauthorized_cache_control_header_strategy="SUCCEED_WITH_RESPONSE_HEADER",
)


@dataclass(frozen=True, slots=True)
class StageRequest:
    """What CreateStage, or CreateDeployment for its stage, asks of a stage; None: not asked."""

    description: str | None = None
    cache_cluster_enabled: bool | None = None
    cache_cluster_size: str | None = None
    variables: dict[str, str] | None = None
    documentation_version: str | None = None
    tracing_enabled: bool | None = None


def stage(d: Definition, name: str) -> Stage:
    found = d.stages.get(name)
    if found is None:
        raise NotFound("Invalid Stage identifier specified")
    return found


def setting_key(resource_path: str, http_method: str) -> str:
    """The methodSettings key of a method: "~1pets~1{id}/GET"; "*/*" for the stage."""
    if resource_path == "*":
        return f"*/{http_method}"
    return patch.escape(resource_path) + "/" + http_method


def overlay(*settings: MethodSetting | None) -> MethodSetting:
    """Method settings layered: each setting from the last of them that sets it."""
    merged: dict[str, object] = {}
    for s in settings:
        if s is not None:
            merged.update({f.name: v for f in dataclasses.fields(s) if (v := getattr(s, f.name)) is not None})
    return MethodSetting(**merged)  # type: ignore[arg-type]


def _check(s: Stage) -> Stage:
    if s.cache_cluster_size not in (None, *CACHE_SIZES):
        raise BadRequest(f"Invalid cache cluster size specified. Must be one of: [{', '.join(CACHE_SIZES)}]")
    for name in s.variables or {}:
        if not _VARIABLE_NAME.fullmatch(name):
            raise BadRequest("Stage variable names must only contain alphanumeric characters and underscores")
    logs = s.access_log_settings
    return dataclasses.replace(
        s,
        cache_cluster_status="AVAILABLE" if s.cache_cluster_enabled else "NOT_AVAILABLE",
        cache_cluster_size=s.cache_cluster_size or ("0.5" if s.cache_cluster_enabled else None),
        access_log_settings=logs if logs is not None and logs != AccessLogSettings() else None,
    )


def create_stage(
    d: Definition, name: str, deployment_id: str, asked: StageRequest, now: float
) -> tuple[Definition, Stage]:
    if not _STAGE_NAME.fullmatch(name or ""):
        raise BadRequest("Stage name only allows a-zA-Z0-9_")
    if name in d.stages:
        raise Conflict("Stage already exists")
    s = _check(
        Stage(
            stage_name=name,
            deployment_id=deployment_id,
            created_date=now,
            last_updated_date=now,
            cache_cluster_enabled=bool(asked.cache_cluster_enabled),
            tracing_enabled=bool(asked.tracing_enabled),
            description=asked.description,
            cache_cluster_size=asked.cache_cluster_size,
            variables=dict(asked.variables) if asked.variables is not None else None,
            documentation_version=asked.documentation_version,
        )
    )
    return dataclasses.replace(d, stages={**d.stages, name: s}), s


def deploy_to(
    d: Definition, name: str, deployment_id: str, asked: StageRequest, now: float
) -> tuple[Definition, Stage]:
    """CreateDeployment's stage: a new one, or the existing one pointed at the deployment, its
    variables merged with those asked and the cache and tracing settings asked replaced."""
    existing = d.stages.get(name)
    if existing is None:
        return create_stage(d, name, deployment_id, asked, now)
    changes: dict[str, object] = {"deployment_id": deployment_id, "last_updated_date": now}
    if asked.variables:
        changes["variables"] = {**(existing.variables or {}), **asked.variables}
    for key in ("cache_cluster_enabled", "cache_cluster_size", "tracing_enabled"):
        if getattr(asked, key) is not None:
            changes[key] = getattr(asked, key)
    s = _check(dataclasses.replace(existing, **changes))  # type: ignore[arg-type]
    return dataclasses.replace(d, stages={**d.stages, name: s}), s


def update_stage(
    d: Definition, name: str, ops: list[PatchOperation], now: float, deployments: set[str]
) -> tuple[Definition, Stage]:
    """Apply patch operations; `deployments` are the API's deployment ids (a stage may point at one only)."""
    changed = patch.apply(stage(d, name), ops, STAGE_SPEC, _method_setting)
    if changed.deployment_id not in deployments:
        raise BadRequest("Deployment id does not exist")
    changed = _check(dataclasses.replace(changed, last_updated_date=now))
    return dataclasses.replace(d, stages={**d.stages, name: changed}), changed


def _method_setting(s: Stage, op: PatchOperation) -> Stage | None:
    """Method-settings paths: /{resourcePath}/{method}/{group}/{setting}, or remove /{path}/{method}."""
    segs = op.path.split("/")[1:]
    if len(segs) not in (2, 4) or segs[0] in ("variables", "accessLogSettings"):
        return None
    key = f"{segs[0]}/{segs[1]}"
    if len(segs) == 2:
        if op.op != "remove":
            return None
        return dataclasses.replace(s, method_settings={k: v for k, v in s.method_settings.items() if k != key})
    setting = METHOD_SETTINGS.get(f"{segs[2]}/{segs[3]}")
    if setting is None:
        raise BadRequest(f"Invalid method setting path: {op.path}")
    member, kind = setting
    # A method's own entry starts from the stage's (`*/*`) settings, as the console's override does.
    entry = s.method_settings.get(key) or overlay(
        METHOD_SETTING_DEFAULTS, s.method_settings.get(STAGE_WIDE) if key != STAGE_WIDE else None
    )
    if op.op == "remove":
        entry = dataclasses.replace(entry, **{member: None})
    elif op.op in ("add", "replace"):
        entry = dataclasses.replace(entry, **{member: patch.convert(Field((member,), kind), op.path, op.value)})
    else:
        raise BadRequest(f"Invalid patch operation specified for path {op.path}")
    value = getattr(entry, member)
    if member in ("throttling_rate_limit", "throttling_burst_limit") and value is not None and value < 0:
        raise BadRequest("Throttling limits must not be negative")
    if member == "cache_ttl_in_seconds" and value is not None and not 0 <= value <= 3600:
        raise BadRequest("Cache TTL must be between 0 and 3600 seconds")
    return dataclasses.replace(s, method_settings={**s.method_settings, key: entry})


def delete_stage(d: Definition, name: str) -> tuple[Definition, None]:
    stage(d, name)
    return dataclasses.replace(d, stages={k: v for k, v in d.stages.items() if k != name}), None
