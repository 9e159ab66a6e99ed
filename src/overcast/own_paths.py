"""Overcast's own paths under /_overcast/ (besides health): what the CLI and tests read, answered in JSON.

- `code/<sha256>`: a function's deployment package, where GetFunction's Code.Location points;
- `usage/...`: invocation totals per function (`overcast usage`);
- `metrics/...`: the API Gateway metrics the data plane keeps, until a CloudWatch API serves them;
- `apis`: every API stage and its two URLs (`overcast apis`);
- `artifacts/<sha256>`: the packages `overcast deploy` uploads (PUT, the one own path that takes a body)
  and asks for first (HEAD), stored content-addressed (overcast.artifacts).
Errors are JSON too (`{"error": ...}`), as the edge's own 404 and 500.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from overcast.api.edge import InternalRoute, InternalUpload
from overcast.api.protocols.http import HttpResponse
from overcast.artifacts import ARTIFACT_BUCKET, ArtifactRefused, Artifacts

if TYPE_CHECKING:
    from overcast.server import Overcast


def routes(system: Overcast) -> dict[str, InternalRoute]:
    """The routes under /_overcast/ besides health: code, usage, metrics and apis."""

    async def code(sha256_hex: str) -> HttpResponse:
        # Where GetFunction's Code.Location points: the function's deployment package.
        data = await system.registry.read_code(sha256_hex) if system.registry else None
        if data is None:
            return _answer(404, {"error": f"no code with sha256 {sha256_hex}"})
        return HttpResponse(200, [("content-type", "application/zip")], data)

    async def usage(rest: str) -> HttpResponse:
        # Invocation totals per function, as JSON; filters as path segments: /since_ms=<epoch ms>/account=<id>
        query = dict(part.partition("=")[::2] for part in rest.split("/") if "=" in part)
        try:
            since = int(query["since_ms"]) if query.get("since_ms") else None
        except ValueError:
            return _answer(400, {"error": "since_ms must be epoch milliseconds"})
        found = await system.meter.usage(query.get("account") or None, since) if system.meter else []
        return _answer(200, {"functions": [u.as_dict() for u in found]})

    async def metrics(rest: str) -> HttpResponse:
        # Overcast's own window on its CloudWatch metrics until a metrics API serves them, as JSON:
        # GET /_overcast/metrics/namespace=AWS%2FApiGateway/name=CacheHitCount/dimension=ApiName%3Dpets
        #     [/dimension=Stage%3Dprod][/since_ms=<epoch ms>][/until_ms=<epoch ms>][/period_s=60][/account=<id>]
        # answers {"datapoints": [...]} as Metrics.statistics gives them (values percent-encoded).
        query: dict[str, str] = {}
        dimensions: list[tuple[str, str]] = []
        for part in rest.split("/"):
            key, _, value = part.partition("=")
            if key == "dimension":
                name, _, dim_value = unquote(value).partition("=")
                dimensions.append((name, dim_value))
            elif key:
                query[key] = unquote(value)
        await system.parts["apigateway"].ready()  # its metrics, kept by its data plane
        source = system.gateway.metrics if system.gateway is not None else None
        if source is None or not query.get("namespace") or not query.get("name"):
            return _answer(400, {"error": "namespace= and name= are required"})
        try:
            now_ms = int(system.clock.now() * 1000)
            since = int(query.get("since_ms") or now_ms - 3_600_000)
            until = int(query.get("until_ms") or now_ms + 60_000)
            period = int(query.get("period_s") or 60)
        except ValueError:
            return _answer(400, {"error": "times and periods are integers"})
        points = await source.statistics(
            query["namespace"], query["name"], tuple(dimensions), since, until, max(period, 1),
            account=query.get("account") or system.settings.default_account,
            region=query.get("region") or system.settings.default_region,
        )  # fmt: skip
        return _answer(200, {"datapoints": points})

    async def apis(rest: str) -> HttpResponse:
        # Every API stage and its two URLs (host form, path form), as JSON: what `overcast apis` prints.
        from overcast.gateway.endpoints import endpoints

        await system.parts["apigateway"].ready()  # its tables
        found = await endpoints(system.store, system.url) if system.store is not None else []
        return _answer(200, {"endpoints": [e.as_dict() for e in found]})

    async def artifact(sha256_hex: str) -> HttpResponse:
        # GET/HEAD: 200 with where the package is when it is stored (a deploy then skips its upload), else 404.
        store = _artifacts(system)
        if store is None or not store.has(sha256_hex):
            return _answer(404, {"error": f"no artifact with sha256 {sha256_hex}"})
        return _answer(200, {"bucket": ARTIFACT_BUCKET, "key": store.key_of(sha256_hex)})

    async def sns(rest: str) -> HttpResponse:
        # SNS's own URLs in the messages it sends (overcast.events.topics.envelopes), and what it delivered:
        # <certificate>.pem (SigningCertURL), confirm/<token> (SubscribeURL), unsubscribe/<subscription arn>
        # (UnsubscribeURL), deliveries/<account>[/<topic or subscription arn>] (email, sms and every other
        # finished delivery, with its body and status: nothing is sent by email or SMS).
        from overcast.api.services.sns_paths import answer

        await system.parts["sns"].ready()
        assert system.sns is not None
        return await answer(system.sns, rest)

    return {"code": code, "usage": usage, "metrics": metrics, "apis": apis, "artifacts": artifact, "sns": sns}


def uploads(system: Overcast) -> dict[str, InternalUpload]:
    """The own paths that take a PUT: `artifacts/<sha256>`, a deployment package `overcast deploy` built."""

    async def artifact(sha256_hex: str, body: bytes) -> HttpResponse:
        store = _artifacts(system)
        if store is None:
            return _answer(503, {"error": "this Overcast has no Lambda, so it keeps no artifacts"})
        try:
            key = await asyncio.to_thread(store.put, sha256_hex, body)  # hashed and fsynced off the event loop
        except ArtifactRefused as exc:
            return _answer(400, {"error": str(exc)})
        return _answer(200, {"bucket": ARTIFACT_BUCKET, "key": key})

    return {"artifacts": artifact}


def _artifacts(system: Overcast) -> Artifacts | None:
    return system.registry.artifacts if system.registry is not None else None


def _answer(status: int, document: dict[str, Any]) -> HttpResponse:
    """An answer of Overcast's own paths: JSON, errors included (`{"error": ...}`), as the edge's own."""
    return HttpResponse(status, [("content-type", "application/json")], json.dumps(document).encode())
