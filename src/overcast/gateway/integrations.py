"""Integrations: how a route reaches a Lambda function (AWS_PROXY, AWS), another AWS service (AWS, `services`) or an
HTTP endpoint (HTTP_PROXY, HTTP).

MOCKs reach none; the non-proxy integrations' mapping is `mapping`'s.

The integration timeout (REST 50..29,000 ms, HTTP APIs 50..30,000 ms) bounds each call; past it the
caller answers INTEGRATION_TIMEOUT (REST 504, HTTP API 503).
https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

from overcast.apis.deployed import ApiKind, DeployedApi, Integration
from overcast.arn import format_arn, function_in_uri, new_request_id, parse_arn
from overcast.context import Caller, RequestContext, service
from overcast.errors import AwsError
from overcast.gateway.deadlines import Deadlines
from overcast.gateway.request import GatewayRequest, RouteMatch
from overcast.gateway.services import AwsServices, ServiceAnswer, ServiceCall, ServiceUnavailable

if TYPE_CHECKING:
    import httpx  # imported on the first HTTP_PROXY request: ~60 ms and ~5 MB that most servers never use

# Headers that belong to one connection, never forwarded (RFC 9110 section 7.6.1), plus the ones
# the forwarding client sets itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
log = logging.getLogger("overcast.gateway")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


class IntegrationTimeout(Exception):
    """The backend did not answer within the integration's timeout."""


class IntegrationFailure(Exception):
    """The backend could not be reached or refused the call (not a function error)."""


class Invoker(Protocol):
    async def invoke(
        self,
        ctx: RequestContext,
        function_name: str,
        payload: bytes,
        *,
        qualifier: str | None = None,
        json_payload: bool = False,
        caller: Caller | None = None,
    ) -> _InvokeOutput: ...


