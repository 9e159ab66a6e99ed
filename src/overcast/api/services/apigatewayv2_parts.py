"""apigatewayv2's operations on an API's parts: routes, integrations, authorizers, stages and deployments.

https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/resources.html
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.apigatewayv2_shapes import (
    Services,
    authorizer_fields,
    authorizer_out,
    deployment_out,
    integration_fields,
    integration_out,
    integration_response_fields,
    integration_response_out,
    page_out,
    page_size,
    route_fields,
    route_out,
    route_response_fields,
    route_response_out,
    stage_fields,
    stage_out,
)
from overcast.apis.httpapi.parts import INTEGRATION_RESPONSES, ROUTE_RESPONSES, Responses
from overcast.apis.httpapi.tables import AUTHORIZER, DEPLOYMENT, INTEGRATION, ROUTE
from overcast.context import RequestContext

# -- routes, integrations, authorizers, and reading deployments -----------------------------------


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of an API's parts on the wire: its id member, its output, and its members in."""

    kind: str
    id_member: str
    out: Callable[[Any], Output]
    fields: Callable[[Params], dict[str, Any]] = lambda p: {}


ROUTES = Kind(ROUTE, "RouteId", route_out, route_fields)
INTEGRATIONS = Kind(INTEGRATION, "IntegrationId", integration_out, integration_fields)
AUTHORIZERS = Kind(AUTHORIZER, "AuthorizerId", authorizer_out, authorizer_fields)
DEPLOYMENTS = Kind(DEPLOYMENT, "DeploymentId", deployment_out)


async def create_part(k: Kind, s: Services, ctx: RequestContext, p: Params) -> Output:
    return k.out(await s.parts.create(ctx, p["ApiId"], k.kind, k.fields(p)))


async def get_part(k: Kind, s: Services, ctx: RequestContext, p: Params) -> Output:
    return k.out(await s.parts.get(ctx, p["ApiId"], k.kind, p[k.id_member]))


async def get_parts(k: Kind, s: Services, ctx: RequestContext, p: Params) -> Output:
    found, token = await s.parts.page(ctx, p["ApiId"], k.kind, page_size(p), p.get("NextToken"))
    return page_out([k.out(x) for x in found], token)


async def update_part(k: Kind, s: Services, ctx: RequestContext, p: Params) -> Output:
    return k.out(await s.parts.update(ctx, p["ApiId"], k.kind, p[k.id_member], k.fields(p)))


async def delete_part(k: Kind, s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.parts.delete(ctx, p["ApiId"], k.kind, p[k.id_member])
    return {}


def _operations(
    name: str, k: Any, handlers: tuple[Callable[..., Any], ...] | None = None
) -> dict[str, Unbound[Services]]:
    """Create<Name>, Get<Name>, Get<Name>s, Update<Name> and Delete<Name>, each handler given its kind."""
    handlers = handlers or (create_part, get_part, get_parts, update_part, delete_part)
    names = (f"Create{name}", f"Get{name}", f"Get{name}s", f"Update{name}", f"Delete{name}")
    return {op: functools.partial(handler, k) for op, handler in zip(names, handlers, strict=True)}


# -- a WebSocket route's and integration's responses
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html,
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html)


@dataclass(frozen=True, slots=True)
class Held:
    """One kind of responses on the wire: where they are kept, their owner's and their id members, in and out."""

    responses: Responses
    owner_member: str
    id_member: str
    out: Callable[[Any], Output]
    fields: Callable[[Params], dict[str, Any]]


ROUTE_RESPONSE = Held(ROUTE_RESPONSES, "RouteId", "RouteResponseId", route_response_out, route_response_fields)
INTEGRATION_RESPONSE = Held(
    INTEGRATION_RESPONSES, "IntegrationId", "IntegrationResponseId", integration_response_out,
    integration_response_fields,
)  # fmt: skip


async def create_response(h: Held, s: Services, ctx: RequestContext, p: Params) -> Output:
    return h.out(await s.parts.put_response(ctx, p["ApiId"], h.responses, p[h.owner_member], None, h.fields(p)))


async def get_response(h: Held, s: Services, ctx: RequestContext, p: Params) -> Output:
    return h.out(await s.parts.response(ctx, p["ApiId"], h.responses, p[h.owner_member], p[h.id_member]))


async def get_responses(h: Held, s: Services, ctx: RequestContext, p: Params) -> Output:
    # A route or an integration has a few responses, one per key: one page holds them all.
    return page_out([h.out(r) for r in await s.parts.responses(ctx, p["ApiId"], h.responses, p[h.owner_member])], None)


async def update_response(h: Held, s: Services, ctx: RequestContext, p: Params) -> Output:
    owner, response_id = p[h.owner_member], p[h.id_member]
    return h.out(await s.parts.put_response(ctx, p["ApiId"], h.responses, owner, response_id, h.fields(p)))


async def delete_response(h: Held, s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.parts.delete_response(ctx, p["ApiId"], h.responses, p[h.owner_member], p[h.id_member])
    return {}


def _response_operations(name: str, h: Held) -> dict[str, Unbound[Services]]:
    return _operations(name, h, (create_response, get_response, get_responses, update_response, delete_response))


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


async def update_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    updated = await s.stages.update_deployment(ctx, p["ApiId"], p["DeploymentId"], p.get("Description"))
    return deployment_out(updated)


async def delete_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.stages.delete_deployment(ctx, p["ApiId"], p["DeploymentId"])
    return {}


HANDLERS: dict[str, Unbound[Services]] = {
    **_operations("Route", ROUTES),
    **_operations("Integration", INTEGRATIONS),
    **_operations("Authorizer", AUTHORIZERS),
    **_response_operations("RouteResponse", ROUTE_RESPONSE),
    **_response_operations("IntegrationResponse", INTEGRATION_RESPONSE),
    "CreateStage": create_stage,
    "GetStage": get_stage,
    "GetStages": get_stages,
    "UpdateStage": update_stage,
    "DeleteStage": delete_stage,
    "DeleteRouteSettings": delete_route_settings,
    "DeleteAccessLogSettings": delete_access_log_settings,
    "CreateDeployment": create_deployment,
    "GetDeployment": functools.partial(get_part, DEPLOYMENTS),
    "GetDeployments": functools.partial(get_parts, DEPLOYMENTS),
    "UpdateDeployment": update_deployment,
    "DeleteDeployment": delete_deployment,
}
