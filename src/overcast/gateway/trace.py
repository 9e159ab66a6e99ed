"""What one execute-api request did on its way through the gateway, and who is told about it.

A `Trace` gathers what metrics and access logs need ($context variables); an `Answer` holds the
request's result and trace as the request goes through, so a request that fails half-way is still
answered, counted and logged with what is known of it; an `Observer` (metrics, access logs) is told
about every request an API stage answered.
"""

from __future__ import annotations

from typing import Protocol

from overcast.apis.deployed import DeployedApi
from overcast.gateway.authorizers import AuthResult
from overcast.gateway.request import GatewayRequest, RouteMatch
from overcast.gateway.responses import GatewayResult

# REST APIs' wording, for a failure before the request's API is known (an HTTP API's is capitalised).
INTERNAL_ERROR = b'{"message":"Internal server error"}'


class Observer(Protocol):
    """Metrics and access logs: told about every request the gateway answered for an API stage."""

    def observe(self, api: DeployedApi, request: GatewayRequest, result: GatewayResult, trace: Trace) -> None: ...


class Trace:
    """What happened to one request, for metrics and access logs ($context variables)."""

    __slots__ = (
        "api_key_id",
        "auth",
        "cache_hit",
        "error",
        "error_type",
        "integration_error",
        "integration_latency_ms",
        "integration_status",
        "latency_ms",
        "match",
    )

    def __init__(self) -> None:
        self.match: RouteMatch | None = None
        self.auth: AuthResult | None = None
        self.integration_latency_ms: int | None = None
        self.integration_status: int | None = None
        self.integration_error = ""  # $context.integrationErrorMessage
        self.cache_hit: bool | None = None  # None: the cache was not consulted
        self.error = ""  # $context.error.message
        self.error_type = ""  # $context.error.responseType
        self.api_key_id: str | None = None  # $context.identity.apiKeyId
        self.latency_ms = 0


class Answer:
    """A request's result, and (for a request an API stage answered) what metrics and access logs need.

    Filled in as the request goes through the gateway, so that a request that fails half-way is
    still answered, counted and logged with what is known of it.
    """

    __slots__ = ("api", "request", "result", "started", "trace")

    def __init__(self, started: float) -> None:
        self.started = started  # the clock's monotonic time when the gateway received the request
        self.result = GatewayResult(500, [("content-type", "application/json")], INTERNAL_ERROR)
        self.api: DeployedApi | None = None
        self.request: GatewayRequest | None = None
        self.trace: Trace | None = None
