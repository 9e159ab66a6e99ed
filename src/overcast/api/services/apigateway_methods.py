"""API Gateway (v1) operations on a REST API's resources, methods, integrations and their responses.

Part of the apigateway operation table (`apigateway.HANDLERS`), over the same services object.
https://docs.aws.amazon.com/apigateway/latest/api/API_Resource.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.apigateway_wire import embeds, into, ops, out, page, resource
from overcast.apis.restapi import resources
from overcast.apis.restapi.apis import Change
from overcast.apis.restapi.pages import page_in_memory
from overcast.apis.restapi.records import Definition, Integration, IntegrationResponse, Method, MethodResponse
from overcast.context import RequestContext

if TYPE_CHECKING:
    from overcast.api.services.apigateway import Services


def _method(p: Params) -> tuple[str, str]:
    """(resource id, HTTP method): which method an operation names."""
    return p["resourceId"], p["httpMethod"]


async def _read(s: Services, ctx: RequestContext, p: Params) -> Definition:
    return await s.apis.read(ctx, p["restApiId"])


async def _change(s: Services, ctx: RequestContext, p: Params, fn: Change[Any]) -> Output:
    """Change the API's Definition; the record the change made as AWS's structure ({} for a deletion)."""
    made = await s.apis.change(ctx, p["restApiId"], fn)
    return {} if made is None else out(made)


async def create_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    made = await s.apis.change(
        ctx, p["restApiId"], lambda d: resources.create_resource(d, p["parentId"], p.get("pathPart", ""))
    )
    return resource(made, True)


async def get_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    return resource(resources.resource(await _read(s, ctx, p), p["resourceId"]), embeds(p, "methods"))


async def get_resources(s: Services, ctx: RequestContext, p: Params) -> Output:
    every = list((await _read(s, ctx, p)).resources.values())
    found, position = page_in_memory(ctx, every, lambda r: r.path, p.get("limit"), p.get("position"), p["restApiId"])
    return page([resource(r, embeds(p, "methods")) for r in found], position)


async def update_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    changed = await s.apis.change(ctx, p["restApiId"], lambda d: resources.update_resource(d, p["resourceId"], ops(p)))
    return resource(changed, True)


async def delete_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _change(s, ctx, p, lambda d: resources.delete_resource(d, p["resourceId"]))


async def put_method(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = into(Method, p)
    return await _change(s, ctx, p, lambda d: resources.put_method(d, p["resourceId"], requested))


async def get_method(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(resources.method(await _read(s, ctx, p), *_method(p)))


async def update_method(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _change(s, ctx, p, lambda d: resources.update_method(d, *_method(p), ops(p)))


async def delete_method(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _change(s, ctx, p, lambda d: resources.delete_method(d, *_method(p)))


async def put_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    # PutIntegration's httpMethod names the method; the integration's own is integrationHttpMethod.
    requested = into(Integration, {**p, "httpMethod": p.get("integrationHttpMethod")})
    return await _change(s, ctx, p, lambda d: resources.put_integration(d, *_method(p), requested))


async def get_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(resources.integration(await _read(s, ctx, p), *_method(p)))


async def update_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _change(s, ctx, p, lambda d: resources.update_integration(d, *_method(p), ops(p)))


async def delete_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _change(s, ctx, p, lambda d: resources.delete_integration(d, *_method(p)))


async def put_integration_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = into(IntegrationResponse, p)
    return await _change(s, ctx, p, lambda d: resources.put_integration_response(d, *_method(p), requested))


async def get_integration_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(resources.integration_response(await _read(s, ctx, p), *_method(p), p["statusCode"]))


async def update_integration_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    code = p["statusCode"]
    return await _change(s, ctx, p, lambda d: resources.update_integration_response(d, *_method(p), code, ops(p)))


async def delete_integration_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    code = p["statusCode"]
    return await _change(s, ctx, p, lambda d: resources.delete_integration_response(d, *_method(p), code))


async def put_method_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = into(MethodResponse, p)
    return await _change(s, ctx, p, lambda d: resources.put_method_response(d, *_method(p), requested))


async def get_method_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(resources.method_response(await _read(s, ctx, p), *_method(p), p["statusCode"]))


async def update_method_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    code = p["statusCode"]
    return await _change(s, ctx, p, lambda d: resources.update_method_response(d, *_method(p), code, ops(p)))


async def delete_method_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    code = p["statusCode"]
    return await _change(s, ctx, p, lambda d: resources.delete_method_response(d, *_method(p), code))


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
