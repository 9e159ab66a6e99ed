"""An HTTP API's deployment snapshot survives `kill -9` of the whole server, and the stage still serves it."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from overcast.apis.httpapi import HttpApis
from overcast.store import open_store
from tests.conftest import start_server

FN = "arn:aws:lambda:us-east-1:000000000000:function:pets"


def _client(url: str) -> Any:
    return boto3.client(
        "apigatewayv2", endpoint_url=url, region_name="us-east-1", config=Config(retries={"max_attempts": 1})
    )


async def test_deployment_snapshot_survives_kill_9(tmp_path: Path) -> None:
    first = start_server(tmp_path / "data")
    try:
        v2 = _client(first.url)
        api_id = v2.create_api(Name="durable", ProtocolType="HTTP")["ApiId"]
        integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FN)
        target = f"integrations/{integration['IntegrationId']}"
        v2.create_route(ApiId=api_id, RouteKey="GET /kept", Target=target)
        v2.create_stage(ApiId=api_id, StageName="prod", StageVariables={"v": "1"})
        deployment = v2.create_deployment(ApiId=api_id, StageName="prod")["DeploymentId"]
        v2.create_route(ApiId=api_id, RouteKey="GET /later", Target=target)  # after the deployment
    finally:
        first.stop(signal.SIGKILL)

    second = start_server(tmp_path / "data")
    try:
        v2 = _client(second.url)
        stage = v2.get_stage(ApiId=api_id, StageName="prod")
        assert (stage["DeploymentId"], stage["StageVariables"]) == (deployment, {"v": "1"})
        assert [d["DeploymentId"] for d in v2.get_deployments(ApiId=api_id)["Items"]] == [deployment]
        assert {r["RouteKey"] for r in v2.get_routes(ApiId=api_id)["Items"]} == {"GET /kept", "GET /later"}
        # The restarted server's API endpoint has its own port.
        port = second.url.rsplit(":", 1)[1]
        assert v2.get_api(ApiId=api_id)["ApiEndpoint"] == f"http://{api_id}.execute-api.localhost:{port}"
    finally:
        second.stop()

    # The stage serves the snapshot taken at CreateDeployment, not the routes added after it.
    store = await open_store(None, tmp_path / "data" / "overcast.db")
    try:
        served = await HttpApis(store).deployed(api_id, "prod")
        assert served is not None and served.deployment_id == deployment
        assert [(r.method, r.path) for r in served.routes] == [("GET", "/kept")]
        assert served.stage_variables == (("v", "1"),)
    finally:
        await store.close()
