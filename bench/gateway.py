"""API Gateway: added latency over a direct Invoke, throughput, throttling accuracy, a quota's cut-off.

Every figure is printed next to a limit measured in the same run with the same raw keep-alive
client: a direct Invoke of the same function through the Lambda Invoke API (the gateway's added
latency), and the minimal raw ASGI app on uvicorn (throughput, and a REST MOCK route's latency:
the gateway's own pipeline with no function behind it). Throttling and quotas are compared with
what the configured rate, burst and quota allow.
"""

from __future__ import annotations

import datetime
import multiprocessing
import subprocess
import sys
import time
from typing import Any

import boto3
from botocore.config import Config

from bench.invoke import (
    CLIENTS,
    Overcast,
    _free_port,
    _invoke_raw,
    _line,
    _p,
    _throughput,
    _wait_port,
    alternating_throughput,
    interleaved,
)
from bench.raw_http import RawClient

# One function behind every route and the direct Invoke: a constant proxy response, valid for payload
# 1.0 (REST) and 2.0 (HTTP APIs) alike. bench/invoke.py's echo (`return event`) would not do: a REST
# API answers 502 to a function returning its own event, and an HTTP API would send the whole event
# back as the body, so the figures would compare different amounts of work.
ECHO = 'def handler(event, context):\n    return {"statusCode": 200, "body": "{}"}\n'
ROUNDS, PER_ROUND = 6, 500  # latency samples taken in interleaved rounds, so noise hits every target alike
RATE, BURST, THROTTLE_SECONDS = 200.0, 50, 10.0
QUOTA, EXTRA = 400, 40
LATENCY_BUDGET = 1.3


