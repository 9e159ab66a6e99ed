"""Lambda's event invoke config operations: Put/Get/Update/Delete/ListFunctionEventInvokeConfigs."""

from __future__ import annotations

from collections.abc import Mapping

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.lambda_functions import Lambda, listed
from overcast.context import RequestContext
from overcast.functions.event_invoke import EventInvokeConfig, settings_in


def config_out(config: EventInvokeConfig) -> Output:
    settings = config.settings
    # LastModified: a timestamp, epoch seconds on Lambda's wire (the model's Date shape).
    out: Output = {"LastModified": config.last_modified, "FunctionArn": config.function_arn}
    if settings.maximum_retry_attempts is not None:
        out["MaximumRetryAttempts"] = settings.maximum_retry_attempts
    if settings.maximum_event_age_in_seconds is not None:
        out["MaximumEventAgeInSeconds"] = settings.maximum_event_age_in_seconds
    destinations: Output = {}
    for member, arn in (("OnSuccess", settings.on_success), ("OnFailure", settings.on_failure)):
        destinations[member] = {"Destination": arn} if arn is not None else {}
    out["DestinationConfig"] = destinations
    return out


async def put_function_event_invoke_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    config = await s.registry.event_invoke.put(ctx, p["FunctionName"], p.get("Qualifier"), settings_in(p))
    return config_out(config)


async def update_function_event_invoke_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    config = await s.registry.event_invoke.update(ctx, p["FunctionName"], p.get("Qualifier"), settings_in(p))
    return config_out(config)


async def get_function_event_invoke_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    return config_out(await s.registry.event_invoke.get(ctx, p["FunctionName"], p.get("Qualifier")))


async def delete_function_event_invoke_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    await s.registry.event_invoke.delete(ctx, p["FunctionName"], p.get("Qualifier"))
    return {}


async def list_function_event_invoke_configs(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    configs, marker = await s.registry.event_invoke.list(ctx, p["FunctionName"], p.get("Marker"), p.get("MaxItems"))
    return listed("FunctionEventInvokeConfigs", [config_out(config) for config in configs], marker)


HANDLERS: Mapping[str, Unbound[Lambda]] = {
    "PutFunctionEventInvokeConfig": put_function_event_invoke_config,
    "UpdateFunctionEventInvokeConfig": update_function_event_invoke_config,
    "GetFunctionEventInvokeConfig": get_function_event_invoke_config,
    "DeleteFunctionEventInvokeConfig": delete_function_event_invoke_config,
    "ListFunctionEventInvokeConfigs": list_function_event_invoke_configs,
}
