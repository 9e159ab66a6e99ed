"""Issue 5 (metrics and logs): a stage with accessLogSettings writes one line per request, its `$context`
variables filled in, to the destination log group, read back with the logs client.

Access logs are delivered asynchronously (as on AWS), so the test polls the log group for a few seconds
at most until the lines are there.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.conftest import ClientFactory, RunningServer

REST_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod",'
    '"resourcePath":"$context.resourcePath","status":$context.status,"length":$context.responseLength,'
    '"stage":"$context.stage","error":"$context.error.message"}'
)
HTTP_FORMAT = "$context.requestId $context.httpMethod $context.routeKey $context.status $context.path"


def lines(aws: ClientFactory, group: str, wanted: int) -> list[str]:
    """The log group's messages, once `wanted` of them have arrived (a few seconds; up to 30 on a loaded machine)."""
    logs = aws("logs")
    deadline = time.monotonic() + 30
    while True:
        events = logs.filter_log_events(logGroupName=group)["events"]
        if len(events) >= wanted or time.monotonic() > deadline:
            return [e["message"] for e in sorted(events, key=lambda e: e["timestamp"])]
        time.sleep(0.05)


def mock_rest_api(aws: ClientFactory) -> tuple[str, Any]:
    apigw = aws("apigateway")
    api_id = str(apigw.create_rest_api(name="dw-access-logs")["id"])
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    apigw.put_method(restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id, resourceId=pets, httpMethod="GET", type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )  # fmt: skip
    apigw.put_method_response(restApiId=api_id, resourceId=pets, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api_id, resourceId=pets, httpMethod="GET", statusCode="200",
        responseTemplates={"application/json": '{"pets": []}'},
    )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    return api_id, apigw


def test_rest_stage_access_log_lines(aws: ClientFactory, server: RunningServer) -> None:
    group = f"/overcast/tests/access-{uuid.uuid4().hex[:8]}"
    created = aws("logs").create_log_group(logGroupName=group)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    api_id, apigw = mock_rest_api(aws)
    apigw.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
            {"op": "replace", "path": "/accessLogSettings/format", "value": REST_FORMAT},
        ],
    )
    host = {"host": f"{api_id}.execute-api.localhost:{urlsplit(server.url).port}"}
    with httpx.Client(base_url=server.url, headers=host, timeout=30) as http:
        ok = [http.get("/prod/pets") for _ in range(2)]
        missing = http.get("/prod/cats")
    assert [r.status_code for r in ok] == [200, 200] and missing.status_code == 403

    found = [json.loads(line) for line in lines(aws, group, 3)]
    assert len(found) == 3
    assert [f["requestId"] for f in found] == [r.headers["x-amzn-RequestId"] for r in (*ok, missing)]
    assert found[0] == {
        "requestId": ok[0].headers["x-amzn-RequestId"],
        "ip": "127.0.0.1",
        "method": "GET",
        "resourcePath": "/pets",
        "status": 200,
        "length": len(ok[0].content),
        "stage": "prod",
        "error": "-",
    }
    assert (found[2]["status"], found[2]["resourcePath"]) == (403, "-")
    assert found[2]["error"] == "Missing Authentication Token"


def test_http_api_stage_access_log_lines(aws: ClientFactory, server: RunningServer) -> None:
    group = f"/overcast/tests/http-access-{uuid.uuid4().hex[:8]}"
    aws("logs").create_log_group(logGroupName=group)
    v2 = aws("apigatewayv2")
    api_id = v2.create_api(Name="dw-http-access", ProtocolType="HTTP")["ApiId"]
    # An HTTP_PROXY route to the server's own health page: a backend that needs no function.
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
        IntegrationUri=f"{server.url}/_overcast/health", PayloadFormatVersion="1.0",
    )["IntegrationId"]  # fmt: skip
    v2.create_route(ApiId=api_id, RouteKey="GET /health", Target=f"integrations/{integration}")
    destination = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"
    v2.create_stage(
        ApiId=api_id,
        StageName="live",
        AutoDeploy=True,
        AccessLogSettings={"DestinationArn": destination, "Format": HTTP_FORMAT},
    )
    host = {"host": f"{api_id}.execute-api.localhost:{urlsplit(server.url).port}"}
    with httpx.Client(base_url=server.url, headers=host, timeout=30) as http:
        ok = http.get("/live/health")
        missing = http.get("/live/nothing/here")  # no route: the gateway answers, and logs it
    assert (ok.status_code, missing.status_code) == (200, 404)
    assert lines(aws, group, 2) == [
        f"{ok.headers['apigw-requestid']} GET GET /health 200 /live/health",
        f"{missing.headers['apigw-requestid']} GET - 404 /live/nothing/here",
    ]


def test_a_stage_writes_no_access_log_into_another_accounts_group(aws: ClientFactory, server: RunningServer) -> None:
    """A stage of account B naming account A's log group as its destination delivers nothing there."""
    a, b = "111111111111", "222222222222"

    def client(service: str, account: str) -> Any:
        return aws(service, aws_access_key_id=account, aws_secret_access_key="x")

    group = f"/overcast/tests/theirs-{uuid.uuid4().hex[:8]}"
    client("logs", a).create_log_group(logGroupName=group)
    arn = f"arn:aws:logs:us-east-1:{a}:log-group:{group}"
    apis = {account: mock_rest_api(lambda service, account=account: client(service, account)) for account in (a, b)}
    for api_id, apigw in apis.values():
        apigw.update_stage(
            restApiId=api_id, stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
                {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
            ],
        )  # fmt: skip
    port = urlsplit(server.url).port
    with httpx.Client(base_url=server.url, timeout=30) as http:
        theirs = [http.get("/prod/pets", headers={"host": f"{api_id}.execute-api.localhost:{port}"}) for api_id, _ in
                  (apis[b], apis[a])]  # fmt: skip
    assert [r.status_code for r in theirs] == [200, 200]
    # Lines are delivered in order, so once A's own line is there, B's would have been before it.
    found = lines(lambda service: client(service, a), group, 1)
    assert found == [theirs[1].headers["x-amzn-RequestId"]]
