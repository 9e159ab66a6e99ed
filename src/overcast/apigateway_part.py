"""API Gateway's part of the composition root: its control planes, data plane and WebSocket APIs.

server.py builds this part on the first API Gateway request (or at start when a custom domain
exists): the REST and HTTP API control planes, their operation tables, the execute-api data plane
(`Gateway`) with its integrations, authorizers, throttles, caches, metrics and access logs, custom
domain names, the stored records (VPC links, certificates, documentation parts, account settings)
and the WebSocket APIs.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from overcast.functions.invoke import InvokeService
from overcast.store import Store

if TYPE_CHECKING:
    from overcast.apis.httpapi import HttpApis
    from overcast.apis.restapi import RestApis
    from overcast.context import RequestContext
    from overcast.gateway.front_door import Gateway
    from overcast.gateway.websockets import WebSockets
    from overcast.server import Overcast


class WebSocketsOnFirstUse:
    """The edge's WebSocket APIs until API Gateway's part is built: the first handshake or `@connections`
    request builds it, then each is passed to the connections it made (`system.websockets`)."""

    def __init__(self, system: Overcast) -> None:
        self.system = system

    async def _ready(self) -> WebSockets:
        await self.system.parts["apigateway"].ready()
        assert self.system.websockets is not None
        if self.system.edge is not None:
            self.system.edge.websockets = self.system.websockets
        return self.system.websockets

    async def connect(self, api_id: str, path: str, scope: Any, receive: Any, send: Any) -> None:
        await (await self._ready()).connect(api_id, path, scope, receive, send)

    async def manage(self, api_id: str, path: str, scope: Any, receive: Any, send: Any) -> None:
        await (await self._ready()).manage(api_id, path, scope, receive, send)


async def build_api_gateway(system: Overcast, store: Store, invoker: InvokeService) -> None:
    """API Gateway's control planes (REST and HTTP APIs), their operation tables and the data plane."""
    from overcast.api.services import (
        apigateway,
        apigateway_documentation,
        apigateway_domains,
        apigateway_stored,
        apigatewayv2,
        apigatewayv2_domains,
        apigatewayv2_vpc_links,
    )
    from overcast.apis import account_settings, client_certificates, documentation, vpc_links
    from overcast.apis.domains import Domains
    from overcast.apis.errors import NotFound
    from overcast.apis.httpapi import HttpApis, endpoint_for
    from overcast.apis.restapi import RestApis
    from overcast.apis.stored import StoredRecords
    from overcast.apis.taggable import resolving

    httpapis = HttpApis(store, system.clock, endpoint_for(system.url))
    await httpapis.start()
    restapis = RestApis(store, system.clock)
    await restapis.start()
    gateway = system.gateway = await _gateway(system, store, invoker, restapis, httpapis)
    from overcast.gateway.websockets import WebSockets

    websockets = system.websockets = WebSockets(httpapis, invoker, system.clock)
    system.closers.append(websockets.close)

    async def flush(api_id: str, stage: str) -> None:  # FlushStageCache
        if gateway.cache is not None:
            gateway.cache.flush(api_id, stage)

    async def flush_authorizers(api_id: str, stage: str) -> None:  # FlushStageAuthorizersCache
        if gateway.authorizers is not None:
            gateway.authorizers.flush(api_id, stage)

    async def stage_check(ctx: RequestContext, api_id: str, stage: str) -> bool | None:
        """Whether the caller's REST or HTTP API `api_id` has `stage` (None: no such API), for API mappings."""
        try:
            return stage in (await restapis.read(ctx, api_id)).stages
        except NotFound:
            pass
        try:
            await httpapis.api(ctx, api_id)
        except NotFound:
            return None
        return stage in await httpapis.stage_names(api_id)

    domains = Domains(store, system.clock, stage_check)
    await domains.start()
    if system.edge is not None:  # requests whose Host is a custom domain name go to the data plane
        system.edge.domain_hosts = domains.hosts
        system.edge.custom_domains = gateway.serve_domain
    clock = system.clock

    stored = apigateway_stored.Stored(
        StoredRecords(store, clock, "vpclink", vpc_links.RestVpcLink, vpc_links.rest_link_not_found, "vpclinks"),
        StoredRecords(
            store, clock, "clientcertificate", client_certificates.ClientCertificate,
            client_certificates.certificate_not_found, "clientcertificates",
        ),
        StoredRecords(store, clock, "account", account_settings.AccountSettings, lambda _: NotFound("No account")),
        clock,
    )  # fmt: skip
    docs = apigateway_documentation.Documentation(
        StoredRecords(store, clock, "documentationpart", documentation.DocumentationPart, documentation.part_not_found),
        StoredRecords(
            store, clock, "documentationversion", documentation.DocumentationVersion, documentation.version_not_found
        ),
        restapis,
    )
    http_links = StoredRecords(
        store, clock, "v2vpclink", vpc_links.HttpVpcLink, vpc_links.http_link_not_found, "vpclinks"
    )
    await http_links.start()  # one table holds every kind of stored record
    # Their tags, and domain names', through either API's TagResource / UntagResource / GetTags.
    restapis.tagging = dataclasses.replace(restapis.tagging, resolve=resolving(restapis.tagging.resolve))
    httpapis.tagging = dataclasses.replace(httpapis.tagging, resolve=resolving(httpapis.tagging.resolve))
    system.tables["apigateway"] = {
        **apigateway.operations(
            restapis,
            flush=flush,
            usage=gateway.usage,
            flush_authorizers=flush_authorizers,
            test_invoke=gateway.test_invoke,
            documentation=docs.version_of,
        ),
        **apigateway_domains.operations(domains),
        **apigateway_stored.operations(stored),
        **apigateway_documentation.operations(docs),
    }
    system.tables["apigatewayv2"] = {
        **apigatewayv2.operations(httpapis),
        **apigatewayv2_domains.operations(domains),
        **apigatewayv2_vpc_links.operations(http_links),
    }


