"""CORS for HTTP APIs: the gateway answers preflight requests itself and sets the configured headers on responses.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html (REST APIs do CORS
with OPTIONS methods of their own instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from overcast.apis.deployed import ApiKind, DeployedApi
from overcast.gateway.request import GatewayRequest
from overcast.gateway.responses import GatewayResult


def is_preflight(request: GatewayRequest) -> bool:
    return (
        request.method == "OPTIONS"
        and request.header("origin") is not None
        and request.header("access-control-request-method") is not None
    )


class CorsSettings(Protocol):
    """CORS settings as HTTP APIs and function URLs both keep them (an unset list may be None)."""

    @property
    def allow_origins(self) -> Sequence[str] | None: ...
    @property
    def allow_methods(self) -> Sequence[str] | None: ...
    @property
    def allow_headers(self) -> Sequence[str] | None: ...
    @property
    def expose_headers(self) -> Sequence[str] | None: ...
    @property
    def max_age(self) -> int | None: ...
    @property
    def allow_credentials(self) -> bool | None: ...


def allowed_origin(config: CorsSettings, origin: str) -> str | None:
    origins = config.allow_origins or ()
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def preflight_headers(config: CorsSettings, origin: str) -> list[tuple[str, str]]:
    """What a preflight request from `origin` is answered with (nothing for an origin not allowed)."""
    headers: list[tuple[str, str]] = []
    allowed = allowed_origin(config, origin)
    if allowed is not None:
        headers.append(("access-control-allow-origin", allowed))
        if config.allow_methods:
            headers.append(("access-control-allow-methods", ",".join(config.allow_methods)))
        if config.allow_headers:
            headers.append(("access-control-allow-headers", ",".join(config.allow_headers)))
        if config.max_age is not None:
            headers.append(("access-control-max-age", str(config.max_age)))
        if config.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
    return headers


def response_headers(config: CorsSettings, origin: str | None, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` with the configured CORS headers in place of any the function or integration sent."""
    kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
    allowed = allowed_origin(config, origin) if origin is not None else None
    if allowed is not None:
        kept.append(("access-control-allow-origin", allowed))
        if config.expose_headers:
            kept.append(("access-control-expose-headers", ",".join(config.expose_headers)))
        if config.allow_credentials:
            kept.append(("access-control-allow-credentials", "true"))
    return kept


def preflight(api: DeployedApi, request: GatewayRequest) -> GatewayResult:
    """API Gateway answers preflight requests itself when CORS is configured, whatever the routes."""
    assert api.cors is not None
    return GatewayResult(204, preflight_headers(api.cors, request.header("origin") or ""), b"")


def with_headers(api: DeployedApi, request: GatewayRequest, result: GatewayResult) -> GatewayResult:
    """The configured CORS headers replace any the integration sent."""
    if api.kind is not ApiKind.HTTP or (result.status == 204 and is_preflight(request)):
        return result
    assert api.cors is not None
    headers = response_headers(api.cors, request.header("origin") or "", result.headers)
    return GatewayResult(result.status, headers, result.body)
