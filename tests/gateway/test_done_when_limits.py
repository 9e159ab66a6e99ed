"""Issue 5, "Done when" 3 (throttling) and the limits: stage throttling under a concurrent burst, integration
timeouts (REST 504, HTTP API 503) and the 10 MB payload limit (413), through the real server.

Throttling here is a short burst (well under 2 s): it admits the burst plus what the rate refills while
the burst lasts, and answers the rest 429. The rate's accuracy over 10 s of load is `make bench`'s job.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function

SLEEPY = """
import time
def handler(event, context):
    path = event.get("rawPath") or event.get("path") or ""
    if path.endswith("/slow"):
        time.sleep(1.5)
    return {"statusCode": 200, "body": "done"}
"""
RATE, BURST = 10.0, 5
REQUESTS = 30
MAX_PAYLOAD = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def function_arn(aws: ClientFactory) -> str:
    return python_function(aws("lambda"), "dw-limits", SLEEPY)


def host(server: RunningServer, api_id: str) -> dict[str, str]:
    return {"host": f"{api_id}.execute-api.localhost:{urlsplit(server.url).port}"}


async def burst(server: RunningServer, api_id: str, path: str) -> tuple[list[httpx.Response], float]:
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
    async with httpx.AsyncClient(base_url=server.url, headers=host(server, api_id), limits=limits, timeout=30) as c:
        started = time.monotonic()
        answers = await asyncio.gather(*(c.get(path) for _ in range(REQUESTS)))
        return list(answers), time.monotonic() - started


def check_throttled(answers: list[httpx.Response], elapsed: float) -> None:
    admitted = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    assert BURST <= len(admitted) <= BURST + RATE * elapsed + 1, (len(admitted), elapsed)
    assert refused and all(a.status_code == 429 for a in refused)
    assert all(a.json() == {"message": "Too Many Requests"} for a in refused)


async def test_http_api_stage_throttling_under_a_burst(
    aws: ClientFactory, server: RunningServer, function_arn: str
) -> None:
    v2 = aws("apigatewayv2")
    api_id = v2.create_api(Name="dw-throttle", ProtocolType="HTTP", Target=function_arn)["ApiId"]
    v2.update_stage(
        ApiId=api_id,
        StageName="$default",
        DefaultRouteSettings={"ThrottlingBurstLimit": BURST, "ThrottlingRateLimit": RATE},
    )
    answers, elapsed = await burst(server, api_id, "/anything")
    check_throttled(answers, elapsed)


async def test_rest_stage_throttling_under_a_burst(aws: ClientFactory, server: RunningServer) -> None:
    apigw = aws("apigateway")
    api_id = apigw.create_rest_api(name="dw-throttle")["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )  # fmt: skip
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200",
        responseTemplates={"application/json": '{"ok": true}'},
    )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    apigw.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(RATE)},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(BURST)},
        ],
    )
    answers, elapsed = await burst(server, api_id, "/prod/")
    check_throttled(answers, elapsed)
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["x-amzn-ErrorType"] == "TooManyRequestsException"


def rest_api(aws: ClientFactory, function_arn: str, timeout_ms: int) -> str:
    apigw = aws("apigateway")
    api_id = str(apigw.create_rest_api(name="dw-timeouts")["id"])
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    proxy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id, resourceId=proxy, httpMethod="ANY", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        timeoutInMillis=timeout_ms,
    )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def http_api(aws: ClientFactory, function_arn: str, timeout_ms: int) -> str:
    v2 = aws("apigatewayv2")
    api_id = str(v2.create_api(Name="dw-timeouts", ProtocolType="HTTP")["ApiId"])
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn,
        PayloadFormatVersion="2.0", TimeoutInMillis=timeout_ms,
    )["IntegrationId"]  # fmt: skip
    v2.create_route(ApiId=api_id, RouteKey="ANY /{proxy+}", Target=f"integrations/{integration}")
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def test_integration_timeouts(aws: ClientFactory, server: RunningServer, function_arn: str) -> None:
    rest, http = rest_api(aws, function_arn, 300), http_api(aws, function_arn, 300)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/prod/fast", headers=host(server, rest)).status_code == 200
        # REST: 504 INTEGRATION_TIMEOUT, "Endpoint request timed out".
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
        slow = client.get("/prod/slow", headers=host(server, rest))
        assert (slow.status_code, slow.json()) == (504, {"message": "Endpoint request timed out"})
        # HTTP APIs: 503 Service Unavailable (as recorded in https://github.com/cortexlabs/cortex/issues/1225).
        assert client.get("/fast", headers=host(server, http)).status_code == 200
        slow = client.get("/slow", headers=host(server, http))
        assert (slow.status_code, slow.json()) == (503, {"message": "Service Unavailable"})


def test_payload_over_10_mb_is_413(aws: ClientFactory, server: RunningServer, function_arn: str) -> None:
    rest, http = rest_api(aws, function_arn, 29_000), http_api(aws, function_arn, 30_000)
    too_big = b"x" * (MAX_PAYLOAD + 1)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        answer = client.post("/prod/upload", content=too_big, headers=host(server, rest))
        assert (answer.status_code, answer.json()) == (413, {"message": "Request Too Long"})
        assert answer.headers["x-amzn-ErrorType"] == "RequestTooLongException"
        answer = client.post("/upload", content=too_big, headers=host(server, http))
        assert (answer.status_code, answer.json()) == (413, {"message": "Request Entity Too Large"})
        # Just under the limit still reaches the function (its 6 MB invoke limit then answers for Lambda).
        fits = client.post("/prod/upload", content=b"y" * 1024, headers=host(server, rest))
        assert fits.status_code == 200
