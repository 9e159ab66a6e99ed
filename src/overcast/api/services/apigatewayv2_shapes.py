"""apigatewayv2's shapes: each record's botocore members in and out, pages, and the Services handlers take.

Only `api/services/apigatewayv2*.py` know these wire names; the records are `overcast.apis.httpapi`'s.
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/resources.html
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overcast.api.services import Output, Params
from overcast.apis.httpapi import HttpApis
from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi.pages import bad_size
from overcast.apis.httpapi.parts import Parts
from overcast.apis.httpapi.stages import Stages
from overcast.apis.httpapi.websockets import WEBSOCKET
from overcast.errors import BadRequest
from overcast.kit.tags import Tagging


@dataclass(frozen=True, slots=True)
class Services:
    """What the handlers call: the APIs, their parts, stages and tags, and where an API answers."""

    apis: HttpApis
    parts: Parts
    stages: Stages
    tagging: Tagging
    endpoint: Callable[[str], str]


# (wire member, record field) of the members copied as they are, per record.
API_MEMBERS = [("Name", "name"), ("Description", "description"), ("Version", "version"),
               ("DisableExecuteApiEndpoint", "disable_execute_api_endpoint"),
               ("DisableSchemaValidation", "disable_schema_validation"),
               ("IpAddressType", "ip_address_type"), ("RouteSelectionExpression", "route_selection_expression"),
               ("ApiKeySelectionExpression", "api_key_selection_expression")]  # fmt: skip
_ROUTE = [("RouteKey", "route_key"), ("Target", "target"), ("AuthorizationType", "authorization_type"),
          ("AuthorizerId", "authorizer_id"), ("ApiKeyRequired", "api_key_required"),
          ("OperationName", "operation_name"),
          ("RouteResponseSelectionExpression", "route_response_selection_expression")]  # fmt: skip
_ROUTE_RESPONSE = [("RouteResponseKey", "route_response_key"),
                   ("ModelSelectionExpression", "model_selection_expression"),
                   ("ResponseModels", "response_models")]  # fmt: skip
_INTEGRATION_RESPONSE = [("IntegrationResponseKey", "integration_response_key"),
                         ("TemplateSelectionExpression", "template_selection_expression"),
                         ("ResponseTemplates", "response_templates"), ("ResponseParameters", "response_parameters"),
                         ("ContentHandlingStrategy", "content_handling_strategy")]  # fmt: skip
_INTEGRATION = [("IntegrationType", "integration_type"), ("IntegrationUri", "integration_uri"),
                ("IntegrationMethod", "integration_method"), ("IntegrationSubtype", "integration_subtype"),
                ("PayloadFormatVersion", "payload_format_version"), ("TimeoutInMillis", "timeout_in_millis"),
                ("RequestParameters", "request_parameters"), ("ResponseParameters", "response_parameters"),
                ("ConnectionType", "connection_type"), ("ConnectionId", "connection_id"),
                ("CredentialsArn", "credentials_arn"), ("Description", "description"),
                ("ContentHandlingStrategy", "content_handling_strategy"),
                ("PassthroughBehavior", "passthrough_behavior"),
                ("TemplateSelectionExpression", "template_selection_expression"),
                ("RequestTemplates", "request_templates")]  # fmt: skip
_AUTHORIZER = [("Name", "name"), ("AuthorizerType", "authorizer_type"), ("AuthorizerUri", "authorizer_uri"),
               ("AuthorizerPayloadFormatVersion", "payload_format_version"),
               ("EnableSimpleResponses", "enable_simple_responses"),
               ("AuthorizerResultTtlInSeconds", "result_ttl_seconds"),
               ("AuthorizerCredentialsArn", "credentials_arn")]  # fmt: skip
_STAGE = [("StageName", "stage_name"), ("Description", "description"), ("DeploymentId", "deployment_id"),
          ("AutoDeploy", "auto_deploy"), ("StageVariables", "stage_variables"),
          ("ClientCertificateId", "client_certificate_id")]  # fmt: skip
_SETTINGS = [("ThrottlingRateLimit", "throttling_rate_limit"), ("ThrottlingBurstLimit", "throttling_burst_limit"),
             ("DetailedMetricsEnabled", "detailed_metrics_enabled"), ("LoggingLevel", "logging_level"),
             ("DataTraceEnabled", "data_trace_enabled")]  # fmt: skip
_CORS = [("AllowOrigins", "allow_origins"), ("AllowMethods", "allow_methods"), ("AllowHeaders", "allow_headers"),
         ("ExposeHeaders", "expose_headers"), ("MaxAge", "max_age"),
         ("AllowCredentials", "allow_credentials")]  # fmt: skip
_ACCESS_LOG = [("DestinationArn", "destination_arn"), ("Format", "format")]


def fields_of(params: Params, names: list[tuple[str, str]]) -> dict[str, Any]:
    return {field: params[wire] for wire, field in names if wire in params}


def members_of(record: Any, names: list[tuple[str, str]]) -> Output:
    return {wire: getattr(record, field) for wire, field in names if getattr(record, field) is not None}


def _tuples(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def cors_in(value: dict[str, Any]) -> rec.CorsConfig:
    return rec.CorsConfig(**{k: _tuples(v) for k, v in fields_of(value, _CORS).items()})


def settings_in(value: dict[str, Any]) -> rec.RouteSettings:
    return rec.RouteSettings(**fields_of(value, _SETTINGS))


def api_out(s: Services, tagged: rec.Tagged[rec.Api]) -> Output:
    a = tagged.record
    endpoint = s.endpoint(a.api_id)
    if a.protocol_type == WEBSOCKET:  # AWS's is wss://<api-id>.execute-api.<region>.amazonaws.com
        endpoint = "ws" + endpoint.removeprefix("http")
    out = members_of(a, API_MEMBERS) | {
        "ApiId": a.api_id,
        "ApiEndpoint": endpoint,
        "CreatedDate": a.created,
        "ProtocolType": a.protocol_type,
        "Tags": dict(tagged.tags),
    }
    if a.cors is not None:
        out["CorsConfiguration"] = members_of(a.cors, _CORS)
    return out


def route_out(r: rec.Route) -> Output:
    out = members_of(r, _ROUTE) | {"RouteId": r.route_id, "ApiGatewayManaged": r.api_gateway_managed}
    if r.authorization_scopes:
        out["AuthorizationScopes"] = list(r.authorization_scopes)
    if r.request_parameters:
        out["RequestParameters"] = {k: {"Required": bool(v.get("Required"))} for k, v in r.request_parameters.items()}
    return out


# A WebSocket non-proxy integration's response selection, fixed by its type
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-transformations.html).
_BY_STATUS = "${integration.response.statuscode}"
_RESPONSE_SELECTION = {"AWS": "${integration.response.body.errorMessage}", "HTTP": _BY_STATUS, "MOCK": _BY_STATUS}


def integration_out(i: rec.Integration) -> Output:
    out = members_of(i, _INTEGRATION) | {"IntegrationId": i.integration_id, "ApiGatewayManaged": i.api_gateway_managed}
    if i.integration_type in _RESPONSE_SELECTION:
        out["IntegrationResponseSelectionExpression"] = _RESPONSE_SELECTION[i.integration_type]
    if i.tls_server_name is not None:
        out["TlsConfig"] = {"ServerNameToVerify": i.tls_server_name}
    return out


def authorizer_out(a: rec.Authorizer) -> Output:
    out = members_of(a, _AUTHORIZER) | {"AuthorizerId": a.authorizer_id, "IdentitySource": list(a.identity_source)}
    if a.authorizer_type == "JWT":
        out["JwtConfiguration"] = {"Issuer": a.jwt_issuer} | (
            {"Audience": list(a.jwt_audience)} if a.jwt_audience is not None else {}
        )
    return out


def stage_out(tagged: rec.Tagged[rec.Stage]) -> Output:
    s = tagged.record
    out = members_of(s, _STAGE) | {
        "CreatedDate": s.created,
        "LastUpdatedDate": s.last_updated,
        "DefaultRouteSettings": members_of(s.default_route_settings, _SETTINGS),
        "RouteSettings": {k: members_of(v, _SETTINGS) for k, v in s.route_settings.items()},
        "StageVariables": dict(s.stage_variables or {}),
        "Tags": dict(tagged.tags),
        "ApiGatewayManaged": s.api_gateway_managed,
    }
    out["DefaultRouteSettings"].setdefault("DetailedMetricsEnabled", False)
    if s.access_log is not None:
        out["AccessLogSettings"] = members_of(s.access_log, _ACCESS_LOG)
    if s.last_deployment_status_message is not None:
        out["LastDeploymentStatusMessage"] = s.last_deployment_status_message
    return out


def deployment_out(d: rec.Deployment) -> Output:
    out: Output = {
        "DeploymentId": d.deployment_id,
        "CreatedDate": d.created,
        "AutoDeployed": d.auto_deployed,
        "DeploymentStatus": d.status,
    }
    if d.description is not None:
        out["Description"] = d.description
    if d.status_message is not None:
        out["DeploymentStatusMessage"] = d.status_message
    return out


def page_out(items: list[Output], token: str | None) -> Output:
    return {"Items": items, "NextToken": token} if token else {"Items": items}


def page_size(p: Params) -> int | None:
    """MaxResults as a number: the model makes it a string, so a client may send anything
    (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html)."""
    text = p.get("MaxResults")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise bad_size(text) from None


def route_fields(params: Params) -> dict[str, Any]:
    fields = fields_of(params, _ROUTE)
    if "AuthorizationScopes" in params:
        fields["authorization_scopes"] = tuple(params["AuthorizationScopes"]) or None
    if "RequestParameters" in params:
        fields["request_parameters"] = params["RequestParameters"]
    return fields


def integration_fields(params: Params) -> dict[str, Any]:
    fields = fields_of(params, _INTEGRATION)
    if "TlsConfig" in params:
        fields["tls_server_name"] = params["TlsConfig"].get("ServerNameToVerify")
    return fields


def route_response_out(r: rec.RouteResponse) -> Output:
    return members_of(r, _ROUTE_RESPONSE) | {"RouteResponseId": r.route_response_id}


def route_response_fields(params: Params) -> dict[str, Any]:
    if "ResponseParameters" in params:
        raise BadRequest("ResponseParameters of route responses are not supported by Overcast yet.")
    return fields_of(params, _ROUTE_RESPONSE)


def integration_response_out(r: rec.IntegrationResponse) -> Output:
    return members_of(r, _INTEGRATION_RESPONSE) | {"IntegrationResponseId": r.integration_response_id}


def integration_response_fields(params: Params) -> dict[str, Any]:
    return fields_of(params, _INTEGRATION_RESPONSE)


def authorizer_fields(params: Params) -> dict[str, Any]:
    fields = fields_of(params, _AUTHORIZER)
    if "IdentitySource" in params:
        fields["identity_source"] = tuple(params["IdentitySource"])
    if "JwtConfiguration" in params:
        jwt = params["JwtConfiguration"]
        fields["jwt_issuer"] = jwt.get("Issuer")
        fields["jwt_audience"] = tuple(jwt["Audience"]) if "Audience" in jwt else None
    if "IdentityValidationExpression" in params:
        raise BadRequest("IdentityValidationExpression is supported only for WebSocket APIs.")
    return fields


def stage_fields(params: Params) -> dict[str, Any]:
    fields = fields_of(params, _STAGE)
    if "DefaultRouteSettings" in params:
        fields["default_route_settings"] = settings_in(params["DefaultRouteSettings"])
    if "RouteSettings" in params:
        fields["route_settings"] = {k: settings_in(v) for k, v in params["RouteSettings"].items()}
    if "AccessLogSettings" in params:
        log = params["AccessLogSettings"]
        fields["access_log"] = rec.AccessLog(log.get("DestinationArn"), log.get("Format"))
    return fields
