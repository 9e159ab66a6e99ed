"""The records of an HTTP API's control plane: Api, Route, Integration, Authorizer, Stage, Deployment.

Records are frozen; a change is a `replace()`. Each is stored as JSON (`dump` / `load_*`), so a
new field needs a default and old rows still load. Optional settings AWS leaves out of an answer
when unset are None here. Tags are not part of a record: APIs and stages keep theirs in the kit's
tags table, and a read that answers with them gives a `Tagged` record.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

# https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html: the expressions an
# HTTP API always has (they are only settable for WebSocket APIs).
ROUTE_SELECTION = "$request.method $request.path"
API_KEY_SELECTION = "$request.header.x-api-key"
DEFAULT_ROUTE = "$default"
# A WebSocket API's predefined routes (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html).
CONNECT_ROUTE = "$connect"
DISCONNECT_ROUTE = "$disconnect"
DEFAULT_STAGE = "$default"


@dataclass(frozen=True, slots=True)
class CorsConfig:
    allow_origins: tuple[str, ...] | None = None
    allow_methods: tuple[str, ...] | None = None
    allow_headers: tuple[str, ...] | None = None
    expose_headers: tuple[str, ...] | None = None
    max_age: int | None = None
    allow_credentials: bool | None = None


@dataclass(frozen=True, slots=True)
class Api:
    api_id: str
    account: str
    region: str
    name: str
    created: float
    protocol_type: str = "HTTP"
    description: str | None = None
    version: str | None = None
    cors: CorsConfig | None = None
    disable_execute_api_endpoint: bool = False
    disable_schema_validation: bool | None = None
    ip_address_type: str = "ipv4"
    route_selection_expression: str = ROUTE_SELECTION  # a WebSocket API's own, e.g. "$request.body.action"
    api_key_selection_expression: str = API_KEY_SELECTION


@dataclass(frozen=True, slots=True)
class RouteResponse:
    """A WebSocket route's response: with one, the route is two-way and the integration's answer goes back
    to the client (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html)."""

    route_response_id: str
    route_response_key: str  # "$default"
    model_selection_expression: str | None = None
    response_models: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Route:
    route_id: str
    route_key: str
    target: str | None = None  # "integrations/<integrationId>"
    authorization_type: str = "NONE"
    authorizer_id: str | None = None
    authorization_scopes: tuple[str, ...] | None = None
    api_key_required: bool = False
    operation_name: str | None = None
    request_parameters: dict[str, dict[str, bool]] | None = None
    api_gateway_managed: bool = False
    route_response_selection_expression: str | None = None  # WebSocket APIs: "$default" for two-way routes
    route_responses: tuple[RouteResponse, ...] = ()  # WebSocket APIs: kept with their route

    @property
    def integration_id(self) -> str | None:
        if self.target and self.target.startswith("integrations/"):
            return self.target.removeprefix("integrations/")
        return None


@dataclass(frozen=True, slots=True)
class IntegrationResponse:
    """A WebSocket non-proxy integration's response: chosen by its key (`$default`, or a regex in slashes over
    a function's errorMessage or an HTTP status), its template (chosen by its template selection expression)
    maps the backend's answer (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html)."""

    integration_response_id: str
    integration_response_key: str  # "$default" or "/4\\d\\d/"
    template_selection_expression: str | None = None
    response_templates: dict[str, str] | None = None
    response_parameters: dict[str, str] | None = None
    content_handling_strategy: str | None = None


@dataclass(frozen=True, slots=True)
class Integration:
    integration_id: str
    integration_type: str
    integration_uri: str | None = None
    integration_method: str | None = None
    integration_subtype: str | None = None
    payload_format_version: str = "1.0"
    timeout_in_millis: int = 30_000
    request_parameters: dict[str, str] | None = None
    response_parameters: dict[str, dict[str, str]] | None = None
    connection_type: str = "INTERNET"
    connection_id: str | None = None
    credentials_arn: str | None = None
    description: str | None = None
    tls_server_name: str | None = None
    api_gateway_managed: bool = False
    # WebSocket APIs' non-proxy settings, stored and returned (a Lambda proxy integration does not use them)
    content_handling_strategy: str | None = None
    passthrough_behavior: str | None = None
    template_selection_expression: str | None = None
    request_templates: dict[str, str] | None = None
    integration_responses: tuple[IntegrationResponse, ...] = ()  # WebSocket APIs: kept with their integration


