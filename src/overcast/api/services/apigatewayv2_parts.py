"""apigatewayv2's operations on an API's parts: routes, integrations, authorizers, stages and deployments.

https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/resources.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.apigatewayv2_shapes import (
    Services,
    authorizer_fields,
    authorizer_out,
    deployment_out,
    integration_fields,
    integration_out,
    page_out,
    page_size,
    route_fields,
    route_out,
    stage_fields,
    stage_out,
)
from overcast.context import RequestContext
from overcast.gateway.httpapi.tables import AUTHORIZER, DEPLOYMENT, INTEGRATION, ROUTE

# -- routes, integrations, authorizers -----------------------------------------------------------


async def _get_part(s: Services, ctx: RequestContext, p: Params, kind: str, id_member: str) -> Any:
    return await s.parts.get(ctx, p["ApiId"], kind, p[id_member])


async def _parts_page(
    s: Services, ctx: RequestContext, p: Params, kind: str, render: Callable[[Any], Output]
) -> Output:
    found, token = await s.parts.page(ctx, p["ApiId"], kind, page_size(p), p.get("NextToken"))
    return page_out([render(x) for x in found], token)


async def create_route(s: Services, ctx: RequestContext, p: Params) -> Output:
    return route_out(await s.parts.create_route(ctx, p["ApiId"], route_fields(p)))


async def get_route(s: Services, ctx: RequestContext, p: Params) -> Output:
    return route_out(await _get_part(s, ctx, p, ROUTE, "RouteId"))


async def get_routes(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _parts_page(s, ctx, p, ROUTE, route_out)


async def update_route(s: Services, ctx: RequestContext, p: Params) -> Output:
    return route_out(await s.parts.update_route(ctx, p["ApiId"], p["RouteId"], route_fields(p)))


async def delete_route(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.parts.delete_route(ctx, p["ApiId"], p["RouteId"])
    return {}


async def create_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    return integration_out(await s.parts.create_integration(ctx, p["ApiId"], integration_fields(p)))


async def get_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    return integration_out(await _get_part(s, ctx, p, INTEGRATION, "IntegrationId"))


async def get_integrations(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _parts_page(s, ctx, p, INTEGRATION, integration_out)


async def update_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    changes = integration_fields(p)
    return integration_out(await s.parts.update_integration(ctx, p["ApiId"], p["IntegrationId"], changes))


async def delete_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.parts.delete_integration(ctx, p["ApiId"], p["IntegrationId"])
    return {}


async def create_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    return authorizer_out(await s.parts.create_authorizer(ctx, p["ApiId"], authorizer_fields(p)))


async def get_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    return authorizer_out(await _get_part(s, ctx, p, AUTHORIZER, "AuthorizerId"))


async def get_authorizers(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _parts_page(s, ctx, p, AUTHORIZER, authorizer_out)


async def update_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    changes = authorizer_fields(p)
    return authorizer_out(await s.parts.update_authorizer(ctx, p["ApiId"], p["AuthorizerId"], changes))


async def delete_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.parts.delete_authorizer(ctx, p["ApiId"], p["AuthorizerId"])
    return {}


# -- stages and deployments ----------------------------------------------------------------------


async def create_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    return stage_out(await s.stages.create(ctx, p["ApiId"], stage_fields(p), p.get("Tags")))


async def get_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    return stage_out(await s.stages.get(ctx, p["ApiId"], p["StageName"]))


async def get_stages(s: Services, ctx: RequestContext, p: Params) -> Output:
    found, token = await s.stages.page(ctx, p["ApiId"], page_size(p), p.get("NextToken"))
    return page_out([stage_out(x) for x in found], token)


async def update_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    changes = stage_fields(p)
    changes.pop("stage_name", None)
    return stage_out(await s.stages.update(ctx, p["ApiId"], p["StageName"], changes))


async def delete_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.stages.delete(ctx, p["ApiId"], p["StageName"])
    return {}


async def delete_route_settings(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.stages.delete_route_settings(ctx, p["ApiId"], p["StageName"], p["RouteKey"])
    return {}


async def delete_access_log_settings(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.stages.update(ctx, p["ApiId"], p["StageName"], {"access_log": None})
    return {}


async def create_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    return deployment_out(await s.stages.deploy(ctx, p["ApiId"], p.get("Description"), p.get("StageName")))


async def get_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    return deployment_out(await _get_part(s, ctx, p, DEPLOYMENT, "DeploymentId"))


async def get_deployments(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _parts_page(s, ctx, p, DEPLOYMENT, deployment_out)


async def update_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    updated = await s.stages.update_deployment(ctx, p["ApiId"], p["DeploymentId"], p.get("Description"))
    return deployment_out(updated)


async def delete_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.stages.delete_deployment(ctx, p["ApiId"], p["DeploymentId"])
    return {}


HANDLERS: dict[str, Unbound[Services]] = {
    "CreateRoute": create_route,
    "GetRoute": get_route,
    "GetRoutes": get_routes,
    "UpdateRoute": update_route,
    "DeleteRoute": delete_route,
    "CreateIntegration": create_integration,
    "GetIntegration": get_integration,
    "GetIntegrations": get_integrations,
    "UpdateIntegration": update_integration,
    "DeleteIntegration": delete_integration,
    "CreateAuthorizer": create_authorizer,
    "GetAuthorizer": get_authorizer,
    "GetAuthorizers": get_authorizers,
    "UpdateAuthorizer": update_authorizer,
    "DeleteAuthorizer": delete_authorizer,
    "CreateStage": create_stage,
    "GetStage": get_stage,
    "GetStages": get_stages,
    "UpdateStage": update_stage,
    "DeleteStage": delete_stage,
    "DeleteRouteSettings": delete_route_settings,
    "DeleteAccessLogSettings": delete_access_log_settings,
    "CreateDeployment": create_deployment,
    "GetDeployment": get_deployment,
    "GetDeployments": get_deployments,
    "UpdateDeployment": update_deployment,
    "DeleteDeployment": delete_deployment,
}
