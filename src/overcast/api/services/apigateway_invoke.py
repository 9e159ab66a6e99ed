"""API Gateway (v1) TestInvokeMethod: a request through one method of a REST API's working definition.

The data plane runs it (`Gateway.test_invoke`, through `Services.test_invoke`) on the method as it is now,
deployed or not, with the stage variables the caller gives; the answer carries the status, body, headers,
latency and an execution log in AWS's shape.
https://docs.aws.amazon.com/apigateway/latest/api/API_TestInvokeMethod.html
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from overcast.api.services import Output, Params, Unbound
from overcast.apis.deployed import DeployedApi
from overcast.apis.restapi.snapshot import test_invoke_api
from overcast.context import RequestContext
from overcast.errors import NotImplementedOperation

if TYPE_CHECKING:
    from overcast.api.services.apigateway import Services
    from overcast.gateway.request import GatewayRequest
    from overcast.gateway.responses import GatewayResult

# (the API, method, path, raw query, headers, body) -> (the answer, the request as the data plane saw it,
# its path parameters)
TestInvoke = Callable[
    [DeployedApi, str, str, str, tuple[tuple[str, str], ...], bytes],
    Awaitable[tuple["GatewayResult", "GatewayRequest", dict[str, str]]],
]


def _headers(p: Params) -> tuple[tuple[str, str], ...]:
    """The request's headers (names lowercased, as the data plane takes them): multiValueHeaders' values,
    then headers' for names not given there."""
    multi = p.get("multiValueHeaders") or {}
    out = [(k.lower(), v) for k, values in multi.items() for v in values]
    out += [(k.lower(), v) for k, v in (p.get("headers") or {}).items() if k not in multi]
    return tuple(out)


def _stamp(now: float) -> str:
    """The log's time stamps, as AWS writes them: `Mon Dec 07 15:30:00 UTC 2026`."""
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(now))


def _log(now: float, request: GatewayRequest, path_parameters: dict[str, str], result: GatewayResult) -> str:
    stamp = _stamp(now)
    headers = {k: v for k, v in result.headers}
    lines = [
        f"Starting execution for request: {request.request_id}",
        f"HTTP Method: {request.method}, Resource Path: {request.path}",
        f"Method request path: {path_parameters}",
        f"Method request query string: {dict(request.query())}",
        f"Method request headers: {dict(request.headers)}",
        f"Method request body before transformations: {request.body.decode('utf-8', 'replace')}",
        f"Method response body after transformations: {result.body.decode('utf-8', 'replace')}",
        f"Method response headers: {headers}",
        "Successfully completed execution" if result.status < 500 else "Execution failed",
        f"Method completed with status: {result.status}",
    ]
    return f"Execution log for request {request.request_id}\n" + "".join(f"{stamp} : {line}\n" for line in lines)


async def test_invoke_method(s: Services, ctx: RequestContext, p: Params) -> Output:
    if s.test_invoke is None:
        raise NotImplementedOperation("TestInvokeMethod needs the data plane, which this Overcast does not run")
    clock = s.apis.clock
    d = await s.apis.read(ctx, p["restApiId"])
    resource_id, method = p["resourceId"], p["httpMethod"].upper()
    api = test_invoke_api(
        ctx.account_id, ctx.region, p["restApiId"], d, resource_id, method, dict(p.get("stageVariables") or {}),
        clock.now(),
    )  # fmt: skip
    path, _, query = (p.get("pathWithQueryString") or d.resources[resource_id].path).partition("?")
    body = (p.get("body") or "").encode()
    began = clock.monotonic()
    result, request, path_parameters = await s.test_invoke(api, method, path or "/", query, _headers(p), body)
    latency = int((clock.monotonic() - began) * 1000)
    multi: dict[str, list[str]] = {}
    for k, v in result.headers:
        multi.setdefault(k, []).append(v)
    return {
        "status": result.status,
        "body": result.body.decode("utf-8", "replace"),
        "headers": {k: values[-1] for k, values in multi.items()},
        "multiValueHeaders": multi,
        "log": _log(clock.now(), request, path_parameters, result),
        "latency": latency,
    }


INVOKE_HANDLERS: dict[str, Unbound[Services]] = {"TestInvokeMethod": test_invoke_method}
