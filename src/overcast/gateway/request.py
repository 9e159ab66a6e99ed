"""GatewayRequest and RouteMatch: an execute-api request as the data plane sees it, and the route it matched."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from overcast.apis.deployed import DeployedApi, Route


@dataclass(frozen=True, slots=True)
class GatewayRequest:
    method: str
    path: str  # the raw (percent-encoded) path after the stage prefix, e.g. "/pets/42"; "/" at least
    raw_query: str  # as sent, without "?"
    headers: tuple[tuple[str, str], ...]  # as received: names lowercased, order and repeats kept
    body: bytes
    source_ip: str
    host: str  # the Host header, e.g. "abc123defg.execute-api.localhost:4566"
    request_id: str
    time_epoch_ms: int  # when the gateway received it (the injected clock)
    stage_prefix: str = ""  # the path before `path` that named the stage ("/prod", or "" for $default)
    # Through a custom domain (stage_prefix then holds the mapping's key, "/v1", and the stage if the path named it).
    custom_domain: bool = False

    def header(self, name: str) -> str | None:
        """The header's values joined with ",", as HTTP APIs' payload 2.0 presents them; None if absent."""
        name = name.lower()
        values = [v for k, v in self.headers if k == name]
        return ",".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def query(self) -> list[tuple[str, str]]:
        """Query parameters in order, repeats kept, percent-decoded."""
        return parse_qsl(self.raw_query, keep_blank_values=True)


@dataclass(frozen=True, slots=True)
class RouteMatch:
    api: DeployedApi
    route: Route
    path_parameters: dict[str, str] = field(default_factory=dict)  # decoded; "proxy" for {proxy+}
