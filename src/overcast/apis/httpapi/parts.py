"""An HTTP API's parts: any of them read; routes, integrations and authorizers created, changed and deleted.

Each change is one transaction that re-deploys the API's AutoDeploy stages.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overcast.apis.errors import Conflict
from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi import tables, validation, websockets
from overcast.apis.httpapi.changes import Changes, duplicate_route
from overcast.apis.httpapi.errors import not_found
from overcast.apis.httpapi.pages import LISTS
from overcast.apis.httpapi.tables import AUTHORIZER, INTEGRATION, PART_ORDER, ROUTE
from overcast.apis.httpapi.websockets import WEBSOCKET
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.store import Queries


class Parts:
    def __init__(self, changes: Changes) -> None:
        self.changes = changes

    async def get(self, ctx: RequestContext, api_id: str, kind: str, part_id: str) -> Any:
        """One route, integration, authorizer, stage or deployment (kind as in `tables`)."""
        async with self.changes.reading(ctx, api_id) as (tx, api):
            return await tables.part(tx, api, kind, part_id)

    async def page(
        self, ctx: RequestContext, api_id: str, kind: str, size: int | None, token: str | None
    ) -> tuple[list[Any], str | None]:
        """One page of an API's routes, integrations, authorizers, stages or deployments, in creation order."""
        pages = LISTS.start(ctx, PART_ORDER.kinds, size, token, api_id)
        async with self.changes.reading(ctx, api_id) as (tx, api):
            return await tables.part_page(tx, api, kind, pages)

    async def create(self, ctx: RequestContext, api_id: str, kind: str, fields: dict[str, Any]) -> Any:
        """A new route, integration or authorizer of the API from `fields` (its id is assigned here)."""
        record_type, id_field = _RECORDS[kind]
        record = record_type(**{id_field: self.changes.new_id()}, **fields)
        part_id = getattr(record, id_field)
        async with self.changes.on(ctx, api_id) as (tx, api):
            if kind == ROUTE:
                await _check_route(tx, api, record)
                await self.changes.insert_named(tx, api, ROUTE, part_id, record.route_key, record)
            else:
                if api.protocol_type == WEBSOCKET and kind == INTEGRATION and "timeout_in_millis" not in fields:
                    record = dataclasses.replace(record, timeout_in_millis=websockets.MAX_TIMEOUT_MS)
                _check(api, kind, record)
                await tables.insert_part(tx, api, kind, part_id, part_id, record, self.changes.clock.now())
            await self.changes.deployments.auto(tx, api)
        return record

    async def update(self, ctx: RequestContext, api_id: str, kind: str, part_id: str, changes: dict[str, Any]) -> Any:
        """Change a route, an integration or an authorizer (still fit for each route that uses it)."""
        async with self.changes.on(ctx, api_id) as (tx, api):
            record = dataclasses.replace(await tables.part(tx, api, kind, part_id), **changes)
            name = part_id
            if kind == ROUTE:
                if record.authorization_type in ("NONE", "AWS_IAM") and "authorizer_id" not in changes:
                    # Switching a route to NONE or AWS_IAM detaches its authorizer and scopes.
                    record = dataclasses.replace(record, authorizer_id=None, authorization_scopes=None)
                await _check_route(tx, api, record)
                name = record.route_key
            else:
                _check(api, kind, record)
            if kind == AUTHORIZER and api.protocol_type != WEBSOCKET:  # (a WebSocket route only names its authorizer)
                for route in await tables.parts(tx, api, ROUTE):
                    if route.authorizer_id == part_id:
                        validation.route(route, {part_id: record}, [route.integration_id or ""])
            await tables.update_part(tx, api, kind, part_id, name, record)
            await self.changes.deployments.auto(tx, api)
        return record

    async def delete(self, ctx: RequestContext, api_id: str, kind: str, part_id: str) -> None:
        """Delete a route, or an integration or authorizer no route uses."""
        async with self.changes.on(ctx, api_id) as (tx, api):
            await tables.part(tx, api, kind, part_id)
            if kind != ROUTE:
                for route in await tables.parts(tx, api, ROUTE):
                    _not_in_use(kind, part_id, route)
            await tables.delete_part(tx, api, kind, part_id)
            await self.changes.deployments.auto(tx, api)

    # -- a WebSocket route's or integration's responses, kept in its record ------------------------

    async def responses(self, ctx: RequestContext, api_id: str, of: Responses, owner_id: str) -> tuple[Any, ...]:
        async with self.changes.reading(ctx, api_id) as (tx, api):
            return of.held(await _socket_owner(tx, api, of, owner_id))

    async def response(self, ctx: RequestContext, api_id: str, of: Responses, owner_id: str, response_id: str) -> Any:
        return of.find(await self.responses(ctx, api_id, of, owner_id), response_id)

    async def put_response(
        self, ctx: RequestContext, api_id: str, of: Responses, owner_id: str, response_id: str | None,
        fields: dict[str, Any],
    ) -> Any:  # fmt: skip
        """A new response (`response_id` None) or a change to one; the owner's other responses stay."""
        async with self.changes.on(ctx, api_id) as (tx, api):
            owner = await _socket_owner(tx, api, of, owner_id)
            if response_id is None:
                response = of.record(**{of.id_field: self.changes.new_id()}, **fields)
            else:
                response = dataclasses.replace(of.find(of.held(owner), response_id), **fields)
            of.check(response)
            others = tuple(r for r in of.held(owner) if of.id_of(r) != of.id_of(response))
            if any(of.key_of(r) == of.key_of(response) for r in others):
                raise Conflict(f"A {of.noun} with key {of.key_of(response)} already exists for this {of.owner_noun}.")
            await self._keep(tx, api, of, owner, (*others, response))
        return response

    async def delete_response(
        self, ctx: RequestContext, api_id: str, of: Responses, owner_id: str, response_id: str
    ) -> None:
        async with self.changes.on(ctx, api_id) as (tx, api):
            owner = await _socket_owner(tx, api, of, owner_id)
            of.find(of.held(owner), response_id)
            await self._keep(tx, api, of, owner, tuple(r for r in of.held(owner) if of.id_of(r) != response_id))

    async def _keep(self, tx: Queries, api: rec.Api, of: Responses, owner: Any, responses: tuple[Any, ...]) -> None:
        owner = dataclasses.replace(owner, **{of.field: responses})
        name = owner.route_key if of.kind == ROUTE else owner.integration_id
        await tables.update_part(tx, api, of.kind, getattr(owner, f"{of.kind}_id"), name, owner)
        await self.changes.deployments.auto(tx, api)


