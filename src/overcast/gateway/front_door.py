"""Gateway: API Gateway's data plane — one execute-api request from the edge through the whole pipeline.

find the API and stage -> payload limit -> CORS preflight (HTTP APIs) -> route -> authorizer ->
API key and usage plan -> throttles -> quota -> request validation (REST) -> cache (REST) -> integration ->
response mapping -> CORS headers -> gateway responses (REST customisations) -> request id headers ->
metrics and access log.

Stage selection: a REST API's first path segment names the stage; an HTTP API's names it when a
stage of that name exists, else the request goes to the `$default` stage with its whole path
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).

Error boundary: whatever fails unexpectedly while answering (a bug, a store that refuses, a header
that cannot be encoded) answers 500 with API Gateway's own `{"message": "Internal server error"}`
(a REST API's DEFAULT_5XX gateway response), logged with its traceback under the request id, and
the request is still counted in the stage's metrics and access log (see `__call__`).
"""

from __future__ import annotations

import inspect
import json
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from overcast.api.request_body import read_body
from overcast.api.response_head import response_start
from overcast.apis.deployed import ApiKind, DeployedApi, KeyPlan
from overcast.apis.domains import Route, select_route
from overcast.arn import new_request_id
from overcast.clock import Clock
from overcast.gateway import cache as caching
from overcast.gateway import cors
from overcast.gateway.authorizers import Authorizers, AuthResult
from overcast.gateway.backends import Backends, Refused
from overcast.gateway.gateway_responses import Failure, customise, failure
from overcast.gateway.integrations import Integrations
from overcast.gateway.measures import NAMESPACE, request_data
from overcast.gateway.prepared import Prepared, PreparedApis
from overcast.gateway.request import GatewayRequest, RouteMatch
from overcast.gateway.request_ids import http_request_id, id_headers, request_id_of
from overcast.gateway.responses import (
    GatewayResult,
)
from overcast.gateway.throttles import Throttles, request_limits
from overcast.gateway.trace import INTERNAL_ERROR, Answer, Observer, Trace
from overcast.gateway.usage import Usage
from overcast.gateway.validation import check as validate
from overcast.observe.metrics import Metrics

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# API Gateway's payload limit, both kinds: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
_ALLOWED = AuthResult(allowed=True)
_NOT_FOUND = b'{"message":"Not Found"}'
_FORBIDDEN = b'{"message":"Forbidden"}'
_FORWARDED = frozenset({"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"})
# Ids need to be unique, not secret: a PRNG seeded from the OS once costs far less than os.urandom per request.
_ids = random.Random()  # trace ids
_names: dict[bytes, str] = {}  # raw header name -> its lowercased text: clients send few distinct names
_NAMES_LIMIT = 4096

log = logging.getLogger("overcast.gateway")


class StageSource(Protocol):
    """A control plane's published stages: HttpApis or RestApis (`deployed` may be sync or async)."""

    def deployed(self, api_id: str, stage: str) -> Any: ...


class KeyPlans(Protocol):
    """RestApis: the enabled key with this value and its usage plan for the stage, or None."""

    def key_plan(self, api_id: str, stage: str, key_value: str) -> Any: ...


