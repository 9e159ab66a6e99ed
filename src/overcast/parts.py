"""Parts of Overcast built on their first use, and the edge's way into the AWS APIs until they are.

A service that nobody calls should cost nothing at start: Step Functions and API Gateway (their
modules, migrations and background work) cost an `overcast up` about a third of its CPU time
before it was ready. A `Part` is built once, when its first request arrives (or at start, when the
composition root knows the data dir holds work of it that must resume). `AwsApis` is the edge's
dispatcher until then: the first AWS request builds the generic dispatcher and Lambda's Invoke
path (and imports botocore and the wire protocols with them, ~65 ms and ~6.5 MB that a server
nobody has called does not need); a request for a service whose part is not built yet waits for
its build. Once every part is built, the edge calls the dispatcher directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from overcast.api.edge import Dispatches, ExecuteApi, Receive, Scope, Send
from overcast.api.protocols.http import HttpRequest, HttpResponse
from overcast.api.services import OperationTable

if TYPE_CHECKING:
    from overcast.api.edge import Edge
    from overcast.functions.invoke import InvokeService
    from overcast.server import Overcast

log = logging.getLogger("overcast")

NOT_STARTED = "not started (started on its first request)"


class Part:
    """A service's parts, built by `build` on the first `ready()`: once, however many callers wait."""

    def __init__(self, name: str, build: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.name = name
        self._build = build
        self._task: asyncio.Task[None] | None = None

    @property
    def built(self) -> bool:
        return self._task is not None and self._task.done() and not self._failed(self._task)

    @staticmethod
    def _failed(task: asyncio.Task[None]) -> bool:
        return task.cancelled() or task.exception() is not None

    def describe(self) -> str:
        if self._task is None:
            return NOT_STARTED
        return "running" if self.built else "starting" if not self._task.done() else "failed to start"

    async def ready(self) -> None:
        """Built, now if not before. A failed build raises to its waiters and is tried again by the next
        caller; a caller that is cancelled does not cancel the build."""
        if self._task is None or (self._task.done() and self._failed(self._task)):
            self._task = asyncio.get_running_loop().create_task(self._build())
        await asyncio.shield(self._task)

    async def close(self) -> None:
        """Stop a build still in progress (what it started is on the server's closers already)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class AwsApis:
    """The edge's dispatcher and Invoke path until the first AWS request, and its dispatcher until every
    part is built (a request waits for the part of its service)."""

    def __init__(
        self,
        tables: Mapping[str, OperationTable],
        parts: Mapping[str, Part],
        invoker: InvokeService | None,
        default_account: str,
        default_region: str,
    ) -> None:
        self.tables = tables
        self.parts = parts  # by botocore service name (one part may answer several services)
        self.invoker = invoker
        self.default_account = default_account
        self.default_region = default_region
        self.edge: Edge | None = None  # the edge this stands in for (set once it exists)
        self._dispatcher: Dispatches | None = None

    def _install(self) -> Dispatches:
        from overcast.api.dispatch import Dispatcher
        from overcast.api.services.lambda_invoke import InvokePath

        edge = self.edge
        assert edge is not None
        if self._dispatcher is None:
            limit = edge.max_request_bytes
            self._dispatcher = Dispatcher(self.tables, self.default_account, self.default_region, limit)
            if self.invoker is not None and edge.invoke_path == self.invoke:  # (unless replaced meanwhile)
                edge.invoke_path = InvokePath(self.invoker, self.default_account, self.default_region).answer
        if edge.dispatcher is self and all(part.built for part in self.parts.values()):
            edge.dispatcher = self._dispatcher
        return self._dispatcher

    async def dispatch(self, request: HttpRequest, request_id: str) -> HttpResponse:
        from overcast.api.routing import resolve  # with botocore's service catalog: imported by _install too

        dispatcher = self._install()
        service = resolve(request).service
        part = self.parts.get(service) if service is not None else None
        if part is not None and not part.built:
            await part.ready()  # if it cannot be built, the edge's error boundary answers InternalFailure
            dispatcher = self._install()
        return await dispatcher.dispatch(request, request_id)

    async def invoke(
        self, path: str, query: bytes, headers: list[tuple[bytes, bytes]], body: bytes, request_id: str
    ) -> HttpResponse | None:
        self._install()
        assert self.edge is not None and self.edge.invoke_path is not None
        return await self.edge.invoke_path(path, query, headers, body, request_id)


def execute_api(part: Part, gateway: Callable[[], ExecuteApi | None], edge: Edge) -> ExecuteApi:
    """The edge's execute-api handler until API Gateway's `part` is built: it builds it, then hands the edge
    the data plane (`gateway()`, once built) and passes it the request."""

    async def first(api_id: str, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await part.ready()
        except Exception:
            log.exception("%s could not start", part.name)
            # What API Gateway answers for a failure of its own.
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": b'{"message":"Internal server error"}'})
            return
        edge.gateway = gateway()
        assert edge.gateway is not None
        await edge.gateway(api_id, path, scope, receive, send)

    return first


class OwnApis:
    """Overcast's AWS APIs as its own services call them in-process (REST APIs' AWS integrations, Step Functions'
    service tasks): the edge's dispatcher, which builds a service's part on its first call as a client's request
    would."""

    def __init__(self, system: Overcast) -> None:
        self.system = system

    def serves(self, service: str) -> bool:
        return service in self.system.tables or service in self.system.parts

    async def dispatch(self, request: HttpRequest, request_id: str) -> HttpResponse:
        assert self.system.edge is not None
        return await self.system.edge.dispatcher.dispatch(request, request_id)