async def _gateway(
    system: Overcast, store: Store, invoker: InvokeService, restapis: RestApis, httpapis: HttpApis
) -> Gateway:
    """API Gateway's data plane over both control planes' published stages."""
    from overcast.gateway.access_logs import AccessLogs
    from overcast.gateway.authorizers import Authorizers
    from overcast.gateway.cache import ResponseCache
    from overcast.gateway.front_door import Gateway
    from overcast.gateway.integrations import Integrations
    from overcast.gateway.throttles import Throttles
    from overcast.gateway.usage import Usage
    from overcast.observe.metrics import Metrics

    clock = system.clock

    from overcast.gateway.services import AwsServices
    from overcast.parts import OwnApis

    services = AwsServices(OwnApis(system)) if system.edge is not None else None
    integrations = Integrations(invoker, services=services)  # its HTTP client (HTTP_PROXY backends): on first use
    system.closers.append(integrations.close)
    authorizers = Authorizers(integrations.invoke_function, clock)  # so is the JWKS client
    system.closers.append(authorizers.aclose)
    usage = Usage(store, clock)
    await usage.start()
    system.closers.append(usage.close)
    metrics = Metrics(store, clock)
    await metrics.start()
    system.closers.append(metrics.close)
    observers = []
    if system.logs is not None:  # stages' access logs go to their log groups
        access_logs = AccessLogs(system.logs, clock)
        system.closers.append(access_logs.close)
        observers.append(access_logs)
    return Gateway(
        [restapis, httpapis],
        integrations,
        clock,
        authorizers=authorizers,
        throttles=Throttles(clock),
        key_plans=restapis,
        usage=usage,
        cache=ResponseCache(clock),
        metrics=metrics,
        observers=observers,
        rest_api_exists=restapis.exists,
    )
