"""Issue 5: stage selection answers — a REST API called without one of its stages is 403 Forbidden, as AWS
answers it (https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden); an unknown API,
or an HTTP API stage that does not exist without a $default stage, is 404 Not Found."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from tests.conftest import ClientFactory, RunningServer
from tests.gateway.test_done_when_access_logs import mock_rest_api


def test_rest_api_unknown_stage_is_forbidden(aws: ClientFactory, server: RunningServer) -> None:
    api_id, _ = mock_rest_api(aws)
    host = {"host": f"{api_id}.execute-api.localhost:{urlsplit(server.url).port}"}
    with httpx.Client(base_url=server.url, headers=host, timeout=30) as http:
        assert http.get("/prod/pets").status_code == 200
        for path in ("/staging/pets", "/pets", "/"):
            answer = http.get(path)
            assert (answer.status_code, answer.json()) == (403, {"message": "Forbidden"}), path
            assert answer.headers["x-amzn-ErrorType"] == "ForbiddenException"
            assert answer.headers["x-amzn-RequestId"]
        by_path = http.get(f"/_aws/execute-api/{api_id}/staging/pets", headers={"host": "localhost"})
        assert by_path.status_code == 403


def test_unknown_api_is_not_found(server: RunningServer) -> None:
    answer = httpx.get(f"{server.url}/_aws/execute-api/nosuchapi9/prod/pets", timeout=30)
    assert (answer.status_code, answer.json()) == (404, {"message": "Not Found"})
