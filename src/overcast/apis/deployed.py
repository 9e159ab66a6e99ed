"""DeployedApi: the frozen snapshot of one API stage that the data plane serves.

Both control planes (REST APIs in `apis.restapi`, HTTP APIs in `apis.httpapi`) publish their
deployments in this one shape, so routing, authorizers, throttling, caching and integrations are
written once. A snapshot is immutable: a new deployment (or an auto-deploy) publishes a new one,
and a request in flight keeps the snapshot it started with, as on AWS.

https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class ApiKind(Enum):
    REST = "REST"  # apigateway (v1): resources and methods; proxy payload 1.0
    HTTP = "HTTP"  # apigatewayv2 HTTP APIs: routes; proxy payload 1.0 or 2.0


@dataclass(frozen=True, slots=True)
class Throttle:
    """A token bucket: `rate` requests per second refilled, `burst` the bucket's size."""

    rate: float
    burst: int


@dataclass(frozen=True, slots=True)
class IntegrationResponse:
    """A REST integration response: chosen by `pattern` (a Java regex; "" for the default one), it answers
    `status` with `parameters` (method response header -> mapping expression, e.g. "'static'" or
    "integration.response.header.X") and its body through `templates` (content type -> Velocity template)."""

    pattern: str
    status: int
    parameters: tuple[tuple[str, str], ...] = ()
    templates: tuple[tuple[str, str], ...] = ()
    content_handling: str | None = None  # CONVERT_TO_BINARY | CONVERT_TO_TEXT; None passes the payload through


@dataclass(frozen=True, slots=True)
class Integration:
    type: str  # "AWS_PROXY" | "HTTP_PROXY" | "MOCK" | "AWS" | "HTTP" (REST's non-proxy ones map with templates)
    uri: str = ""  # Lambda: the function (or its invocations ARN); HTTP_PROXY: the URL, may hold {proxy}
    http_method: str = "ANY"  # HTTP_PROXY's method to the backend (REST: integrationHttpMethod)
    payload_format_version: str = "1.0"  # "1.0" always for REST; "1.0" or "2.0" for HTTP APIs
    timeout_ms: int = 29_000  # REST: 50..29,000 ms; HTTP APIs: 50..30,000 ms
    request_parameters: tuple[tuple[str, str], ...] = ()  # destination -> source mappings
    # HTTP APIs: status code -> its parameter mappings ("overwrite:statuscode", "append:header.x", ...)
    response_mappings: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    request_templates: tuple[tuple[str, str], ...] = ()  # REST non-proxy: content type -> Velocity template
    passthrough_behavior: str = "WHEN_NO_MATCH"  # REST non-proxy: a body no template maps
    responses: tuple[IntegrationResponse, ...] = ()  # REST non-proxy: in the order they are tried
    content_handling: str | None = None  # REST non-proxy: CONVERT_TO_BINARY | CONVERT_TO_TEXT of the request
    credentials: str | None = None  # REST AWS: the role API Gateway assumes (recorded; IAM enforces it later)


@dataclass(frozen=True, slots=True)
class Authorizer:
    id: str
    name: str
    type: str  # REST: "TOKEN" | "REQUEST" | "COGNITO_USER_POOLS"; HTTP: "JWT" | "REQUEST"
    function_arn: str = ""  # a Lambda authorizer's function (parsed from authorizerUri)
    # as configured: "method.request.header.Authorization" (REST), "$request.header.Authorization" (HTTP)
    identity_sources: tuple[str, ...] = ()
    result_ttl_seconds: int = 300  # 0 disables the authorizer's cache
    identity_validation_expression: str = ""  # TOKEN: a regex the token must match
    payload_format_version: str = "1.0"  # HTTP API Lambda authorizers: "1.0" or "2.0"
    simple_responses: bool = False  # HTTP API Lambda authorizers with payload 2.0
    jwt_issuer: str = ""
    jwt_audiences: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """REST stage or method caching."""

    enabled: bool = False
    ttl_seconds: int = 300
    key_parameters: tuple[str, ...] = ()  # e.g. "method.request.querystring.type"
    require_authorization_for_invalidation: bool = True


@dataclass(frozen=True, slots=True)
class Validation:
    """What a REST method's request validator checks before its integration runs."""

    required_parameters: tuple[str, ...] = ()  # "method.request.querystring.owner", ... (parameters' check on)
    body_models: tuple[tuple[str, str], ...] = ()  # content type (or "$default") -> model name (body's check on)


@dataclass(frozen=True, slots=True)
class Route:
    """One thing a request can match: an HTTP API route, or a REST method on a resource."""

    id: str  # HTTP: routeId; REST: "<resourceId> <METHOD>"
    method: str  # "GET", ..., or "ANY"; "$default" routes use "ANY"
    path: str  # "/pets/{id}", "/{proxy+}", or "$default"; REST: the resource path
    integration: Integration
    resource_id: str = ""  # REST: the resource id (requestContext.resourceId)
    authorization_type: str = "NONE"  # "NONE" | "AWS_IAM" | "CUSTOM" | "JWT" | "COGNITO_USER_POOLS"
    authorizer: Authorizer | None = None
    authorization_scopes: tuple[str, ...] = ()
    api_key_required: bool = False
    throttle: Throttle | None = None  # route (HTTP) or method (REST) throttling, over the stage's
    cache: CacheSettings | None = None  # REST method settings over the stage's
    validation: Validation | None = None  # REST: the method's request validator, when it checks anything


@dataclass(frozen=True, slots=True)
class Cors:
    """An HTTP API's CORS configuration (REST APIs do CORS with OPTIONS methods instead)."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True, slots=True)
class GatewayResponse:
    """A REST API's customised gateway response (type e.g. "UNAUTHORIZED", "DEFAULT_4XX")."""

    type: str
    status_code: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    templates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DeployedApi:
    account_id: str
    region: str
    api_id: str
    kind: ApiKind
    stage: str  # "$default" for an HTTP API's default stage (served without a path prefix)
    deployment_id: str
    routes: tuple[Route, ...]
    stage_variables: tuple[tuple[str, str], ...] = ()
    throttle: Throttle | None = None  # the stage's default throttling
    cache: CacheSettings = field(default_factory=CacheSettings)  # the stage's (REST) cache
    cache_cluster_enabled: bool = False
    cors: Cors | None = None
    binary_media_types: tuple[str, ...] = ()
    gateway_responses: tuple[GatewayResponse, ...] = ()
    api_key_source: str = "HEADER"  # REST: "HEADER" | "AUTHORIZER"
    access_log_format: str = ""
    access_log_destination: str = ""  # a log group ARN
    disable_execute_api_endpoint: bool = False
    api_name: str = ""  # the API's name: REST APIs' metrics go under the ApiName dimension
    models: tuple[tuple[str, str], ...] = ()  # REST: model name -> its JSON schema, for request validation


@dataclass(frozen=True, slots=True)
class Quota:
    """A usage plan's quota: `limit` requests per `period` ("DAY" | "WEEK" | "MONTH"), `offset` days in."""

    limit: int
    period: str
    offset: int = 0


@dataclass(frozen=True, slots=True)
class KeyPlan:
    """An enabled API key and the usage plan that grants it one API stage."""

    key_id: str
    key_value: str
    plan_id: str
    throttle: Throttle | None = None  # the plan's throttle for this key
    quota: Quota | None = None
    # per-method throttles the plan sets for this stage: "/pets/{id}/GET" -> Throttle
    method_throttles: tuple[tuple[str, Throttle], ...] = ()
