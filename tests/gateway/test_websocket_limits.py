"""A WebSocket connection's time limits on the injected clock: 10 minutes idle, 2 hours in all, then 1001
"Going away", as AWS's quotas page lists them; and server stop closes what is open.

The connections are driven through their ASGI seam with a real HttpApis over the store; the API's one
route is never selected here (its messages have no route and no $default), so no function runs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from overcast.apis.httpapi import HttpApis
from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi.tables import INTEGRATION, ROUTE
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.gateway.websockets import WebSockets
from overcast.store import Store

CTX = RequestContext(request_id="r", service="apigatewayv2", operation="CreateApi")


class NoFunctions:
    """No route these tests select runs a function: an invocation would be a failure of the test."""

    async def invoke(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no function should run")


@dataclass
class Client:
    """One client's side of the ASGI seam: what it sends in, and what the server wrote out."""

    inbound: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    outbound: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)


@pytest.fixture
async def world(sqlite_store: Store) -> AsyncIterator[tuple[WebSockets, FakeClock, str]]:
    clock = FakeClock()
    apis = HttpApis(sqlite_store, clock)
    await apis.start()
    draft = rec.Api("", "", "", "ws", 0.0, protocol_type="WEBSOCKET", route_selection_expression="$request.body.action")
    api_id = (await apis.create_api(CTX, draft)).record.api_id
    uri = "arn:aws:lambda:us-east-1:000000000000:function:never"
    integration = await apis.parts.create(
        CTX, api_id, INTEGRATION, {"integration_type": "AWS_PROXY", "integration_uri": uri}
    )
    target = f"integrations/{integration.integration_id}"
    await apis.parts.create(CTX, api_id, ROUTE, {"route_key": "echo", "target": target})
    await apis.stages.create(CTX, api_id, {"stage_name": "prod", "auto_deploy": True})
    sockets = WebSockets(apis, NoFunctions(), clock)
    yield sockets, clock, api_id
    await sockets.close()


async def opened(sockets: WebSockets, api_id: str) -> tuple[Client, asyncio.Task[None]]:
    client = Client()
    scope = {"type": "websocket", "headers": [(b"host", b"x")], "client": ("127.0.0.1", 5000), "query_string": b""}
    await client.inbound.put({"type": "websocket.connect"})
    task = asyncio.create_task(sockets.connect(api_id, "/prod", scope, client.inbound.get, client.outbound.put))
    assert (await client.outbound.get())["type"] == "websocket.accept"
    return client, task


async def test_an_idle_connection_closes_with_going_away_after_ten_minutes(world: Any) -> None:
    sockets, clock, api_id = world
    client, task = await opened(sockets, api_id)
    await clock.sleeping(1)
    await clock.advance(599)
    assert client.outbound.empty() and len(sockets.connections) == 1
    await client.inbound.put({"type": "websocket.receive", "text": '{"action": "nowhere"}'})  # activity at 599 s
    answer = await client.outbound.get()  # no route and no $default: API Gateway says so
    assert json.loads(answer["text"])["message"] == "Forbidden"
    await clock.advance(599)
    assert client.outbound.empty()
    await clock.advance(1)
    assert await client.outbound.get() == {"type": "websocket.close", "code": 1001, "reason": "Going away"}
    await client.inbound.put({"type": "websocket.disconnect", "code": 1001})
    await task
    assert sockets.connections == {}


async def test_a_busy_connection_still_closes_after_two_hours(world: Any) -> None:
    sockets, clock, api_id = world
    client, task = await opened(sockets, api_id)
    for _ in range(14):  # a message every 500 s: never idle for 10 minutes
        await clock.sleeping(1)
        await clock.advance(500)
        await client.inbound.put({"type": "websocket.receive", "text": "{}"})
        assert json.loads((await client.outbound.get())["text"])["message"] == "Forbidden"
    assert len(sockets.connections) == 1  # 7,000 s in
    await clock.advance(200)
    assert await client.outbound.get() == {"type": "websocket.close", "code": 1001, "reason": "Going away"}
    await client.inbound.put({"type": "websocket.disconnect", "code": 1001})
    await task


async def test_server_stop_closes_every_open_connection(world: Any) -> None:
    sockets, _, api_id = world
    first, one = await opened(sockets, api_id)
    second, two = await opened(sockets, api_id)
    await sockets.close()
    for client in (first, second):
        assert await client.outbound.get() == {"type": "websocket.close", "code": 1001, "reason": "Going away"}
        await client.inbound.put({"type": "websocket.disconnect", "code": 1001})
    await asyncio.gather(one, two)
    assert sockets.connections == {}