class Gateway:
    def __init__(
        self,
        sources: Sequence[StageSource],
        integrations: Integrations,
        clock: Clock,
        *,
        authorizers: Authorizers | None = None,
        throttles: Throttles | None = None,
        key_plans: KeyPlans | None = None,
        usage: Usage | None = None,
        cache: caching.ResponseCache | None = None,
        metrics: Metrics | None = None,
        observers: Sequence[Observer] = (),
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        rest_api_exists: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        self.sources = list(sources)
        self.clock = clock
        self.authorizers = authorizers
        self.throttles = throttles
        self.key_plans = key_plans
        self.usage = usage
        self.cache = cache
        self.metrics = metrics
        self.observers = list(observers)
        self.max_payload_bytes = max_payload_bytes
        self.rest_api_exists = rest_api_exists
        self.prepared = PreparedApis()  # this gateway's own: route tables, throttle buckets, event text
        self.backends = Backends(integrations, self.prepared, clock)  # what routes' integrations call

    @property
    def integrations(self) -> Integrations:
        """The calls to functions and HTTP endpoints (the backends' own)."""
        return self.backends.integrations

    @integrations.setter
    def integrations(self, integrations: Integrations) -> None:
        self.backends.integrations = integrations

    # --- the edge's seam (ASGI) ------------------------------------------------------------------------

    async def serve_domain(
        self, routes: tuple[Route, ...], path: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """One request to a custom domain name: the API mapping its path selects serves the rest of the path;
        a path no mapping selects is Forbidden, as API Gateway answers it."""
        found = select_route(routes, path)
        if found is None:
            out = [(b"content-type", b"application/json"), (b"x-amzn-errortype", b"ForbiddenException")]
            out.append((b"x-amzn-requestid", new_request_id().encode()))
            await send({"type": "http.response.start", "status": 403, "headers": out})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else _FORBIDDEN})
            return
        route, rest = found
        await self(route.api_id, rest, scope, receive, send, route)

    async def __call__(
        self, api_id: str, path: str, scope: Scope, receive: Receive, send: Send, route: Route | None = None
    ) -> None:
        """One execute-api request (`route`: the custom domain's mapping it came through), and the data plane's
        one error boundary."""
        method = scope["method"]
        answer = Answer(self.clock.monotonic())
        try:
            read = await read_body(receive, self.max_payload_bytes)
            body, too_large = (b"", True) if read is None else (read, False)
            client = scope.get("client")
            source_ip = client[0] if client else "127.0.0.1"
            server = scope.get("server")
            port = server[1] if server and len(server) > 1 and server[1] else 80
            headers, host = self._request_headers(scope["headers"], source_ip, port, scope.get("scheme", "http"))
            query = scope.get("query_string", b"").decode("latin-1")
            await self._answer(answer, api_id, method, path, query, headers, body, source_ip, host, too_large, route)
            start = response_start(answer.result.status, answer.result.headers, answer.result.body)
        except Exception:
            start = self._internal_error(answer)
        await send(start)
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else answer.result.body})
        # Metrics and the access log once the client has its answer: the response waits for neither.
        try:
            self._record(answer)
        except Exception:
            log.exception("recording execute-api request %s failed", request_id_of(answer))

    def _internal_error(self, answer: Answer) -> dict[str, Any]:
        """Answer a request that failed unexpectedly with a 500, as API Gateway answers its own
        failures (the ASGI start of it); what is known of the request is kept for its metrics and
        access log."""
        request_id = request_id_of(answer)
        log.exception("execute-api request %s failed", request_id)
        api, request, trace = answer.api, answer.request, answer.trace
        ids = id_headers(api, request_id) if api is not None else (("x-amzn-RequestId", request_id),)
        answer.result = GatewayResult(500, [("content-type", "application/json"), *ids], INTERNAL_ERROR)
        if api is None or request is None or trace is None:
            return response_start(answer.result.status, answer.result.headers, answer.result.body)
        trace.latency_ms = int((self.clock.monotonic() - answer.started) * 1000)
        trace.error, trace.error_type = "Internal server error", "DEFAULT_5XX"
        try:  # a REST API's DEFAULT_5XX gateway response may be customised, and so fail in turn
            result = self._fail(api, request, trace, failure(api.kind, "DEFAULT_5XX"))
            result.headers.extend(ids)
            start = response_start(result.status, result.headers, result.body)
        except Exception:
            log.exception("execute-api request %s: its DEFAULT_5XX gateway response failed", request_id)
            return response_start(answer.result.status, answer.result.headers, answer.result.body)
        answer.result = result
        return start

    def _request_headers(
        self, raw: list[tuple[bytes, bytes]], source_ip: str, port: int, scheme: str
    ) -> tuple[tuple[tuple[str, str], ...], str]:
        """`forwarded` over the ASGI headers decoded (names lowercased), in one pass; and the Host header."""
        names = _names
        kept: list[tuple[str, str]] = []
        forwarded_for: list[str] = []
        trace: str | None = None
        host: str | None = None
        for key, raw_value in raw:
            name = names.get(key)
            if name is None:
                if len(names) >= _NAMES_LIMIT:
                    names.clear()
                name = names[key] = key.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if name in _FORWARDED:
                if name == "x-forwarded-for":
                    forwarded_for.append(value)
                elif name == "x-amzn-trace-id" and trace is None:
                    trace = value
                continue
            if name == "host" and host is None:
                host = value
            kept.append((name, value))
        kept.append(("x-forwarded-for", ", ".join([*forwarded_for, source_ip]) if forwarded_for else source_ip))
        kept.append(("x-forwarded-port", str(port)))
        kept.append(("x-forwarded-proto", scheme))
        kept.append(("x-amzn-trace-id", trace if trace is not None else self._trace_id()))
        return tuple(kept), host or ""

    def _trace_id(self) -> str:
        """A new X-Ray trace id: https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html#xray-api-traceids"""
        return f"Root=1-{int(self.clock.now()):08x}-{_ids.getrandbits(96):024x}"

    def forwarded(
        self, headers: tuple[tuple[str, str], ...], source_ip: str, port: int, scheme: str
    ) -> tuple[tuple[str, str], ...]:
        """The request headers API Gateway adds before routing: X-Forwarded-For (the client's own value,
        if any, then the source IP), X-Forwarded-Port, X-Forwarded-Proto and X-Amzn-Trace-Id (a new
        trace id unless the client sent one). Integrations and authorizers see them as AWS's do.
        https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
        https://docs.aws.amazon.com/xray/latest/devguide/xray-services-apigateway.html
        """
        forwarded_for = [v for k, v in headers if k == "x-forwarded-for"]
        kept = [(k, v) for k, v in headers if k not in _FORWARDED]
        trace = next((v for k, v in headers if k == "x-amzn-trace-id"), None)
        if trace is None:
            trace = self._trace_id()
        kept.append(("x-forwarded-for", ", ".join([*forwarded_for, source_ip])))
        kept.append(("x-forwarded-port", str(port)))
        kept.append(("x-forwarded-proto", scheme))
        kept.append(("x-amzn-trace-id", trace))
        return tuple(kept)

    async def test_invoke(
        self,
        api: DeployedApi,
        method: str,
        path: str,
        raw_query: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
    ) -> tuple[GatewayResult, GatewayRequest, dict[str, str]]:
        """TestInvokeMethod: the request through `api`'s one method as the data plane runs it (request
        validation, mapping, integration), without authorizers, API keys, throttles, the cache, metrics or access
        logs, which AWS's test invocations skip too. The answer, the request and its path parameters.
        https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-test-method.html"""
        host = f"{api.api_id}.execute-api.{api.region}.amazonaws.com"
        now = int(self.clock.now() * 1000)
        request = GatewayRequest(
            method, path, raw_query, headers, body, "test-invoke-source-ip", host, new_request_id(), now
        )  # fmt: skip
        trace = Trace()
        prepared = Prepared(api)  # not kept: the API's working definition, not one of its stages
        match = prepared.match(method, path)
        if match is None:
            return self._fail(api, request, trace, failure(api.kind, "MISSING_AUTHENTICATION_TOKEN")), request, {}
        route = match.route
        if route.validation is not None:
            invalid = validate(route.validation, prepared.route(route).body_validators, request, match)
            if invalid is not None:
                return self._fail(api, request, trace, invalid), request, match.path_parameters
        result = await self._integrate(match, request, trace, _ALLOWED, None)
        return result, request, match.path_parameters

    # --- the pipeline ----------------------------------------------------------------------------------

    async def find(self, api_id: str, path: str) -> tuple[DeployedApi, str, str] | None:
        """(the stage's snapshot, the stage prefix, the path after it) for a request path, or None."""
        first, _, rest = path[1:].partition("/")
        if first:
            for source in self.sources:
                api = source.deployed(api_id, first)
                if inspect.isawaitable(api):
                    api = await api
                if api is not None and api.stage != "$default":
                    return api, "/" + first, "/" + rest
        for source in self.sources:
            api = source.deployed(api_id, "$default")
            if inspect.isawaitable(api):
                api = await api
            if api is not None and api.kind is ApiKind.HTTP:
                return api, "", path or "/"
        return None

    async def find_mapped(self, route: Route, path: str) -> tuple[DeployedApi, str, str] | None:
        """`find` for a request through a custom domain's mapping: its stage, or the stage the path names when
        the mapping has none; the prefix holds the mapping's key (and then the stage)."""
        prefix = "/" + route.key if route.key else ""
        if not route.stage:
            found = await self.find(route.api_id, path)
            return None if found is None else (found[0], prefix + found[1], found[2])
        for source in self.sources:
            api = source.deployed(route.api_id, route.stage)
            if inspect.isawaitable(api):
                api = await api
            if api is not None:
                return api, prefix, path
        return None

    async def handle(
        self,
        api_id: str,
        method: str,
        path: str,
        raw_query: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        source_ip: str,
        host: str,
        *,
        too_large: bool = False,
    ) -> GatewayResult:
        """One request's answer, its metrics and access log recorded."""
        answer = Answer(self.clock.monotonic())
        await self._answer(answer, api_id, method, path, raw_query, headers, body, source_ip, host, too_large)
        self._record(answer)
        return answer.result

    async def _answer(
        self,
        answer: Answer,
        api_id: str,
        method: str,
        path: str,
        raw_query: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        source_ip: str,
        host: str,
        too_large: bool,
        route: Route | None = None,
    ) -> None:
        found = await self.find(api_id, path) if route is None else await self.find_mapped(route, path)
        if found is None:
            request_id = new_request_id()
            if self.rest_api_exists is not None and await self.rest_api_exists(api_id):
                # A REST API called without one of its stages answers 403 Forbidden (ForbiddenException):
                # https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden
                out = [("content-type", "application/json"), ("x-amzn-RequestId", request_id)]
                out.append(("x-amzn-ErrorType", "ForbiddenException"))
                answer.result = GatewayResult(403, out, _FORBIDDEN)
                return
            # No API, or no such stage and no $default stage: HTTP APIs answer Not Found.
            out = [("content-type", "application/json"), ("x-amzn-RequestId", request_id)]
            answer.result = GatewayResult(404, out, _NOT_FOUND)
            return
        api, prefix, rest = found
        if route is not None:  # requestContext.domainName names the custom domain (not its .localhost alias)
            host = route.domain
        rest_kind = api.kind is ApiKind.REST
        request_id = new_request_id() if rest_kind else http_request_id()
        request = GatewayRequest(
            method, rest, raw_query, headers, body, source_ip, host, request_id, int(self.clock.now() * 1000), prefix,
            route is not None,
        )  # fmt: skip
        trace = Trace()
        answer.api, answer.request, answer.trace = api, request, trace
        result = await self._pipeline(api, request, trace, too_large)
        if api.cors is not None and request.header("origin") is not None:
            result = cors.with_headers(api, request, result)
        result.headers.extend(id_headers(api, request_id))
        trace.latency_ms = int((self.clock.monotonic() - answer.started) * 1000)
        answer.result = result

    def _record(self, answer: Answer) -> None:
        """Metrics and access logs for an answered request of an API stage."""
        api, request, trace = answer.api, answer.request, answer.trace
        if api is None or request is None or trace is None:
            return
        result = answer.result
        if self.metrics is not None:
            # AWS/ApiGateway metrics by API and by API + stage (detailed per-route metrics are off by default).
            data = request_data(
                api.kind,
                result.status,
                trace.latency_ms,
                trace.integration_latency_ms,
                trace.cache_hit,
                len(result.body),
                len(request.body),
            )
            keys = self.prepared.of(api).metric_keys
            self.metrics.record_sets(NAMESPACE, keys, data, account=api.account_id, region=api.region)
        for observer in self.observers:
            observer.observe(api, request, result, trace)

    def _fail(self, api: DeployedApi, request: GatewayRequest, trace: Trace, answer: Failure) -> GatewayResult:
        trace.error = answer.message
        trace.error_type = answer.response_type or ""
        status, headers, body = customise(api, answer, request.request_id)
        out = [("content-type", "application/json")]
        out.extend(headers)
        return GatewayResult(status, out, body)

    async def _pipeline(
        self, api: DeployedApi, request: GatewayRequest, trace: Trace, too_large: bool
    ) -> GatewayResult:
        kind = api.kind
        if too_large:
            return self._fail(api, request, trace, failure(kind, "REQUEST_TOO_LARGE"))
        if kind is ApiKind.HTTP and api.cors is not None and cors.is_preflight(request):
            return cors.preflight(api, request)
        snapshot = self.prepared.of(api)
        match = snapshot.match(request.method, request.path)
        if match is None:
            return self._fail(api, request, trace, failure(kind, "MISSING_AUTHENTICATION_TOKEN"))
        trace.match = match
        route = match.route
        auth = _ALLOWED
        if route.authorization_type not in ("NONE", ""):
            if self.authorizers is None:  # never skip an authorizer: without one, no request passes
                return self._fail(api, request, trace, failure(kind, "DEFAULT_5XX"))
            auth = trace.auth = await self.authorizers.authorize(match, request)
            if not auth.allowed:
                return self._fail(api, request, trace, _auth_failure(auth))
        plan: KeyPlan | None = None
        if route.api_key_required:
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
            key = auth.usage_identifier_key if api.api_key_source == "AUTHORIZER" else request.header("x-api-key")
            if key and self.key_plans is not None:
                found = self.key_plans.key_plan(api.api_id, api.stage, key)
                plan = await found if inspect.isawaitable(found) else found
            if plan is None:
                return self._fail(api, request, trace, failure(kind, "INVALID_API_KEY"))
            trace.api_key_id = plan.key_id
        limits = snapshot.route(route).limits if plan is None else request_limits(api, route, plan)
        if self.throttles is not None and not self.throttles.check(limits):
            return self._fail(api, request, trace, failure(kind, "THROTTLED"))
        if (
            plan is not None
            and plan.quota is not None
            and self.usage is not None
            and not await self.usage.consume(plan)
        ):
            return self._fail(api, request, trace, failure(kind, "QUOTA_EXCEEDED"))
        if route.validation is not None:
            invalid = validate(route.validation, snapshot.route(route).body_validators, request, match)
            if invalid is not None:
                return self._fail(api, request, trace, invalid)
        if kind is ApiKind.REST and self.cache is not None and api.cache_cluster_enabled:
            return await self._cached(match, request, trace, auth, plan)
        return await self._integrate(match, request, trace, auth, plan)

    async def _cached(
        self, match: RouteMatch, request: GatewayRequest, trace: Trace, auth: AuthResult, plan: KeyPlan | None
    ) -> GatewayResult:
        """REST stage caching: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html"""
        api, route = match.api, match.route
        settings = route.cache if route.cache is not None else api.cache
        if self.cache is None or not settings.enabled or (route.cache is None and request.method != "GET"):
            return await self._integrate(match, request, trace, auth, plan)
        wanted = caching.invalidation(request, settings.require_authorization_for_invalidation)
        if wanted is caching.Invalidation.FORBIDDEN:
            return self._fail(api, request, trace, Failure(403, b'{"message":"Forbidden"}', (), "ACCESS_DENIED"))
        key = self.cache.key_for(
            api.api_id, api.stage, request.method, route.path, request, match.path_parameters, settings.key_parameters
        )
        if wanted is caching.Invalidation.INVALIDATE:
            self.cache.invalidate(key)
        else:
            hit = self.cache.get(key)
            trace.cache_hit = hit is not None
            if hit is not None:
                return GatewayResult(hit.status, list(hit.headers), hit.body)
        result = await self._integrate(match, request, trace, auth, plan)
        if trace.integration_status is not None:
            self.cache.put(key, result.status, tuple(result.headers), result.body, settings.ttl_seconds)
        if wanted is caching.Invalidation.IGNORE_WITH_WARNING:
            result.headers.append(caching.UNAUTHORIZED_WARNING)
        return result

    async def _integrate(
        self, match: RouteMatch, request: GatewayRequest, trace: Trace, auth: AuthResult, plan: KeyPlan | None
    ) -> GatewayResult:
        outcome = await self.backends.call(match, request, trace, auth, plan)
        if isinstance(outcome, Refused):
            result = self._fail(match.api, request, trace, outcome.answer)
            if outcome.error is not None:
                trace.error = outcome.error
            if outcome.integration_error is not None:
                trace.integration_error = outcome.integration_error
            return result
        return outcome


def _auth_failure(auth: AuthResult) -> Failure:
    message = ""
    try:
        value = json.loads(auth.body) if auth.body else None
        if isinstance(value, dict):
            message = str(value.get("message") or value.get("Message") or "")
    except ValueError:
        pass
    return Failure(auth.status, auth.body, auth.headers, auth.gateway_response_type, message)


__all__ = ["MAX_PAYLOAD_BYTES", "Gateway", "KeyPlans", "Observer", "StageSource", "Trace"]
