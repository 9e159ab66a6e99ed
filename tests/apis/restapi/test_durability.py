"""A deployed REST API, its stage settings and its API keys survive `kill -9` of the whole server."""

from __future__ import annotations

import signal
from pathlib import Path

import boto3
from botocore.config import Config

from tests.conftest import start_server

INVOCATIONS = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:000000000000:function:pets/invocations"
)


def _client(url: str) -> object:
    return boto3.client(
        "apigateway", endpoint_url=url, region_name="us-east-1", config=Config(retries={"max_attempts": 1})
    )


def test_deployment_survives_kill_9(tmp_path: Path) -> None:
    first = start_server(tmp_path / "data")
    try:
        apigw = _client(first.url)
        api = apigw.create_rest_api(name="durable")  # type: ignore[attr-defined]
        res = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")  # type: ignore[attr-defined]
        apigw.put_method(restApiId=api["id"], resourceId=res["id"], httpMethod="GET", authorizationType="NONE")  # type: ignore[attr-defined]
        apigw.put_integration(  # type: ignore[attr-defined]
            restApiId=api["id"], resourceId=res["id"], httpMethod="GET", type="AWS_PROXY",
            integrationHttpMethod="POST", uri=INVOCATIONS,
        )  # fmt: skip
        deployment = apigw.create_deployment(restApiId=api["id"], stageName="prod", variables={"v": "1"})  # type: ignore[attr-defined]
        key = apigw.create_api_key(name="k", enabled=True)  # type: ignore[attr-defined]
    finally:
        first.stop(signal.SIGKILL)

    second = start_server(tmp_path / "data")
    try:
        apigw = _client(second.url)
        stage = apigw.get_stage(restApiId=api["id"], stageName="prod")  # type: ignore[attr-defined]
        assert (stage["deploymentId"], stage["variables"]) == (deployment["id"], {"v": "1"})
        got = apigw.get_deployment(restApiId=api["id"], deploymentId=deployment["id"], embed=["apisummary"])  # type: ignore[attr-defined]
        assert got["apiSummary"] == {"/pets": {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}}
        assert apigw.get_api_key(apiKey=key["id"], includeValue=True)["value"] == key["value"]  # type: ignore[attr-defined]
    finally:
        second.stop()