@dataclass(frozen=True, slots=True)
class Responses:
    """One kind of a WebSocket API's responses: the part that holds them, in which field, and their id and key."""

    kind: str  # the holding part: ROUTE or INTEGRATION
    name: str  # the wire's name ("RouteResponse"), for NotFoundException
    noun: str
    owner_noun: str
    field: str
    record: Callable[..., Any]
    id_field: str
    key_field: str
    check: Callable[[Any], None]

    def held(self, owner: Any) -> tuple[Any, ...]:
        return tuple(getattr(owner, self.field))

    def id_of(self, response: Any) -> str:
        return str(getattr(response, self.id_field))

    def key_of(self, response: Any) -> str:
        return str(getattr(response, self.key_field))

    def find(self, responses: tuple[Any, ...], response_id: str) -> Any:
        for r in responses:
            if self.id_of(r) == response_id:
                return r
        raise not_found(self.name, response_id)


ROUTE_RESPONSES = Responses(
    ROUTE, "RouteResponse", "route response", "route", "route_responses", rec.RouteResponse, "route_response_id",
    "route_response_key", websockets.route_response,
)  # fmt: skip
INTEGRATION_RESPONSES = Responses(
    INTEGRATION, "IntegrationResponse", "integration response", "integration", "integration_responses",
    rec.IntegrationResponse, "integration_response_id", "integration_response_key", websockets.integration_response,
)  # fmt: skip


# Each kind's record and the field holding its id.
_RECORDS: dict[str, tuple[Callable[..., Any], str]] = {
    ROUTE: (rec.Route, "route_id"),
    INTEGRATION: (rec.Integration, "integration_id"),
    AUTHORIZER: (rec.Authorizer, "authorizer_id"),
}


def _check(api: rec.Api, kind: str, record: Any) -> None:
    """The rules of an integration or an authorizer alone, for its API's protocol."""
    if api.protocol_type == WEBSOCKET:
        (websockets.authorizer if kind == AUTHORIZER else websockets.integration)(record)
    elif kind == AUTHORIZER:
        validation.authorizer(record)
    else:
        validation.integration(record)
        if record.request_templates or record.template_selection_expression or record.passthrough_behavior \
                or record.content_handling_strategy:  # fmt: skip
            raise BadRequest(
                "RequestTemplates, TemplateSelectionExpression, PassthroughBehavior and ContentHandlingStrategy "
                "are supported only for WebSocket APIs."
            )


async def _socket_owner(tx: Queries, api: rec.Api, of: Responses, owner_id: str) -> Any:
    if api.protocol_type != WEBSOCKET:
        # https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-routes-routeid-routeresponses.html
        raise BadRequest(f"{of.noun.capitalize()}s are supported only for WebSocket APIs.")
    return await tables.part(tx, api, of.kind, owner_id)


def _not_in_use(kind: str, part_id: str, route: rec.Route) -> None:
    where = f"route {route.route_id} ({route.route_key})"
    if kind == INTEGRATION and route.integration_id == part_id:
        raise Conflict(f"Integration {part_id} is the target of {where}; detach it from the route first.")
    if kind == AUTHORIZER and route.authorizer_id == part_id:
        raise Conflict(f"Authorizer {part_id} is used by {where}; change the route's authorization first.")


async def _check_route(tx: Queries, api: rec.Api, route: rec.Route) -> None:
    integrations = [i.integration_id for i in await tables.parts(tx, api, INTEGRATION)]
    authorizers = {a.authorizer_id: a for a in await tables.parts(tx, api, AUTHORIZER)}
    if api.protocol_type == WEBSOCKET:
        websockets.route(route, integrations, list(authorizers))
    else:
        validation.route_key(route.route_key)
        validation.route(route, authorizers, integrations)
        if route.route_response_selection_expression is not None:
            raise BadRequest("RouteResponseSelectionExpression is supported only for WebSocket APIs.")
    for other in await tables.parts(tx, api, ROUTE):
        if other.route_key == route.route_key and other.route_id != route.route_id:
            raise duplicate_route(route.route_key)
