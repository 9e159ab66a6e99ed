"""The edge hands execute-api requests (by Host or by the /_aws/execute-api/ path) to the gateway, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from overcast.api.dispatch import Dispatcher
from overcast.api.edge import Edge, execute_api_target, host_of


def scope(path: str, host: str | None) -> dict[str, Any]:
    headers = [(b"host", host.encode())] if host is not None else []
    return {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "headers": headers}


@pytest.mark.parametrize(
    ("path", "host", "target"),
    [
        ("/prod/pets", "abc123defg.execute-api.localhost:4566", ("abc123defg", "/prod/pets")),
        ("/pets", "abc123defg.execute-api.localhost", ("abc123defg", "/pets")),
        ("/pets", "ABC123DEFG.EXECUTE-API.LOCALHOST:80", ("ABC123DEFG", "/pets")),
        ("/_aws/execute-api/abc123defg/prod/pets/1", "localhost:4566", ("abc123defg", "/prod/pets/1")),
        ("/_aws/execute-api/abc123defg", "localhost:4566", ("abc123defg", "/")),
        ("/_aws/execute-api/", "localhost:4566", None),
        ("/2015-03-31/functions", "localhost:4566", None),
        ("/", "a.b.execute-api.localhost", None),
        ("/", ".execute-api.localhost", None),
        ("/", None, None),
    ],
)
def test_execute_api_target(path: str, host: str | None, target: tuple[str, str] | None) -> None:
    assert execute_api_target(path, host_of(scope(path, host))) == target


async def test_edge_delegates_execute_api_requests() -> None:
    seen: list[tuple[str, str]] = []

    async def gateway(api_id: str, path: str, scope: Any, receive: Any, send: Any) -> None:
        seen.append((api_id, path))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def health() -> dict[str, Any]:
        return {}

    edge = Edge(Dispatcher({}, "000000000000", "us-east-1"), max_request_bytes=1024, health=health, gateway=gateway)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await edge(scope("/prod/x", "api1234567.execute-api.localhost:1"), receive, send)
    assert seen == [("api1234567", "/prod/x")]
    assert sent[0]["status"] == 204
