"""API Gateway (v1) operations on a REST API's resources, methods, integrations and their responses.

Part of the apigateway operation table (`apigateway.HANDLERS`), over the same services object.
https://docs.aws.amazon.com/apigateway/latest/api/API_Resource.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.apigateway_wire import embeds, into, ops, out, page, resource
from overcast.context import RequestContext
from overcast.gateway.restapi import resources
from overcast.gateway.restapi.paging import page_in_memory
from overcast.gateway.restapi.records import Integration, IntegrationResponse, Method, MethodResponse

if TYPE_CHECKING:
    from overcast.api.services.apigateway import Services


def _method(p: Params) -> tuple[str, str]:
    """(resource id, HTTP method): which method an operation names."""
    return p["resourceId"], p["httpMethod"]


async def create_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    made = await s.apis.change(
        ctx, p["restApiId"], lambda d: resources.create_resource(d, p["parentId"], p.get("pathPart", ""))
    )
    return resource(made, True)


async def get_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    d = await s.apis.read(ctx, p["restApiId"])
    return resource(resources.resource(d, p["resourceId"]), embeds(p, "methods"))


async def get_resources(s: Services, ctx: RequestContext, p: Params) -> Output:
    d = await s.apis.read(ctx, p["restApiId"])
    found, position = page_in_memory(
        ctx, list(d.resources.values()), lambda r: r.path, p.get("limit"), p.get("position"), p["restApiId"]
    )
    return page([resource(r, embeds(p, "methods")) for r in found], position)


async def update_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    changed = await s.apis.change(ctx, p["restApiId"], lambda d: resources.update_resource(d, p["resourceId"], ops(p)))
    return resource(changed, True)


async def delete_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.change(ctx, p["restApiId"], lambda d: resources.delete_resource(d, p["resourceId"]))
    return {}


async def put_method(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = into(Method, p)
    return out(await s.apis.change(ctx, p["restApiId"], lambda d: resources.put_method(d, p["resourceId"], requested)))


async def get_method(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(resources.method(await s.apis.read(ctx, p["restApiId"]), p["resourceId"], p["httpMethod"]))


async def update_method(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(
        await s.apis.change(
            ctx, p["restApiId"], lambda d: resources.update_method(d, p["resourceId"], p["httpMethod"], ops(p))
        )
    )


async def delete_method(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.change(ctx, p["restApiId"], lambda d: resources.delete_method(d, p["resourceId"], p["httpMethod"]))
    return {}


async def put_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    # PutIntegration's httpMethod names the method; the integration's own is integrationHttpMethod.
    requested = into(Integration, {**p, "httpMethod": p.get("integrationHttpMethod")})
    return out(
        await s.apis.change(
            ctx, p["restApiId"], lambda d: resources.put_integration(d, p["resourceId"], p["httpMethod"], requested)
        )
    )


async def get_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(resources.integration(await s.apis.read(ctx, p["restApiId"]), p["resourceId"], p["httpMethod"]))


async def update_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(
        await s.apis.change(
            ctx, p["restApiId"], lambda d: resources.update_integration(d, p["resourceId"], p["httpMethod"], ops(p))
        )
    )


async def delete_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.change(
        ctx, p["restApiId"], lambda d: resources.delete_integration(d, p["resourceId"], p["httpMethod"])
    )
    return {}


async def put_integration_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = into(IntegrationResponse, p)
    return out(
        await s.apis.change(
            ctx, p["restApiId"],
            lambda d: resources.put_integration_response(d, p["resourceId"], p["httpMethod"], requested),
        )
    )  # fmt: skip


async def get_integration_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    d = await s.apis.read(ctx, p["restApiId"])
    return out(resources.integration_response(d, p["resourceId"], p["httpMethod"], p["statusCode"]))


async def update_integration_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(
        await s.apis.change(
            ctx, p["restApiId"],
            lambda d: resources.update_integration_response(d, *_method(p), p["statusCode"], ops(p)),
        )
    )  # fmt: skip


async def delete_integration_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.change(
        ctx, p["restApiId"],
        lambda d: resources.delete_integration_response(d, p["resourceId"], p["httpMethod"], p["statusCode"]),
    )  # fmt: skip
    return {}


async def put_method_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = into(MethodResponse, p)
    return out(
        await s.apis.change(
            ctx, p["restApiId"], lambda d: resources.put_method_response(d, p["resourceId"], p["httpMethod"], requested)
        )
    )


async def get_method_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    d = await s.apis.read(ctx, p["restApiId"])
    return out(resources.method_response(d, p["resourceId"], p["httpMethod"], p["statusCode"]))


async def update_method_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(
        await s.apis.change(
            ctx, p["restApiId"],
            lambda d: resources.update_method_response(d, *_method(p), p["statusCode"], ops(p)),
        )
    )  # fmt: skip


async def delete_method_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.change(
        ctx, p["restApiId"],
        lambda d: resources.delete_method_response(d, p["resourceId"], p["httpMethod"], p["statusCode"]),
    )  # fmt: skip
    return {}


METHOD_HANDLERS: dict[str, Unbound[Services]] = {
    "CreateResource": create_resource,
    "GetResource": get_resource,
    "GetResources": get_resources,
    "UpdateResource": update_resource,
    "DeleteResource": delete_resource,
    "PutMethod": put_method,
    "GetMethod": get_method,
    "UpdateMethod": update_method,
    "DeleteMethod": delete_method,
    "PutIntegration": put_integration,
    "GetIntegration": get_integration,
    "UpdateIntegration": update_integration,
    "DeleteIntegration": delete_integration,
    "PutIntegrationResponse": put_integration_response,
    "GetIntegrationResponse": get_integration_response,
    "UpdateIntegrationResponse": update_integration_response,
    "DeleteIntegrationResponse": delete_integration_response,
    "PutMethodResponse": put_method_response,
    "GetMethodResponse": get_method_response,
    "UpdateMethodResponse": update_method_response,
    "DeleteMethodResponse": delete_method_response,
}
