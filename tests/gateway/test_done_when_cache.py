"""Issue 5, "Done when" 4: a cached GET is answered from the stage cache within its TTL without invoking the
function, CacheHitCount/CacheMissCount count it, and FlushStageCache empties the cache.

The function counts its invocations (in its instance's /tmp) and answers the count, so an answer
served from cache shows the count of the invocation that filled it. The metrics are read through
the server's /_overcast/metrics endpoint.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function

COUNTER = """
import os
def handler(event, context):
    path = "/tmp/invocations"
    count = int(open(path).read()) + 1 if os.path.exists(path) else 1
    with open(path, "w") as f:
        f.write(str(count))
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": str(count)}
"""


def metric_sum(server: RunningServer, name: str, api_name: str, stage: str) -> float:
    dims = "/".join(f"dimension={quote(f'{k}={v}', safe='')}" for k, v in (("ApiName", api_name), ("Stage", stage)))
    url = f"{server.url}/_overcast/metrics/namespace={quote('AWS/ApiGateway', safe='')}/name={name}/{dims}"
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    points: list[dict[str, Any]] = answer.json()["datapoints"]
    return float(sum(p["Sum"] for p in points))


def test_cached_get_skips_the_function_and_is_counted(aws: ClientFactory, server: RunningServer) -> None:
    arn = python_function(aws("lambda"), "dw-cache", COUNTER)

    apigw = aws("apigateway")
    api_name = f"dw-cache-{uuid.uuid4().hex[:6]}"
    api_id = apigw.create_rest_api(name=api_name)["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    counter = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="counter")["id"]
    for method in ("GET", "POST"):
        apigw.put_method(restApiId=api_id, resourceId=counter, httpMethod=method, authorizationType="NONE")
        apigw.put_integration(
            restApiId=api_id, resourceId=counter, httpMethod=method, type="AWS_PROXY", integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
        )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod", cacheClusterEnabled=True, cacheClusterSize="0.5")
    apigw.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/~1counter/GET/caching/enabled", "value": "true"},
            {"op": "replace", "path": "/~1counter/GET/caching/ttlInSeconds", "value": "300"},
        ],
    )
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert stage["cacheClusterEnabled"] is True
    assert stage["methodSettings"]["~1counter/GET"]["cachingEnabled"] is True

    host = {"host": f"{api_id}.execute-api.localhost:{urlsplit(server.url).port}"}
    with httpx.Client(base_url=server.url, headers=host, timeout=30) as http:
        first, second, third = (http.get("/prod/counter").text for _ in range(3))
        assert (first, second, third) == ("1", "1", "1")  # one invocation, two answers from cache
        # POST is not cached: it reaches the function.
        assert http.post("/prod/counter").text == "2"
        assert metric_sum(server, "CacheMissCount", api_name, "prod") == 1
        assert metric_sum(server, "CacheHitCount", api_name, "prod") == 2

        apigw.flush_stage_cache(restApiId=api_id, stageName="prod")
        assert http.get("/prod/counter").text == "3"  # flushed: the function answers again
        assert http.get("/prod/counter").text == "3"
    assert metric_sum(server, "CacheMissCount", api_name, "prod") == 2
    assert metric_sum(server, "CacheHitCount", api_name, "prod") == 3
    assert metric_sum(server, "Count", api_name, "prod") == 6


def test_metrics_endpoint_wants_a_namespace_and_a_name(server: RunningServer) -> None:
    answer = httpx.get(f"{server.url}/_overcast/metrics/name=Count", timeout=10)
    assert answer.status_code == 400
    assert answer.json() == {"error": "namespace= and name= are required"}
    empty = httpx.get(f"{server.url}/_overcast/metrics/namespace=Nothing/name=Count", timeout=10)
    assert json.loads(empty.text) == {"datapoints": []}