def _get(host: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    """A prepared GET naming the API by Host, as clients of execute-api do."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Content-Length: 0"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _offer(args: tuple[int, bytes, float, float]) -> dict[int, int]:
    """One client sending back to back from `start` for `seconds`; the count of answers by status."""
    port, raw, start, seconds = args
    client = RawClient("127.0.0.1", port)
    counts: dict[int, int] = {}
    while time.monotonic() < start:
        time.sleep(0.001)
    end = start + seconds
    while time.monotonic() < end:
        status, _ = client.send(raw)
        counts[status] = counts.get(status, 0) + 1
    client.close()
    return counts


def _send(args: tuple[int, bytes, int]) -> tuple[dict[int, int], bytes]:
    """One client sending `count` requests; the count of answers by status, and the last error's body."""
    port, raw, count = args
    client = RawClient("127.0.0.1", port)
    counts: dict[int, int] = {}
    error = b""
    for _ in range(count):
        status, body = client.send(raw)
        counts[status] = counts.get(status, 0) + 1
        if status != 200:
            error = body
    client.close()
    return counts, error


class Apis:
    """The bench's APIs, made with boto3 as a user makes them."""

    def __init__(self, oc: Overcast, function_arn: str) -> None:
        config = Config(retries={"max_attempts": 1})
        self.v2 = boto3.client("apigatewayv2", endpoint_url=oc.url, region_name="us-east-1", config=config)
        self.v1 = boto3.client("apigateway", endpoint_url=oc.url, region_name="us-east-1", config=config)
        self.port = oc.port
        self.function_arn = function_arn

    def host(self, api_id: str) -> str:
        return f"{api_id}.execute-api.localhost:{self.port}"

    def http_api(self, name: str) -> str:
        """Quick create: a `$default` route to the function (payload 2.0) on an auto-deployed `$default` stage."""
        return str(self.v2.create_api(Name=name, ProtocolType="HTTP", Target=self.function_arn)["ApiId"])

    def rest_api(self, name: str, *, api_key_required: bool = False) -> str:
        """GET /echo with a Lambda proxy integration and GET /mock with a MOCK one, deployed to stage `prod`."""
        api_id = str(self.v1.create_rest_api(name=name)["id"])
        root = next(r["id"] for r in self.v1.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
        echo = self.v1.create_resource(restApiId=api_id, parentId=root, pathPart="echo")["id"]
        self.v1.put_method(
            restApiId=api_id,
            resourceId=echo,
            httpMethod="GET",
            authorizationType="NONE",
            apiKeyRequired=api_key_required,
        )
        uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{self.function_arn}/invocations"
        self.v1.put_integration(
            restApiId=api_id, resourceId=echo, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST", uri=uri
        )
        mock = self.v1.create_resource(restApiId=api_id, parentId=root, pathPart="mock")["id"]
        self.v1.put_method(restApiId=api_id, resourceId=mock, httpMethod="GET", authorizationType="NONE")
        self.v1.put_integration(
            restApiId=api_id,
            resourceId=mock,
            httpMethod="GET",
            type="MOCK",
            requestTemplates={"application/json": '{"statusCode": 200}'},
        )
        self.v1.put_method_response(restApiId=api_id, resourceId=mock, httpMethod="GET", statusCode="200")
        self.v1.put_integration_response(
            restApiId=api_id,
            resourceId=mock,
            httpMethod="GET",
            statusCode="200",
            responseTemplates={"application/json": "{}"},
        )
        self.v1.create_deployment(restApiId=api_id, stageName="prod")
        return api_id


def run() -> None:
    print("\n== API Gateway ==")
    limit_port = _free_port()
    minimal = subprocess.Popen([sys.executable, "-m", "bench.minimal_asgi", str(limit_port)])
    try:
        _wait_port(limit_port)
        bare = RawClient.request_bytes("POST", "/", b"{}")
        limit = interleaved({"asgi": (limit_port, bare)}, ROUNDS, PER_ROUND)["asgi"]
        limit_rps = _throughput(limit_port, bare)
    finally:
        minimal.terminate()
        minimal.wait()
    print(
        f"limit: minimal ASGI round trip p50 {_p(limit, 0.5) * 1e3:.3f} ms, p99 {_p(limit, 0.99) * 1e3:.3f} ms,"
        f" {limit_rps:,.0f} req/s with {CLIENTS} clients"
    )

    oc = Overcast()
    try:
        # The platform's overhead is measured on a function with one full CPU (1769 MB): at 128 MB
        # the kernel gives the function 7.2 ms of CPU per 100 ms, so back-to-back requests would
        # measure the function's CFS throttling (as on AWS), not the gateway.
        oc.create("echo", ECHO, memory=1769)
        oc.invoke("echo", {})
        apis = Apis(oc, oc.lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"])
        http_id, rest_id = apis.http_api("bench-http"), apis.rest_api("bench-rest")
        targets = {
            "direct": _invoke_raw("echo"),
            "http": _get(apis.host(http_id), "/echo"),
            "rest": _get(apis.host(rest_id), "/prod/echo"),
            "mock": _get(apis.host(rest_id), "/prod/mock"),
        }
        _latency(oc.port, targets, _p(limit, 0.5))
        _rates(oc.port, targets["http"], targets["direct"], limit_rps)
        _throttling(apis)
        _quota(apis)
    finally:
        oc.stop()


def _latency(port: int, targets: dict[str, bytes], asgi_p50: float) -> None:
    times = interleaved({name: (port, raw) for name, raw in targets.items()}, ROUNDS, PER_ROUND)
    d50, d99 = _p(times["direct"], 0.5), _p(times["direct"], 0.99)
    print(f"limit: direct Invoke round trip p50 {d50 * 1e3:.3f} ms, p99 {d99 * 1e3:.3f} ms")
    for name, label in (("http", "HTTP API (quick create, 2.0)"), ("rest", "REST API (Lambda proxy)")):
        p50, p99 = _p(times[name], 0.5), _p(times[name], 0.99)
        ok = p50 / d50 <= LATENCY_BUDGET
        _line(f"GET p50, {label}", f"{p50 * 1e3:.3f} ms", p50 / d50, f"<= {LATENCY_BUDGET} x", ok)
        print(f"{f'GET p99, {label}':<46} {p99 * 1e3:>11.3f} ms  = {p99 / d99:6.2f} x limit")
    # Where the time goes: the gateway's own pipeline with no function behind it, against the bare ASGI trip.
    mock = _p(times["mock"], 0.5)
    label = "GET p50, REST API MOCK (no function)"
    print(f"{label:<46} {mock * 1e3:>11.3f} ms  = {mock / asgi_p50:6.2f} x minimal ASGI")


def _rates(port: int, http: bytes, direct: bytes, limit_rps: float, rounds: int = 3) -> None:
    """Throughput through the HTTP API and by direct Invoke, in alternating rounds; the median of each."""
    rates = alternating_throughput({"http": (port, http), "direct": (port, direct)}, rounds)
    http_rps, direct_rps = rates["http"], rates["direct"]
    print(
        f"{f'throughput, {CLIENTS} clients, HTTP API':<46} {http_rps:>10,.0f} req/s"
        f"  = {http_rps / limit_rps:6.2f} x limit"
        f"   ({http_rps / direct_rps:.2f} x direct Invoke's {direct_rps:,.0f} req/s)"
    )


def _throttling(apis: Apis) -> None:
    api_id = apis.http_api("bench-throttled")
    apis.v2.update_stage(
        ApiId=api_id,
        StageName="$default",
        DefaultRouteSettings={"ThrottlingRateLimit": RATE, "ThrottlingBurstLimit": BURST},
    )
    raw = _get(apis.host(api_id), "/echo")
    # Let the bucket fill: it holds at most BURST tokens whenever the load starts.
    time.sleep(BURST / RATE + 0.1)
    start = time.monotonic() + 0.5  # every client process is up and connected by then
    with multiprocessing.Pool(CLIENTS) as pool:
        results = pool.map(_offer, [(apis.port, raw, start, THROTTLE_SECONDS)] * CLIENTS)
    admitted = sum(r.get(200, 0) for r in results)
    throttled = sum(r.get(429, 0) for r in results)
    other = sum(n for r in results for status, n in r.items() if status not in (200, 429))
    allowed = RATE * THROTTLE_SECONDS + BURST
    error = (admitted - allowed) / allowed
    offered = (admitted + throttled + other) / THROTTLE_SECONDS
    print(
        f"throttling: stage rate {RATE:.0f}/s burst {BURST}, {CLIENTS} clients offering {offered:,.0f} req/s"
        f" for {THROTTLE_SECONDS:.0f} s: {admitted} admitted, {throttled} got 429, {other} other"
    )
    ok = abs(error) <= 0.05 and offered > RATE and other == 0
    print(
        f"{'throttling: admitted vs rate x 10 s + burst':<46} {f'{admitted} / {allowed:.0f}':>14}"
        f"  error {error:+6.1%}         budget within 5 %: {'OK' if ok else 'OVER'}"
    )


def _quota(apis: Apis) -> None:
    api_id = apis.rest_api("bench-quota", api_key_required=True)
    key = apis.v1.create_api_key(name="bench-key", enabled=True)
    plan = apis.v1.create_usage_plan(
        name="bench-plan",
        apiStages=[{"apiId": api_id, "stage": "prod"}],
        quota={"limit": QUOTA, "period": "DAY"},
    )
    apis.v1.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    raw = _get(apis.host(api_id), "/prod/echo", {"x-api-key": key["value"]})
    sent = QUOTA + EXTRA
    per_client = [sent // CLIENTS + (1 if i < sent % CLIENTS else 0) for i in range(CLIENTS)]
    with multiprocessing.Pool(CLIENTS) as pool:
        results = pool.map(_send, [(apis.port, raw, n) for n in per_client])
    admitted = sum(counts.get(200, 0) for counts, _ in results)
    limited = sum(counts.get(429, 0) for counts, _ in results)
    body = next((error for _, error in results if error), b"")
    missing, missing_body = _send((apis.port, _get(apis.host(api_id), "/prod/echo"), 1))
    time.sleep(0.1)  # usage counts are written behind the requests
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    usage: Any = apis.v1.get_usage(usagePlanId=plan["id"], keyId=key["id"], startDate=today, endDate=today)
    reported = usage["items"].get(key["id"], [[None, None]])[0]
    ok = admitted == QUOTA and limited == EXTRA
    print(
        f"quota: {QUOTA} a day, {sent} requests with the key from {CLIENTS} clients: {admitted} admitted,"
        f" {limited} got 429 {body.decode()}; without the key: {next(iter(missing))} {missing_body.decode()};"
        f" GetUsage [used, remaining] {reported}"
    )
    verdict = "OK" if ok else "OVER"
    print(f"{'quota cut-off: admitted vs quota':<46} {f'{admitted} / {QUOTA}':>14}  budget exactly: {verdict}")
