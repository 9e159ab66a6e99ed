"""The edge: the one ASGI application that answers every AWS API and Overcast's own endpoints.

It turns an ASGI request into an HttpRequest (refusing bodies over the configured size with an
AWS-shaped 413 before reading them), answers Overcast's own paths (`/_overcast/...`, and the
health path test tools poll at `/_localstack/health`), and hands everything else to the
Dispatcher. Requests for API Gateway's execute-api endpoints — Host `<apiId>.execute-api.localhost`,
or the path form `/_aws/execute-api/<apiId>/...` — go to the gateway, an ASGI callable of its own, and
so do requests whose Host is a custom domain name (`domain_hosts`, kept by API Gateway's domains);
WebSocket handshakes and `@connections` requests on those endpoints go to the WebSocket APIs.
Pure ASGI, so another ASGI server can replace uvicorn.

No exception reaches the HTTP server (whose answer would be a plain-text 500): each surface has one
boundary that logs the traceback under the request id and answers in the surface's own shape —
here the AWS APIs (`InternalFailure` in the request's protocol, see `_aws`) and Overcast's own
paths (a JSON error, see `_overcast`); the gateway keeps its own (gateway/front_door.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from overcast.api.protocols.http import HttpRequest, HttpResponse
from overcast.api.request_body import read_body
from overcast.api.response_head import response_start
from overcast.arn import new_request_id

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
# An internal route answers a GET under /_overcast/<name>/...; it gets the rest of the path.
InternalRoute = Callable[[str], Awaitable[HttpResponse]]
# An internal upload answers a PUT under /_overcast/<name>/...: the rest of the path, and the body (bounded
# by the request body limit as the AWS APIs' bodies are).
InternalUpload = Callable[[str, bytes], Awaitable[HttpResponse]]
HealthReport = Callable[[], Awaitable[dict[str, Any]]]
# A request's own path past the generic dispatcher (path, raw query, raw headers, body, request id):
# its answer, or None to dispatch it generically. See api/services/lambda_invoke.py.
FastPath = Callable[[str, bytes, list[tuple[bytes, bytes]], bytes, str], Awaitable[HttpResponse | None]]

# The gateway serves one execute-api request: (api id, the raw path after the api id, scope, receive, send).
ExecuteApi = Callable[[str, str, Scope, Receive, Send], Awaitable[None]]
# Function URLs are served alike: (URL id, the raw path, scope, receive, send).
FunctionUrls = Callable[[str, str, Scope, Receive, Send], Awaitable[None]]
# A custom domain's request: (what `domain_hosts` holds for its Host, the raw path, scope, receive, send).
CustomDomains = Callable[[Any, str, Scope, Receive, Send], Awaitable[None]]


class WebSocketApis(Protocol):
    """API Gateway's WebSocket APIs (gateway/websockets.py): a client's connection (a websocket scope),
    and the `@connections` management API on the same hosts as execute-api."""

    async def connect(self, api_id: str, path: str, scope: Scope, receive: Receive, send: Send) -> None: ...

    async def manage(self, api_id: str, path: str, scope: Scope, receive: Receive, send: Send) -> None: ...


class Dispatches(Protocol):
    """What answers the AWS APIs: api.dispatch.Dispatcher, which the composition root builds on the first
    AWS request (with it come botocore and the wire protocols, which an idle server does not need)."""

    async def dispatch(self, request: HttpRequest, request_id: str) -> HttpResponse: ...


HEALTH_PATHS = ("/_overcast/health", "/_localstack/health")
EXECUTE_API_PATH = "/_aws/execute-api/"
EXECUTE_API_HOST = b".execute-api.localhost"
FUNCTION_URL_PATH = "/_aws/lambda-url/"
FUNCTION_URL_HOST = b".lambda-url."

log = logging.getLogger("overcast.api")


class Edge:
    def __init__(
        self,
        dispatcher: Dispatches,
        *,
        max_request_bytes: int,
        health: HealthReport,
        routes: Mapping[str, InternalRoute] | None = None,
        uploads: Mapping[str, InternalUpload] | None = None,
        invoke_path: FastPath | None = None,
        gateway: ExecuteApi | None = None,
        function_urls: FunctionUrls | None = None,
        websockets: WebSocketApis | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.max_request_bytes = max_request_bytes
        self.health = health
        self.routes = dict(routes or {})
        self.uploads = dict(uploads or {})  # the few own paths that take a PUT (deploy's artifacts)
        self.invoke_path = invoke_path  # Lambda's Invoke (POST .../invocations), the hot request
        self.gateway = gateway  # API Gateway's data plane (execute-api requests)
        self.function_urls = function_urls  # Lambda's function URLs (gateway/function_urls.py)
        self.websockets = websockets  # API Gateway's WebSocket APIs and their @connections API
        # API Gateway's custom domain names: Host (lowercase, no port) -> its mappings, and what serves them.
        # Empty until a domain is mapped, so other requests pay one truthiness test for it.
        self.domain_hosts: Mapping[bytes, Any] = {}
        self.custom_domains: CustomDomains | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await _lifespan(receive, send)
            elif scope["type"] == "websocket":
                await self._websocket(scope, receive, send)
            return
        path: str = scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        if path.startswith("/_overcast/") or path.startswith("/_localstack/"):
            await self._overcast(scope, receive, path, send)
            return
        host = host_of(scope)  # read once: function URLs, execute-api and custom domains are told apart by it
        if self.function_urls is not None:
            url = function_url_target(path, host)
            if url is not None:
                await self.function_urls(url[0], url[1], scope, receive, send)
                return
        if self.gateway is not None:
            target = execute_api_target(path, host)
            if target is not None:
                if self.websockets is not None and _connections_path(target[1]):
                    await self.websockets.manage(target[0], target[1], scope, receive, send)
                else:
                    await self.gateway(target[0], target[1], scope, receive, send)
                return
        if self.domain_hosts and self.custom_domains is not None:
            routes = self.domain_hosts.get(host.lower())
            if routes is not None:
                await self.custom_domains(routes, path, scope, receive, send)
                return
        await self._aws(scope, receive, send, path)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket handshake: a WebSocket API's when it names one, else refused."""
        path: str = scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        target = execute_api_target(path, host_of(scope)) if self.websockets is not None else None
        if target is None or self.websockets is None:
            await _refuse_websocket(receive, send)
            return
        await self.websockets.connect(target[0], target[1], scope, receive, send)

    async def _aws(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        """One AWS API request, and the AWS APIs' one error boundary: whatever fails while reading,
        answering (the Invoke fast path included) or encoding answers InternalFailure."""
        request_id = new_request_id()
        body: bytes | None = b""
        try:
            body = await read_body(receive, self.max_request_bytes, self._declared_length(scope))
            response: HttpResponse | None = None
            if body is None:
                response = _too_large(self.max_request_bytes, request_id)
            elif self.invoke_path is not None and scope["method"] == "POST" and path.endswith("/invocations"):
                query = scope.get("query_string", b"")
                response = await self.invoke_path(path, query, scope["headers"], body, request_id)
            if response is None:
                response = await self.dispatcher.dispatch(_request(scope, path, body or b""), request_id)
            start = _start(response)
        except Exception:
            from overcast.api.dispatch import internal_failure  # here: it imports botocore

            log.exception("request %s failed", request_id)
            response = internal_failure(_request(scope, path, body or b""), request_id)
            start = _start(response)
        await send(start)
        if response.stream is None:
            await send({"type": "http.response.body", "body": response.body})
        else:
            await _stream(response, request_id, send)

    async def _overcast(self, scope: Scope, receive: Receive, path: str, send: Send) -> None:
        """One request for Overcast's own paths, and their error boundary: a JSON error naming the request."""
        request_id = new_request_id()
        method: str = scope["method"]
        try:
            if method == "PUT":
                response = await self._upload(scope, receive, path, request_id)
            else:
                response = await self._internal(method, path)
            start = _start(response)
        except Exception:
            log.exception("request %s for %s %s failed", request_id, method, path)
            error = f"Overcast failed to answer {method} {path}: its log has the details under this request id"
            response = _json(500, {"error": error, "requestId": request_id}, request_id)
            start = _start(response)
        await send(start)
        await send({"type": "http.response.body", "body": response.body})

    def _declared_length(self, scope: Scope) -> int | None:
        for name, value in scope["headers"]:
            if name.lower() == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return None
        return None

    async def _internal(self, method: str, path: str) -> HttpResponse:
        if path in HEALTH_PATHS:
            return _json(200, await self.health())
        parts = path.split("/", 3)  # ['', '_overcast', name, rest]
        route = self.routes.get(parts[2]) if len(parts) > 2 else None
        if route is None or method not in ("GET", "HEAD"):
            return _json(404, {"error": f"no such Overcast endpoint: {method} {path}"})
        return await route(parts[3] if len(parts) > 3 else "")

    async def _upload(self, scope: Scope, receive: Receive, path: str, request_id: str) -> HttpResponse:
        parts = path.split("/", 3)  # ['', '_overcast', name, rest]
        upload = self.uploads.get(parts[2]) if len(parts) > 2 else None
        if upload is None:
            return _json(404, {"error": f"no such Overcast endpoint: PUT {path}"}, request_id)
        body = await read_body(receive, self.max_request_bytes, self._declared_length(scope))
        if body is None:
            error = f"the body is larger than this Overcast's request limit of {self.max_request_bytes} bytes"
            return _json(413, {"error": error}, request_id)
        return await upload(parts[3] if len(parts) > 3 else "", body)


def host_of(scope: Scope) -> bytes:
    """The Host header's name as sent, without its port (b"" when there is none)."""
    for name, value in scope["headers"]:
        if name == b"host":
            return value.rpartition(b":")[0] if value[-1:].isdigit() and b":" in value else value
    return b""


def execute_api_target(path: str, host: bytes) -> tuple[str, str] | None:
    """(api id, raw path after it) for an execute-api request (its path, its `host_of`), else None."""
    if path.startswith(EXECUTE_API_PATH):
        api_id, _, rest = path[len(EXECUTE_API_PATH) :].partition("/")
        return (api_id, "/" + rest) if api_id else None
    if host.lower().endswith(EXECUTE_API_HOST):
        api_id = host[: -len(EXECUTE_API_HOST)].decode("latin-1")
        return (api_id, path) if api_id and "." not in api_id else None
    return None


def _connections_path(path: str) -> bool:
    """Whether a path after the API id is the management API's, `/<stage>/@connections/<id>`
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html)."""
    if "connections/" not in path:
        return False
    parts = path.split("/", 3)
    return len(parts) == 4 and parts[2] in ("@connections", "%40connections")


def function_url_target(path: str, host: bytes) -> tuple[str, str] | None:
    """(URL id, raw path) of a function URL request (`<id>.lambda-url.<region>.localhost`, or the path
    form `/_aws/lambda-url/<id>/...`; its `host_of`), else None."""
    if path.startswith(FUNCTION_URL_PATH):
        url_id, _, rest = path[len(FUNCTION_URL_PATH) :].partition("/")
        return (url_id, "/" + rest) if url_id else None
    lowered = host.lower()
    url_host, found, _region = lowered.partition(FUNCTION_URL_HOST)
    if found and lowered.endswith(b".localhost") and url_host and b"." not in url_host:
        return url_host.decode("latin-1"), path
    return None


async def _stream(response: HttpResponse, request_id: str, send: Send) -> None:
    """A streamed body, each part sent as it comes. Once the head is sent a failure cannot become an
    error response: the stream ends where it failed (the client sees it end without its last event)."""
    assert response.stream is not None
    if response.body:
        await send({"type": "http.response.body", "body": response.body, "more_body": True})
    try:
        async for part in response.stream:
            await send({"type": "http.response.body", "body": part, "more_body": True})
    except Exception:
        log.exception("streamed response %s failed", request_id)
    await send({"type": "http.response.body", "body": b""})


def _too_large(limit: int, request_id: str) -> HttpResponse:
    # Lambda's wording for an oversize request, e.g. "Request must be smaller than 70167211 bytes
    # for the CreateFunction operation" (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
    body = {"__type": "RequestEntityTooLargeException", "message": f"Request must be smaller than {limit} bytes"}
    response = _json(413, body, request_id)
    response.headers.append(("x-amzn-errortype", "RequestEntityTooLargeException"))
    return response


def _json(status: int, body: dict[str, Any], request_id: str | None = None) -> HttpResponse:
    headers = [("content-type", "application/json"), ("x-amzn-requestid", request_id or new_request_id())]
    return HttpResponse(status, headers, json.dumps(body).encode())


def _request(scope: Scope, path: str, body: bytes) -> HttpRequest:
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    query = scope.get("query_string", b"").decode("latin-1")
    return HttpRequest(method=scope["method"], path=path, query_string=query, headers=headers, body=body)


def _start(response: HttpResponse) -> dict[str, Any]:
    """The ASGI start of `response` (raises for a header HTTP cannot carry: inside the boundaries, on purpose)."""
    return response_start(response.status, response.headers, response.body, streamed=response.stream is not None)


async def _refuse_websocket(receive: Receive, send: Send) -> None:
    """A handshake no WebSocket API answers: refuse it (the server answers 403) rather than leave it to
    fail as a 500."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