@dataclass(frozen=True, slots=True)
class Authorizer:
    authorizer_id: str
    name: str
    authorizer_type: str  # "JWT" | "REQUEST"
    identity_source: tuple[str, ...] = ()
    jwt_issuer: str | None = None
    jwt_audience: tuple[str, ...] | None = None
    authorizer_uri: str | None = None
    payload_format_version: str | None = None
    enable_simple_responses: bool | None = None
    result_ttl_seconds: int | None = None
    credentials_arn: str | None = None


@dataclass(frozen=True, slots=True)
class RouteSettings:
    throttling_rate_limit: float | None = None
    throttling_burst_limit: int | None = None
    detailed_metrics_enabled: bool | None = None
    logging_level: str | None = None
    data_trace_enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class AccessLog:
    destination_arn: str | None = None
    format: str | None = None


@dataclass(frozen=True, slots=True)
class Stage:
    stage_name: str
    created: float
    last_updated: float
    description: str | None = None
    deployment_id: str | None = None
    auto_deploy: bool = False
    stage_variables: dict[str, str] | None = None
    default_route_settings: RouteSettings = field(default_factory=RouteSettings)
    route_settings: dict[str, RouteSettings] = field(default_factory=dict)
    access_log: AccessLog | None = None
    client_certificate_id: str | None = None
    last_deployment_status_message: str | None = None
    api_gateway_managed: bool = False


R = TypeVar("R", Api, Stage)


@dataclass(frozen=True, slots=True)
class Tagged(Generic[R]):
    """An API or a stage as read, with the tags the kit's table holds for it."""

    record: R
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a deployment froze: the API's routes, integrations, authorizers and CORS at that time."""

    routes: tuple[Route, ...] = ()
    integrations: tuple[Integration, ...] = ()
    authorizers: tuple[Authorizer, ...] = ()
    cors: CorsConfig | None = None


@dataclass(frozen=True, slots=True)
class Deployment:
    deployment_id: str
    created: float
    description: str | None = None
    auto_deployed: bool = False
    status: str = "DEPLOYED"
    status_message: str | None = None
    snapshot: Snapshot = field(default_factory=Snapshot)


def dump(record: Any) -> str:
    return json.dumps(dataclasses.asdict(record), separators=(",", ":"))


def _plain(cls: type[Any], data: dict[str, Any]) -> Any:
    """A record of `cls` from its JSON dict: unknown keys dropped, lists back to tuples."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names})


def _cors(data: dict[str, Any] | None) -> CorsConfig | None:
    return None if data is None else _plain(CorsConfig, data)


def load_api(text: str) -> Api:
    data = json.loads(text)
    data["cors"] = _cors(data.get("cors"))
    return _plain(Api, data)


def load_route(text: str | dict[str, Any]) -> Route:
    data = json.loads(text) if isinstance(text, str) else dict(text)
    data["route_responses"] = [_plain(RouteResponse, r) for r in data.get("route_responses") or ()]
    return _plain(Route, data)


def load_integration(text: str | dict[str, Any]) -> Integration:
    data = json.loads(text) if isinstance(text, str) else dict(text)
    data["integration_responses"] = [_plain(IntegrationResponse, r) for r in data.get("integration_responses") or ()]
    return _plain(Integration, data)


def load_authorizer(text: str | dict[str, Any]) -> Authorizer:
    return _plain(Authorizer, json.loads(text) if isinstance(text, str) else text)


def load_stage(text: str) -> Stage:
    data = json.loads(text)
    data["default_route_settings"] = _plain(RouteSettings, data.get("default_route_settings") or {})
    data["route_settings"] = {k: _plain(RouteSettings, v) for k, v in (data.get("route_settings") or {}).items()}
    if data.get("access_log") is not None:
        data["access_log"] = _plain(AccessLog, data["access_log"])
    return _plain(Stage, data)


def load_deployment(text: str) -> Deployment:
    data = json.loads(text)
    snap = data.get("snapshot") or {}
    data["snapshot"] = Snapshot(
        routes=tuple(load_route(r) for r in snap.get("routes", ())),
        integrations=tuple(load_integration(i) for i in snap.get("integrations", ())),
        authorizers=tuple(load_authorizer(a) for a in snap.get("authorizers", ())),
        cors=_cors(snap.get("cors")),
    )
    return _plain(Deployment, data)
