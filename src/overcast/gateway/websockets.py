"""WebSocket APIs' data plane: each client connection through its routes, and the `@connections` API.

A client opens `ws://<apiId>.execute-api.localhost:<port>/<stage>` (or the path form
`/_aws/execute-api/<apiId>/<stage>`). Its `$connect` authorizer (a Lambda REQUEST authorizer) and
integration run before the handshake is answered: a denial, a failure or a non-2xx status refuses it,
with that status. Each message then goes to the route the API's selection expression picks (else
`$default`); a two-way route (one with a route response) sends the integration's answer back, a one-way
route nothing (`socket_backends`). `$disconnect` runs once the connection has
closed, whoever closed it. A function pushes to clients through the management API at
`<stage>/@connections/<connectionId>` (PostToConnection, GetConnection, DeleteConnection), which
answers GoneException (410) for a connection that is not open.
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html

AWS's limits are kept (apigateway-execution-service-websocket-limits-table.html): a message of at most
128 KB (larger ones close the connection with 1009, uvicorn's `ws_max_size` is set to it by the
composition root, and PostToConnection refuses them), 10 minutes idle and 2 hours in all, after which
the connection closes with 1001 "Going away". The 32 KB frame size is not enforced: the ASGI server
reassembles frames before Overcast sees them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from overcast.api.edge import Receive, Scope, Send
from overcast.api.request_body import read_body
from overcast.api.response_head import response_start
from overcast.apis import deployed as d
from overcast.apis.httpapi.websockets import MAX_TIMEOUT_MS, SocketStage
from overcast.arn import format_arn, new_request_id
from overcast.clock import Clock
from overcast.errors import AwsError
from overcast.gateway.authorizers.lambda_ import InvalidAnswer, parse_answer
from overcast.gateway.authorizers.policy import Decision, evaluate
from overcast.gateway.events import domain_name
from overcast.gateway.integrations import Integrations, Invoker
from overcast.gateway.socket_backends import SocketBackends, refusal
from overcast.gateway.socket_events import (
    Handshake,
    Socket,
    authorizer_event,
    connect_event,
    disconnect_event,
    message_event,
    new_id,
)

MAX_MESSAGE_BYTES = 128 * 1024
IDLE_SECONDS = 10 * 60
MAX_SECONDS = 2 * 60 * 60
GOING_AWAY = (1001, "Going away")
_INTERNAL_ERROR = b'{"message":"Internal server error"}'

log = logging.getLogger("overcast.gateway")


class GoneException(AwsError):
    """The connection is not open (never was, or has closed): AWS answers it with no message."""

    code, status = "GoneException", 410


class PayloadTooLargeException(AwsError):
    code, status = "PayloadTooLargeException", 413


class ForbiddenException(AwsError):
    code, status = "ForbiddenException", 403


class SocketStages(Protocol):
    """HttpApis: what a stage of a WebSocket API serves, or None."""

    async def socket_stage(self, api_id: str, stage: str) -> SocketStage | None: ...


@dataclass(frozen=True, slots=True)
class Limits:
    max_message_bytes: int = MAX_MESSAGE_BYTES
    idle_seconds: float = IDLE_SECONDS
    max_seconds: float = MAX_SECONDS


class Connection:
    """One open client connection: what its events name, and how to write to it and close it."""

    def __init__(self, socket: Socket, stage: SocketStage, send: Send, now: float) -> None:
        self.socket = socket
        self.stage = stage
        self._send = send
        self.connected_at = now
        self.last_active = now
        self.closed_with: tuple[int, str] | None = None  # (code, reason) once closed, by either side

    @property
    def open(self) -> bool:
        return self.closed_with is None

    async def send(self, data: str | bytes) -> None:
        if self.closed_with is not None:
            raise GoneException()
        message = (
            {"type": "websocket.send", "text": data}
            if isinstance(data, str)
            else {"type": "websocket.send", "bytes": data}
        )
        try:
            await self._send(message)
        except Exception:  # the client went away meanwhile (the ASGI server refuses to write)
            raise GoneException() from None

    async def close(self, code: int, reason: str) -> None:
        if self.closed_with is not None:
            return
        self.closed_with = (code, reason)
        with contextlib.suppress(Exception):
            await self._send({"type": "websocket.close", "code": code, "reason": reason})


class WebSockets:
    """Every open connection of every WebSocket API on this server, and the tasks serving them."""

    def __init__(self, stages: SocketStages, invoker: Invoker, clock: Clock, limits: Limits | None = None) -> None:
        self.stages = stages
        self.integrations = Integrations(invoker)  # its HTTP client is made when an HTTP integration first runs
        self.backends = SocketBackends(invoker, self.integrations)
        self.clock = clock
        self.limits = limits or Limits()
        self.connections: dict[str, Connection] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- a client connection (the edge's seam for websocket scopes) -------------------------------

    async def connect(self, api_id: str, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        """One client's connection, and WebSocket APIs' error boundary: what fails unexpectedly is logged,
        and refuses the handshake with 500 (or, once it is open, closes the connection with 1011)."""
        accepted = False

        async def sending(message: dict[str, Any]) -> None:
            nonlocal accepted
            await send(message)
            accepted = accepted or message["type"] == "websocket.accept"

        try:
            await self._connect(api_id, path, scope, receive, sending)
        except Exception:
            log.exception("WebSocket connection to API %s failed", api_id)
            with contextlib.suppress(Exception):
                if accepted:
                    await send({"type": "websocket.close", "code": 1011, "reason": "Internal server error"})
                else:
                    await _refuse(send, 500, _INTERNAL_ERROR)

    async def _connect(self, api_id: str, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        stage_name = path.strip("/").split("/", 1)[0]
        stage = await self.stages.socket_stage(api_id, unquote(stage_name)) if stage_name else None
        if stage is None:
            await _refuse(send, 403, b'{"message":"Forbidden"}')
            return
        now = self.clock.now()
        socket = Socket(new_id(), api_id, stage.stage, int(now * 1000), _handshake(scope))
        accept: dict[str, Any] = {"type": "websocket.accept"}
        route = stage.route("$connect")
        if route is not None and route.authorizer is not None:
            allowed = await self._authorize(stage, route.authorizer, socket)
            if isinstance(allowed, tuple):
                await _refuse(send, *allowed)
                return
            socket = dataclasses.replace(socket, authorizer=allowed)
        if route is not None:
            answer = await self.backends.answer(
                stage, route, connect_event(socket, new_id(), _ms(self.clock)), "", socket
            )
            if not 200 <= answer.status < 300:
                await _refuse(send, *refusal(answer))
                return
            protocol = dict(answer.headers).get("sec-websocket-protocol")
            if protocol:
                accept["subprotocol"] = protocol
        connection = Connection(socket, stage, send, now)
        self.connections[socket.connection_id] = connection
        try:
            try:
                await send(accept)
            except Exception:  # the client left while $connect ran: there is no connection to serve
                return
            watchdog = self._spawn(self._watch(connection))
            code, reason = await self._serve(connection, receive)
            watchdog.cancel()
        finally:
            self.connections.pop(socket.connection_id, None)
        if connection.closed_with is None:  # the client closed it: what is posted to it from now on is gone
            connection.closed_with = (code, reason)
        code, reason = connection.closed_with
        route = stage.route("$disconnect")
        if route is not None:  # best effort, as on AWS: its answer goes nowhere
            event = disconnect_event(socket, code, reason, new_id(), _ms(self.clock))
            await self.backends.answer(stage, route, event, "", socket)

    async def _serve(self, connection: Connection, receive: Receive) -> tuple[int, str]:
        """Read the client's messages until it disconnects: (close code, reason)."""
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return int(message.get("code") or 1005), str(message.get("reason") or "")
            if message["type"] != "websocket.receive":
                continue
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            connection.last_active = self.clock.now()
            self._spawn(self._message(connection, data))

    async def _message(self, connection: Connection, data: str | bytes) -> None:
        stage, socket = connection.stage, connection.socket
        request_id = new_id()
        route = stage.select(data)
        if route is None:
            # No route matched and there is no $default: API Gateway tells the client so.
            await self._tell(connection, "Forbidden", request_id)
            return
        event = message_event(socket, route.route_key, data, request_id, _ms(self.clock))
        answer = await self.backends.answer(stage, route, event, data, socket)
        if answer.error is not None:
            await self._tell(connection, answer.error, request_id)
        elif route.two_way and answer.body is not None:  # a one-way route sends nothing back
            with contextlib.suppress(GoneException):
                await connection.send(answer.body)

    async def _tell(self, connection: Connection, text: str, request_id: str) -> None:
        answer = {"message": text, "connectionId": connection.socket.connection_id, "requestId": request_id}
        with contextlib.suppress(GoneException):
            await connection.send(json.dumps(answer))

    async def _watch(self, connection: Connection) -> None:
        """Close the connection once it has been idle too long, or open too long."""
        limits = self.limits
        while connection.open:
            now = self.clock.now()
            deadline = min(connection.last_active + limits.idle_seconds, connection.connected_at + limits.max_seconds)
            if now >= deadline:
                await connection.close(*GOING_AWAY)
                return
            await self.clock.sleep(deadline - now)

    async def _authorize(
        self, stage: SocketStage, authorizer: d.Authorizer, socket: Socket
    ) -> dict[str, Any] | tuple[int, bytes]:
        """Run $connect's Lambda REQUEST authorizer: requestContext.authorizer for the connection's events if
        its policy allows `$connect`, else the refusal (status, body). A missing identity source refuses with
        401 without calling the function; a policy that does not allow, 403; a failed function, 500.
        https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html"""
        variables = dict(stage.stage_variables)
        if not all(_identity(source, socket, variables) for source in authorizer.identity_sources):
            return 401, b'{"message":"Unauthorized"}'
        method = format_arn("execute-api", stage.region, stage.account_id, f"{stage.api_id}/{stage.stage}/$connect")
        event = authorizer_event(socket, method, variables, new_id(), _ms(self.clock))
        started = self.clock.monotonic()
        arn = format_arn("execute-api", stage.region, stage.account_id, f"{stage.api_id}/authorizers/{authorizer.id}")
        reply = await self.backends.call(stage, authorizer.function_arn, MAX_TIMEOUT_MS, arn, event)
        try:
            answer = parse_answer(json.dumps(reply).encode(), simple=False, primitive_context=True)
        except InvalidAnswer:  # a failed function (None) too
            return 500, _INTERNAL_ERROR
        if evaluate({"Statement": list(answer.statements or ())}, method) is not Decision.ALLOW:
            return 403, b'{"message":"Forbidden"}'
        latency = int((self.clock.monotonic() - started) * 1000)
        context = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (answer.context or {}).items()}
        return {**context, "principalId": answer.principal_id, "integrationLatency": latency}

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("WebSocket task failed", exc_info=task.exception())

    async def close(self) -> None:
        """Server stop: close every connection ("Going away") and stop the work serving them."""
        for connection in list(self.connections.values()):
            await connection.close(*GOING_AWAY)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.integrations.close()

    # -- the @connections API (apigatewaymanagementapi) -------------------------------------------

    async def manage(self, api_id: str, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        """One management API request (`path` is `/<stage>/@connections/<connectionId>`), and its error
        boundary: what fails unexpectedly answers 500 and is logged under the request id."""
        request_id = new_request_id()
        headers = [("content-type", "application/json"), ("x-amzn-RequestId", request_id)]
        try:
            _, stage, _, connection_id = unquote(path).split("/", 3)
            data = await read_body(receive, self.limits.max_message_bytes)
            status, body = await self._manage(scope["method"], api_id, stage, connection_id, data)
        except AwsError as exc:
            status, member = exc.status, "Message" if isinstance(exc, PayloadTooLargeException) else "message"
            body = json.dumps({member: exc.message or None}).encode()
            headers.append(("x-amzn-ErrorType", exc.code))
        except Exception:
            log.exception("@connections request %s failed", request_id)
            status, body = 500, _INTERNAL_ERROR
        await send(response_start(status, headers, body))
        await send({"type": "http.response.body", "body": body})

    async def _manage(
        self, method: str, api_id: str, stage: str, connection_id: str, data: bytes | None
    ) -> tuple[int, bytes]:
        connection = self.connections.get(connection_id)
        if connection is None or connection.socket.api_id != api_id or connection.stage.stage != stage:
            raise GoneException()
        if method == "POST":
            if data is None:
                raise PayloadTooLargeException(f"Message too long. Max size is {self.limits.max_message_bytes} bytes.")
            try:
                text: str | bytes = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data
            await connection.send(text)
            connection.last_active = self.clock.now()
            return 200, b""
        if method == "GET":
            socket = connection.socket
            identity = {"sourceIp": socket.handshake.source_ip, "userAgent": socket.handshake.user_agent}
            answer = {
                "connectedAt": _iso(connection.connected_at),
                "identity": {k: v for k, v in identity.items() if v is not None},
                "lastActiveAt": _iso(connection.last_active),
            }
            return 200, json.dumps(answer).encode()
        if method == "DELETE":
            await connection.close(1000, "")
            return 204, b""
        raise ForbiddenException("Forbidden")


def _handshake(scope: Scope) -> Handshake:
    client = scope.get("client")
    source_ip = client[0] if client else "127.0.0.1"
    server = scope.get("server")
    port = server[1] if server and len(server) > 1 and server[1] else 80
    headers: list[tuple[str, str]] = []
    host, agent = "", None
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name == "host":
            host = value
        elif name == "user-agent":
            agent = value
        headers.append((name, value))
    headers += [("x-forwarded-for", source_ip), ("x-forwarded-port", str(port)), ("x-forwarded-proto", "http")]
    query = tuple(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    return Handshake(domain_name(host), source_ip, agent, tuple(headers), query)


def _identity(source: str, socket: Socket, stage_variables: dict[str, str]) -> bool:
    """Whether an identity source ("route.request.header.Auth", "route.request.querystring.token",
    "stageVariables.x", "context.x") has a value in this handshake."""
    kind, _, name = source.partition(".request.")
    if kind == "route":
        where, _, key = name.partition(".")
        pairs = socket.handshake.headers if where == "header" else socket.handshake.query
        key = key.lower() if where == "header" else key
        return any(n == key and v for n, v in pairs)
    if source.startswith("stageVariables."):
        return bool(stage_variables.get(source.removeprefix("stageVariables.")))
    return True  # context variables are API Gateway's own: always there


async def _refuse(send: Send, status: int, body: bytes) -> None:
    """Refuse the handshake with an HTTP answer (ASGI's websocket.http.response extension)."""
    headers = [(b"content-type", b"application/json")]
    await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})


def _ms(clock: Clock) -> int:
    return int(clock.now() * 1000)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"
