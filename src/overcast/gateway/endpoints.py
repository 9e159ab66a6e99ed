"""Endpoints: where each API stage answers, in both URL forms, for `overcast apis` and the demo.

AWS serves a stage at `https://<apiId>.execute-api.<region>.amazonaws.com/<stage>`. Overcast
serves it on its own port, by Host (`http://<apiId>.execute-api.localhost:4566/<stage>`, which
resolves to 127.0.0.1 on most systems) and, for clients that cannot set Host, by path
(`http://localhost:4566/_aws/execute-api/<apiId>/<stage>`). An HTTP API's `$default` stage has
no stage segment.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from overcast.apis.httpapi.httpapis import endpoint_for
from overcast.store import Queries

PATH_FORM = "/_aws/execute-api/"


@dataclass(frozen=True, slots=True)
class Endpoint:
    kind: str  # "REST" | "HTTP"
    account: str
    region: str
    api_id: str
    name: str
    stage: str
    host_url: str
    path_url: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def urls(base_url: str, api_id: str, stage: str) -> tuple[str, str]:
    """(host form, path form) of a stage's URL on the edge at `base_url` (e.g. http://127.0.0.1:4566)."""
    suffix = "" if stage == "$default" else f"/{stage}"
    return endpoint_for(base_url)(api_id) + suffix, f"{base_url}{PATH_FORM}{api_id}{suffix}"


async def endpoints(store: Queries, base_url: str) -> list[Endpoint]:
    """Every stage of every REST and HTTP API, in all accounts and regions, by API name."""
    found: list[Endpoint] = []
    for row in await store.fetch_all("SELECT id, account, region, name, doc FROM apigw_apis"):
        for stage in sorted(json.loads(row["doc"]).get("stages", {})):
            host, path = urls(base_url, row["id"], stage)
            found.append(Endpoint("REST", row["account"], row["region"], row["id"], row["name"], stage, host, path))
    rows = await store.fetch_all(
        "SELECT a.api_id, a.account, a.region, a.body, p.name AS stage FROM httpapi_apis a "
        "JOIN httpapi_parts p ON p.api_id = a.api_id AND p.kind = ? ORDER BY p.name",
        "stage",
    )
    for row in rows:
        host, path = urls(base_url, row["api_id"], row["stage"])
        name = json.loads(row["body"]).get("name", "")
        found.append(Endpoint("HTTP", row["account"], row["region"], row["api_id"], name, row["stage"], host, path))
    found.sort(key=lambda e: (e.name, e.api_id, e.stage))
    return found
