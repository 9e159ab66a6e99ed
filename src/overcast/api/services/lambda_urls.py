"""Lambda's function URL operations: Create/Get/Update/Delete/ListFunctionUrlConfigs (FunctionUrlConfig)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.lambda_functions import Lambda, lambda_time, listed
from overcast.context import RequestContext
from overcast.functions.urls import Cors, UrlChange, UrlConfig

_CORS_FIELDS = (
    ("AllowCredentials", "allow_credentials"),
    ("AllowHeaders", "allow_headers"),
    ("AllowMethods", "allow_methods"),
    ("AllowOrigins", "allow_origins"),
    ("ExposeHeaders", "expose_headers"),
    ("MaxAge", "max_age"),
)


def _cors_in(value: Any) -> Cors | None:
    if not isinstance(value, dict):
        return None
    given = {name: value[wire] for wire, name in _CORS_FIELDS if value.get(wire) is not None}
    for name in ("allow_headers", "allow_methods", "allow_origins", "expose_headers"):
        if name in given:
            given[name] = tuple(str(item) for item in given[name])
    return Cors(**given)


def _cors_out(cors: Cors | None) -> Output:
    if cors is None:
        return {}
    out: Output = {}
    for wire, name in _CORS_FIELDS:
        value = getattr(cors, name)
        if value is not None:
            out[wire] = list(value) if isinstance(value, tuple) else value
    return out


def _change(p: Params) -> UrlChange:
    return UrlChange(p.get("AuthType"), _cors_in(p.get("Cors")), p.get("InvokeMode"))


def url_out(s: Lambda, config: UrlConfig, *, modified: bool = True) -> Output:
    out: Output = {
        "FunctionUrl": s.function_url(config.url_id, config.region),
        "FunctionArn": config.function_arn,
        "AuthType": config.auth_type,
    }
    if config.cors is not None:
        out["Cors"] = _cors_out(config.cors)
    out["CreationTime"] = lambda_time(config.created)
    if modified:
        out["LastModifiedTime"] = lambda_time(config.modified)
    out["InvokeMode"] = config.invoke_mode
    return out


async def create_function_url_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    config = await s.registry.urls.create(ctx, p["FunctionName"], p.get("Qualifier"), _change(p))
    return url_out(s, config, modified=False)


async def get_function_url_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    return url_out(s, await s.registry.urls.get(ctx, p["FunctionName"], p.get("Qualifier")))


async def update_function_url_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    return url_out(s, await s.registry.urls.update(ctx, p["FunctionName"], p.get("Qualifier"), _change(p)))


async def delete_function_url_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    await s.registry.urls.delete(ctx, p["FunctionName"], p.get("Qualifier"))
    return {}


async def list_function_url_configs(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.registry.urls.list(ctx, p["FunctionName"], p.get("Marker"), p.get("MaxItems"))
    return listed("FunctionUrlConfigs", [url_out(s, config) for config in found], marker)


HANDLERS: Mapping[str, Unbound[Lambda]] = {
    "CreateFunctionUrlConfig": create_function_url_config,
    "GetFunctionUrlConfig": get_function_url_config,
    "UpdateFunctionUrlConfig": update_function_url_config,
    "DeleteFunctionUrlConfig": delete_function_url_config,
    "ListFunctionUrlConfigs": list_function_url_configs,
}
