"""CORS for HTTP APIs: the gateway answers preflight requests itself and sets the configured headers on responses.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html (REST APIs do CORS
with OPTIONS methods of their own instead).
"""

from __future__ import annotations

from overcast.apis.deployed import ApiKind, DeployedApi
from overcast.gateway.request import GatewayRequest
from overcast.gateway.responses import GatewayResult


def is_preflight(request: GatewayRequest) -> bool:
    return (
        request.method == "OPTIONS"
        and request.header("origin") is not None
        and request.header("access-control-request-method") is not None
    )


def _allowed_origin(api: DeployedApi, origin: str) -> str | None:
    assert api.cors is not None
    origins = api.cors.allow_origins
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def preflight(api: DeployedApi, request: GatewayRequest) -> GatewayResult:
    """API Gateway answers preflight requests itself when CORS is configured, whatever the routes."""
    config = api.cors
    assert config is not None
    headers: list[tuple[str, str]] = []
    origin = _allowed_origin(api, request.header("origin") or "")
    if origin is not None:
        headers.append(("access-control-allow-origin", origin))
        if config.allow_methods:
            headers.append(("access-control-allow-methods", ",".join(config.allow_methods)))
        if config.allow_headers:
            headers.append(("access-control-allow-headers", ",".join(config.allow_headers)))
        if config.max_age is not None:
            headers.append(("access-control-max-age", str(config.max_age)))
        if config.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
    return GatewayResult(204, headers, b"")


def with_headers(api: DeployedApi, request: GatewayRequest, result: GatewayResult) -> GatewayResult:
    """The configured CORS headers replace any the integration sent."""
    if api.kind is not ApiKind.HTTP or (result.status == 204 and is_preflight(request)):
        return result
    config = api.cors
    assert config is not None
    headers = [(k, v) for k, v in result.headers if not k.lower().startswith("access-control-")]
    origin = _allowed_origin(api, request.header("origin") or "")
    if origin is not None:
        headers.append(("access-control-allow-origin", origin))
        if config.expose_headers:
            headers.append(("access-control-expose-headers", ",".join(config.expose_headers)))
        if config.allow_credentials:
            headers.append(("access-control-allow-credentials", "true"))
    return GatewayResult(result.status, headers, result.body)
