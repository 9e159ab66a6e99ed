"""execute-api's error boundary, through a real server with injected faults (tests/api/fault_server.py).

There, proxying to an HTTP backend raises; and a function can answer a header HTTP cannot carry.
Either answers 500 with API Gateway's own body (`{"message": "Internal server error"}` for a REST
API, "Internal Server Error" for an HTTP API, as AWS words them), is logged with its traceback
under the request id, and is still counted: the stage's access log line and its 5XX metric are
written as for any other answer. The gateway keeps answering.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.api import faults
from tests.api.faults import assert_logged_with_traceback
from tests.conftest import RunningServer
from tests.functions.deployed import python_function
from tests.gateway.test_done_when_access_logs import HTTP_FORMAT, REST_FORMAT, lines

faulty, faulty_aws = faults.faulty, faults.faulty_aws  # the fixtures
Clients = Callable[..., Any]

# Answers a header HTTP cannot carry when its path says so: no Latin-1 text ("€"), or a line break.
CURRENCY = """
def handler(event, context):
    path = event.get("rawPath") or event.get("path") or ""
    value = {"euro": "\\u20ac", "newline": "a\\r\\nx-injected: 1"}.get(path.rpartition("/")[2], "plain")
    return {"statusCode": 200, "headers": {"x-currency": value}, "body": "fine"}
"""


@pytest.fixture(scope="module")
def function_arn(faulty_aws: Clients) -> str:
    return python_function(faulty_aws("lambda"), "faults", CURRENCY)


def log_group(faulty_aws: Clients) -> tuple[str, str]:
    group = f"/overcast/tests/faults-{uuid.uuid4().hex[:8]}"
    faulty_aws("logs").create_log_group(logGroupName=group)
    return group, f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"


def metric_sum(server: RunningServer, name: str, dimensions: dict[str, str]) -> float:
    dims = "/".join(f"dimension={quote(f'{k}={v}', safe='')}" for k, v in dimensions.items())
    url = f"{server.url}/_overcast/metrics/namespace={quote('AWS/ApiGateway', safe='')}/name={name}/{dims}"
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    return float(sum(p["Sum"] for p in answer.json()["datapoints"]))


def call(server: RunningServer, api_id: str, *paths: str) -> list[httpx.Response]:
    host = {"host": f"{api_id}.execute-api.localhost:{urlsplit(server.url).port}"}
    with httpx.Client(base_url=server.url, headers=host, timeout=30) as http:
        return [http.get(path) for path in paths]


def test_http_api_internal_errors_are_answered_logged_and_counted(
    faulty: RunningServer, faulty_aws: Clients, function_arn: str
) -> None:
    group, arn = log_group(faulty_aws)
    v2 = faulty_aws("apigatewayv2")
    api_id = v2.create_api(Name="faults", ProtocolType="HTTP")["ApiId"]
    proxy = v2.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
        IntegrationUri=f"{faulty.url}/_overcast/health", PayloadFormatVersion="1.0",
    )["IntegrationId"]  # fmt: skip
    function = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    v2.create_route(ApiId=api_id, RouteKey="GET /proxy", Target=f"integrations/{proxy}")
    v2.create_route(ApiId=api_id, RouteKey="GET /fn/{name}", Target=f"integrations/{function}")
    v2.create_stage(
        ApiId=api_id, StageName="live", AutoDeploy=True,
        AccessLogSettings={"DestinationArn": f"{arn}:*", "Format": HTTP_FORMAT},
    )  # fmt: skip

    raised, unencodable, unsendable, fine = call(
        faulty, api_id, "/live/proxy", "/live/fn/euro", "/live/fn/newline", "/live/fn/plain"
    )
    for answer, exception in (
        (raised, faults.RAISED),
        (unencodable, "UnicodeEncodeError"),
        (unsendable, "UnsendableHeader"),
    ):
        assert answer.status_code == 500, answer.text
        assert answer.json() == {"message": "Internal Server Error"}
        failed = f"execute-api request {answer.headers['apigw-requestid']} failed"
        assert_logged_with_traceback(faulty, failed, exception)
    assert (fine.status_code, fine.text, fine.headers["x-currency"]) == (200, "fine", "plain")

    ids = [a.headers["apigw-requestid"] for a in (raised, unencodable, unsendable, fine)]
    assert lines(faulty_aws, group, 4) == [
        f"{ids[0]} GET GET /proxy 500 /live/proxy",
        f"{ids[1]} GET GET /fn/{{name}} 500 /live/fn/euro",
        f"{ids[2]} GET GET /fn/{{name}} 500 /live/fn/newline",
        f"{ids[3]} GET GET /fn/{{name}} 200 /live/fn/plain",
    ]
    stage = {"ApiId": api_id, "Stage": "live"}
    assert (metric_sum(faulty, "5xx", stage), metric_sum(faulty, "Count", stage)) == (3, 4)


def test_rest_api_internal_error_is_answered_logged_and_counted(faulty: RunningServer, faulty_aws: Clients) -> None:
    group, arn = log_group(faulty_aws)
    apigw = faulty_aws("apigateway")
    api_name = f"faults-{uuid.uuid4().hex[:6]}"
    api_id = apigw.create_rest_api(name=api_name)["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="HTTP_PROXY", integrationHttpMethod="GET",
        uri=f"{faulty.url}/_overcast/health",
    )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    apigw.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": arn},
            {"op": "replace", "path": "/accessLogSettings/format", "value": REST_FORMAT},
        ],
    )

    (answer,) = call(faulty, api_id, "/prod/")
    assert answer.status_code == 500
    assert answer.json() == {"message": "Internal server error"}
    assert answer.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    request_id = answer.headers["x-amzn-RequestId"]
    assert_logged_with_traceback(faulty, f"execute-api request {request_id} failed")

    (line,) = [json.loads(text) for text in lines(faulty_aws, group, 1)]
    assert (line["requestId"], line["status"], line["error"]) == (request_id, 500, "Internal server error")
    assert metric_sum(faulty, "5XXError", {"ApiName": api_name, "Stage": "prod"}) == 1
