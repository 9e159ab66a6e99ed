"""`overcast apis`: every API stage with its two URLs, and both URLs really answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import httpx

from tests.conftest import ClientFactory, RunningServer

MOCK_TEMPLATE = {"application/json": '{"statusCode": 200}'}


def overcast(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "overcast", *args], capture_output=True, text=True, timeout=60, env=os.environ
    )


def test_apis_lists_each_stage_with_urls_that_answer(server: RunningServer, aws: ClientFactory) -> None:
    rest = aws("apigateway")
    name = f"cli-{uuid.uuid4().hex[:8]}"
    api_id = rest.create_rest_api(name=name)["id"]
    root = rest.get_resources(restApiId=api_id)["items"][0]["id"]
    rest.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    rest.put_integration(
        restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK", requestTemplates=MOCK_TEMPLATE
    )
    rest.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    rest.put_integration_response(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": "{}"},
    )
    rest.create_deployment(restApiId=api_id, stageName="prod")
    http_id = aws("apigatewayv2").create_api(Name=name, ProtocolType="HTTP")["ApiId"]

    result = overcast("apis", "--json", "--data-dir", str(server.data_dir))
    assert result.returncode == 0, result.stderr
    mine = [e for e in json.loads(result.stdout) if e["name"] == name]
    port = server.url.rsplit(":", 1)[1]
    assert {(e["kind"], e["api_id"], e["stage"]) for e in mine} == {("REST", api_id, "prod")}  # no HTTP API stage yet
    (endpoint,) = mine
    assert endpoint["host_url"] == f"http://{api_id}.execute-api.localhost:{port}/prod"
    assert endpoint["path_url"] == f"{server.url}/_aws/execute-api/{api_id}/prod"
    assert httpx.get(endpoint["path_url"] + "/").status_code == 200
    by_host = httpx.get(f"{server.url}/prod/", headers={"Host": f"{api_id}.execute-api.localhost:{port}"})
    assert by_host.status_code == 200

    aws("apigatewayv2").create_stage(ApiId=http_id, StageName="$default")
    table = overcast("apis", "--data-dir", str(server.data_dir))
    assert table.returncode == 0, table.stderr
    assert http_id in table.stdout and api_id in table.stdout