class _InvokeOutput(Protocol):
    @property
    def payload(self) -> bytes: ...

    @property
    def function_error(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class LambdaReply:
    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed


@dataclass(frozen=True, slots=True)
class BackendReply:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def substitute_stage_variables(text: str, stage_variables: Mapping[str, str]) -> str:
    """`${stageVariables.name}` in an integration URI, as API Gateway resolves it at request time."""
    if "${" not in text:
        return text
    return _STAGE_VARIABLE.sub(lambda m: stage_variables.get(m.group(1), ""), text)


_CACHE_LIMIT = 4096
APIGATEWAY = "apigateway.amazonaws.com"  # the service principal API Gateway invokes functions as


class Integrations:
    def __init__(
        self, invoker: Invoker, http: httpx.AsyncClient | None = None, services: AwsServices | None = None
    ) -> None:
        self.invoker = invoker
        self._http = http
        self.services = services  # AWS integrations of other services than Lambda's invocations
        # what follows from configuration alone, worked out once: (uri, stage variables, region, account)
        # -> the function's ARN; a function ARN -> the (account, Region) it belongs to
        self._targets: dict[tuple[str, tuple[tuple[str, str], ...], str, str], str] = {}
        self._owners: dict[str, tuple[str, str]] = {}
        self.deadlines = Deadlines()

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            import httpx

            # Redirects are the client's business: HTTP_PROXY passes 3xx answers through.
            self._http = httpx.AsyncClient(follow_redirects=False, timeout=None)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def invoke_function(
        self, function_arn: str, payload: bytes, api: DeployedApi, source_arn: Callable[[], str]
    ) -> Any:
        """Invoke a function by its ARN as API Gateway does for `api` (Lambda authorizers use this too), with
        an event the gateway wrote as JSON itself: from the API's account, in the function's Region, as the
        service principal acting for `source_arn()` (the method, route or authorizer ARN).

        A function of another account runs only if its policy lets the API in, as on AWS
        (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-lambda-proxy-integration-cross-account.html).
        One of the API's own account runs without one: AWS wants a policy there too, but the tools Overcast's
        users deploy with (SAM, the console) add it for them, and APIs made call by call through the API
        would otherwise fail where they worked before. So Overcast holds the boundary between accounts only."""
        owner = self._owners.get(function_arn)
        if owner is None:
            arn = parse_arn(function_arn)
            owner = (api.account_id, api.region)
            if arn is not None and arn.service == "lambda":
                owner = (arn.account or owner[0], arn.region or owner[1])
            if len(self._owners) >= _CACHE_LIMIT:
                self._owners.clear()
            self._owners[function_arn] = owner
        account, region = owner
        ctx = RequestContext(
            account_id=api.account_id, region=region, request_id=new_request_id(), service="apigateway",
            operation="Invoke",
        )  # fmt: skip
        caller = None if account == api.account_id else service(APIGATEWAY, api.account_id, source_arn())
        return await self.invoker.invoke(ctx, function_arn, payload, json_payload=True, caller=caller)

    def _target(self, api: DeployedApi, integration: Integration) -> str:
        key = (integration.uri, api.stage_variables, api.region, api.account_id)
        target = self._targets.get(key)
        if target is None:
            target = function_in_uri(substitute_stage_variables(integration.uri, dict(api.stage_variables)))
            if not target.startswith("arn:"):
                target = format_arn("lambda", api.region, api.account_id, f"function:{target}")
            if len(self._targets) >= _CACHE_LIMIT:
                self._targets.clear()
            self._targets[key] = target
        return target

    async def invoke_lambda(
        self, api: DeployedApi, integration: Integration, event: bytes, source_arn: Callable[[], str]
    ) -> LambdaReply:
        """Invoke the integration's function synchronously with `event` for the route `source_arn()` names."""
        target = self._target(api, integration)
        call = self.deadlines.start(integration.timeout_ms / 1000)
        try:
            output = await self.invoke_function(target, event, api, source_arn)
        except asyncio.CancelledError:
            if self.deadlines.finish(call):
                raise IntegrationTimeout(target) from None
            raise
        except AwsError as exc:
            raise IntegrationFailure(f"{exc.code}: {exc.message}") from exc
        finally:
            self.deadlines.finish(call)
        return LambdaReply(output.payload, output.function_error)

    async def call_service(
        self,
        api: DeployedApi,
        integration: Integration,
        call: ServiceCall,
        epoch_ms: int,
        request: tuple[str, list[tuple[str, str]], list[tuple[str, str]], bytes],
    ) -> ServiceAnswer:
        """An AWS integration's call of a service (`request`: its method, query string, headers and body) within
        the integration's timeout; the service's answer, an error status included."""
        if self.services is None:
            raise IntegrationFailure(f"{call.what}: AWS service integrations are not available on this server")
        method, query, headers, body = request
        deadline = self.deadlines.start(integration.timeout_ms / 1000)
        try:
            answer = await self.services.call(call, api.account_id, epoch_ms, method, query, headers, body)
        except asyncio.CancelledError:
            if self.deadlines.finish(deadline):
                raise IntegrationTimeout(call.what) from None
            raise
        except ServiceUnavailable as exc:
            raise IntegrationFailure(str(exc)) from exc
        except Exception as exc:  # the dispatcher lets a handler's own failure through, as the edge does
            log.exception("%s: the service failed", call.what)
            raise IntegrationFailure(f"{call.what}: InternalFailure") from exc
        finally:
            self.deadlines.finish(deadline)
        return answer

    async def forward(self, match: RouteMatch, request: GatewayRequest, path: str | None = None) -> BackendReply:
        """HTTP_PROXY: pass the request through to the endpoint and its answer back unchanged (`path`: the
        path an HTTP API's parameter mapping sets in place of the endpoint's)."""
        integration = match.route.integration
        method = request.method if integration.http_method in ("ANY", "") else integration.http_method
        headers = [(k, v) for k, v in request.headers if k not in HOP_BY_HOP]
        return await self.send(integration, method, http_proxy_url(match, request, path), headers, request.body)

    async def send(
        self, integration: Integration, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> BackendReply:
        """One HTTP call to an integration's endpoint within its timeout; the answer without hop-by-hop headers."""
        import httpx

        call = self.deadlines.start(integration.timeout_ms / 1000)
        try:
            response = await self.http.request(method, url, headers=headers, content=body)
        except asyncio.CancelledError:
            if self.deadlines.finish(call):
                raise IntegrationTimeout(url) from None
            raise
        except httpx.HTTPError as exc:
            raise IntegrationFailure(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self.deadlines.finish(call)
        out = tuple(
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in response.headers.raw
            if k.decode("latin-1").lower() not in HOP_BY_HOP
        )
        return BackendReply(response.status_code, out, response.content)


def http_proxy_url(match: RouteMatch, request: GatewayRequest, path: str | None = None) -> str:
    """The backend URL: `{name}` placeholders filled from path parameters (re-encoded; `{proxy}` keeps
    its slashes), stage variables resolved, the query string passed on. An HTTP API's `$default`
    route sends the full request path to the integration
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html);
    `path` (an HTTP API's `overwrite:path` mapping) replaces the URL's whole path."""
    api, integration = match.api, match.route.integration
    url = substitute_stage_variables(integration.uri, dict(api.stage_variables))
    params = dict(match.path_parameters)
    for destination, source in integration.request_parameters:
        # REST: "integration.request.path.proxy" <- "method.request.path.proxy"
        if destination.startswith("integration.request.path.") and source.startswith("method.request.path."):
            value = match.path_parameters.get(source.removeprefix("method.request.path."))
            if value is not None:
                params[destination.removeprefix("integration.request.path.")] = value
    for name, value in params.items():
        placeholder = "{" + name + "}"
        if placeholder in url:
            url = url.replace(placeholder, quote(value, safe="/" if name == "proxy" else ""))
        url = url.replace("{" + name + "+}", quote(value, safe="/"))
    if path is not None:
        parts = urlsplit(url)
        url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    elif api.kind is ApiKind.HTTP and match.route.path == "$default":
        url = url.rstrip("/") + request.path
    if request.raw_query:
        url += ("&" if "?" in url else "?") + request.raw_query
    return url
