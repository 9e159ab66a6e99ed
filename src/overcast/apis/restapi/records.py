"""The records of a REST API's control plane: RestApi, Resource, Method, Model, Stage, ApiKey, UsagePlan...

Records are frozen; a change is a `replace()`. Each field is the snake_case name of the AWS member
it holds (`api_key_required` for `apiKeyRequired`), so the wire shapes in `api/services/` map them
mechanically. A member AWS leaves out of an answer when it is unset is None here; maps and lists
AWS always answers (`methodSettings`, `apiStages`) default to empty. Records are stored as JSON
by `codec`; a new field needs a default so that stored records still load.
https://docs.aws.amazon.com/apigateway/latest/api/API_Types.html
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class EndpointConfiguration:
    types: tuple[str, ...] = ("EDGE",)
    ip_address_type: str | None = None
    vpc_endpoint_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class RestApi:
    id: str
    name: str
    created_date: float
    root_resource_id: str
    api_key_source: str = "HEADER"
    endpoint_configuration: EndpointConfiguration = field(default_factory=EndpointConfiguration)
    disable_execute_api_endpoint: bool = False
    api_status: str = "AVAILABLE"
    description: str | None = None
    version: str | None = None
    policy: str | None = None
    minimum_compression_size: int | None = None
    binary_media_types: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class MethodResponse:
    status_code: str
    response_parameters: dict[str, bool] | None = None
    response_models: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class IntegrationResponse:
    status_code: str
    selection_pattern: str | None = None
    response_parameters: dict[str, str] | None = None
    response_templates: dict[str, str] | None = None
    content_handling: str | None = None


@dataclass(frozen=True, slots=True)
class TlsConfig:
    insecure_skip_verification: bool | None = None


@dataclass(frozen=True, slots=True)
class Integration:
    type: str
    passthrough_behavior: str = "WHEN_NO_MATCH"
    timeout_in_millis: int = 29_000
    cache_namespace: str | None = None
    cache_key_parameters: tuple[str, ...] = ()
    http_method: str | None = None  # the backend's method (PutIntegration's integrationHttpMethod)
    uri: str | None = None
    connection_type: str | None = None
    connection_id: str | None = None
    credentials: str | None = None
    request_parameters: dict[str, str] | None = None
    request_templates: dict[str, str] | None = None
    content_handling: str | None = None
    tls_config: TlsConfig | None = None
    integration_responses: dict[str, IntegrationResponse] | None = None  # by status code


@dataclass(frozen=True, slots=True)
class Method:
    http_method: str
    authorization_type: str = "NONE"
    api_key_required: bool = False
    authorizer_id: str | None = None
    operation_name: str | None = None
    request_validator_id: str | None = None
    request_parameters: dict[str, bool] | None = None
    request_models: dict[str, str] | None = None
    authorization_scopes: tuple[str, ...] | None = None
    method_responses: dict[str, MethodResponse] | None = None  # by status code
    method_integration: Integration | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    path: str
    parent_id: str | None = None  # None for the root resource "/"
    path_part: str | None = None
    resource_methods: dict[str, Method] = field(default_factory=dict)  # by HTTP method


@dataclass(frozen=True, slots=True)
class Authorizer:
    id: str
    name: str
    type: str  # "TOKEN" | "REQUEST" | "COGNITO_USER_POOLS"
    provider_arns: tuple[str, ...] | None = None
    auth_type: str | None = None
    authorizer_uri: str | None = None
    authorizer_credentials: str | None = None
    identity_source: str | None = None
    identity_validation_expression: str | None = None
    authorizer_result_ttl_in_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Model:
    """A JSON Schema (draft 4) for a payload of one content type, known by its name within the API."""

    id: str
    name: str
    content_type: str
    schema: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class RequestValidator:
    id: str
    name: str | None = None
    validate_request_body: bool = False
    validate_request_parameters: bool = False


@dataclass(frozen=True, slots=True)
class GatewayResponse:
    response_type: str
    default_response: bool = False
    status_code: str | None = None
    response_parameters: dict[str, str] = field(default_factory=dict)
    response_templates: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MethodSetting:
    """A stage's settings for one method, or for all (`*/*`); None: not set, the wider setting applies."""

    metrics_enabled: bool | None = None
    logging_level: str | None = None
    data_trace_enabled: bool | None = None
    throttling_burst_limit: int | None = None
    throttling_rate_limit: float | None = None
    caching_enabled: bool | None = None
    cache_ttl_in_seconds: int | None = None
    cache_data_encrypted: bool | None = None
    require_authorization_for_cache_control: bool | None = None
    unauthorized_cache_control_header_strategy: str | None = None


@dataclass(frozen=True, slots=True)
class AccessLogSettings:
    format: str | None = None
    destination_arn: str | None = None


@dataclass(frozen=True, slots=True)
class Stage:
    stage_name: str
    deployment_id: str
    created_date: float
    last_updated_date: float
    cache_cluster_enabled: bool = False
    cache_cluster_status: str = "NOT_AVAILABLE"
    tracing_enabled: bool = False
    method_settings: dict[str, MethodSetting] = field(default_factory=dict)  # "~1pets/GET", "*/*"
    description: str | None = None
    cache_cluster_size: str | None = None
    variables: dict[str, str] | None = None
    documentation_version: str | None = None
    access_log_settings: AccessLogSettings | None = None
    client_certificate_id: str | None = None
    web_acl_arn: str | None = None


@dataclass(frozen=True, slots=True)
class Definition:
    """A REST API's working definition: its attributes and everything under it, changed whole in one
    transaction. Resources by id, authorizers by id, customised gateway responses by type, stages by name,
    models by name (AWS addresses them by name), request validators by id."""

    api: RestApi
    resources: dict[str, Resource]
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    gateway_responses: dict[str, GatewayResponse] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    request_validators: dict[str, RequestValidator] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a deployment froze: what a stage pointing at it serves (its settings are the stage's own)."""

    resources: dict[str, Resource]
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    gateway_responses: dict[str, GatewayResponse] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    api_key_source: str = "HEADER"
    disable_execute_api_endpoint: bool = False
    name: str = ""  # the API's name: REST APIs' metrics are dimensioned by it (ApiName)
    models: dict[str, Model] = field(default_factory=dict)  # by name: request validation's schemas
    request_validators: dict[str, RequestValidator] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Deployment:
    id: str
    created_date: float
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    value: str
    created_date: float
    last_updated_date: float
    enabled: bool = False
    stage_keys: tuple[str, ...] = ()  # "restApiId/stageName"
    name: str | None = None
    description: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class ThrottleSettings:
    burst_limit: int | None = None
    rate_limit: float | None = None


@dataclass(frozen=True, slots=True)
class QuotaSettings:
    limit: int | None = None
    period: str | None = None  # "DAY" | "WEEK" | "MONTH"
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class ApiStage:
    api_id: str
    stage: str
    throttle: dict[str, ThrottleSettings] | None = None  # "/pets/{id}/GET" -> its method throttle


@dataclass(frozen=True, slots=True)
class UsagePlan:
    id: str
    name: str
    api_stages: tuple[ApiStage, ...] = ()
    description: str | None = None
    throttle: ThrottleSettings | None = None
    quota: QuotaSettings | None = None
    product_code: str | None = None
