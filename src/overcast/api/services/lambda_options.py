"""Lambda's function options: Get/PutFunctionRecursionConfig and Get/PutRuntimeManagementConfig."""

from __future__ import annotations

from collections.abc import Mapping

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.lambda_functions import Lambda
from overcast.context import RequestContext
from overcast.functions.options import RuntimeManagement


async def get_function_recursion_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    return {"RecursiveLoop": await s.registry.options.recursion(ctx, p["FunctionName"])}


async def put_function_recursion_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    return {"RecursiveLoop": await s.registry.options.set_recursion(ctx, p["FunctionName"], p["RecursiveLoop"])}


def _runtime_out(config: RuntimeManagement) -> Output:
    out: Output = {"UpdateRuntimeOn": config.update_runtime_on, "FunctionArn": config.function_arn}
    if config.runtime_version_arn is not None:
        out["RuntimeVersionArn"] = config.runtime_version_arn
    return out


async def get_runtime_management_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    return _runtime_out(await s.registry.options.runtime_management(ctx, p["FunctionName"], p.get("Qualifier")))


async def put_runtime_management_config(s: Lambda, ctx: RequestContext, p: Params) -> Output:
    config = await s.registry.options.set_runtime_management(
        ctx, p["FunctionName"], p.get("Qualifier"), p["UpdateRuntimeOn"], p.get("RuntimeVersionArn")
    )
    return _runtime_out(config)


HANDLERS: Mapping[str, Unbound[Lambda]] = {
    "GetFunctionRecursionConfig": get_function_recursion_config,
    "PutFunctionRecursionConfig": put_function_recursion_config,
    "GetRuntimeManagementConfig": get_runtime_management_config,
    "PutRuntimeManagementConfig": put_runtime_management_config,
}
