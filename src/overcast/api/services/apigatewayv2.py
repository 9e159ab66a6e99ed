"""API Gateway v2 (HTTP API) operations: botocore-named parameters in, HttpApis called, botocore-named outputs out.

The wire names (ApiId, RouteKey, ...) live only here; rules and errors live in `overcast.gateway.httpapi`.
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/resources.html
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.gateway.httpapi import HttpApis, openapi
from overcast.gateway.httpapi import records as rec
from overcast.gateway.httpapi.pages import bad_size
from overcast.gateway.httpapi.parts import Parts
from overcast.gateway.httpapi.stages import Stages
from overcast.gateway.httpapi.tables import AUTHORIZER, DEPLOYMENT, INTEGRATION, ROUTE
from overcast.gateway.restapi.exports import render as render_definition
from overcast.gateway.restapi.openapi import parse as parse_openapi
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
_API = [("Name", "name"), ("Description", "description"), ("Version", "version"),
        ("DisableExecuteApiEndpoint", "disable_execute_api_endpoint"),
        ("DisableSchemaValidation", "disable_schema_validation"), ("IpAddressType", "ip_address_type")]  # fmt: skip
_ROUTE = [("RouteKey", "route_key"), ("Target", "target"), ("AuthorizationType", "authorization_type"),
          ("AuthorizerId", "authorizer_id"), ("ApiKeyRequired", "api_key_required"),
          ("OperationName", "operation_name")]  # fmt: skip
_INTEGRATION = [("IntegrationType", "integration_type"), ("IntegrationUri", "integration_uri"),
                ("IntegrationMethod", "integration_method"), ("IntegrationSubtype", "integration_subtype"),
                ("PayloadFormatVersion", "payload_format_version"), ("TimeoutInMillis", "timeout_in_millis"),
                ("RequestParameters", "request_parameters"), ("ResponseParameters", "response_parameters"),
                ("ConnectionType", "connection_type"), ("ConnectionId", "connection_id"),
                ("CredentialsArn", "credentials_arn"), ("Description", "description")]  # fmt: skip
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


def _fields(params: Params, names: list[tuple[str, str]]) -> dict[str, Any]:
    return {field: params[wire] for wire, field in names if wire in params}


def _out(record: Any, names: list[tuple[str, str]]) -> Output:
    return {wire: getattr(record, field) for wire, field in names if getattr(record, field) is not None}


def _tuples(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _cors_in(value: dict[str, Any]) -> rec.CorsConfig:
    return rec.CorsConfig(**{k: _tuples(v) for k, v in _fields(value, _CORS).items()})


def _settings_in(value: dict[str, Any]) -> rec.RouteSettings:
    return rec.RouteSettings(**_fields(value, _SETTINGS))


def _api_out(s: Services, tagged: rec.Tagged[rec.Api]) -> Output:
    a = tagged.record
    out = _out(a, _API) | {
        "ApiId": a.api_id,
        "ApiEndpoint": s.endpoint(a.api_id),
        "ApiKeySelectionExpression": rec.API_KEY_SELECTION,
        "CreatedDate": a.created,
        "ProtocolType": a.protocol_type,
        "RouteSelectionExpression": rec.ROUTE_SELECTION,
        "Tags": dict(tagged.tags),
    }
    if a.cors is not None:
        out["CorsConfiguration"] = _out(a.cors, _CORS)
    return out


def _route_out(r: rec.Route) -> Output:
    out = _out(r, _ROUTE) | {"RouteId": r.route_id, "ApiGatewayManaged": r.api_gateway_managed}
    if r.authorization_scopes:
        out["AuthorizationScopes"] = list(r.authorization_scopes)
    if r.request_parameters:
        out["RequestParameters"] = {k: {"Required": bool(v.get("Required"))} for k, v in r.request_parameters.items()}
    return out


def _integration_out(i: rec.Integration) -> Output:
    out = _out(i, _INTEGRATION) | {"IntegrationId": i.integration_id, "ApiGatewayManaged": i.api_gateway_managed}
    if i.tls_server_name is not None:
        out["TlsConfig"] = {"ServerNameToVerify": i.tls_server_name}
    return out


def _authorizer_out(a: rec.Authorizer) -> Output:
    out = _out(a, _AUTHORIZER) | {"AuthorizerId": a.authorizer_id, "IdentitySource": list(a.identity_source)}
    if a.authorizer_type == "JWT":
        out["JwtConfiguration"] = {"Issuer": a.jwt_issuer} | (
            {"Audience": list(a.jwt_audience)} if a.jwt_audience is not None else {}
        )
    return out


def _stage_out(tagged: rec.Tagged[rec.Stage]) -> Output:
    s = tagged.record
    out = _out(s, _STAGE) | {
        "CreatedDate": s.created,
        "LastUpdatedDate": s.last_updated,
        "DefaultRouteSettings": _out(s.default_route_settings, _SETTINGS),
        "RouteSettings": {k: _out(v, _SETTINGS) for k, v in s.route_settings.items()},
        "StageVariables": dict(s.stage_variables or {}),
        "Tags": dict(tagged.tags),
        "ApiGatewayManaged": s.api_gateway_managed,
    }
    out["DefaultRouteSettings"].setdefault("DetailedMetricsEnabled", False)
    if s.access_log is not None:
        out["AccessLogSettings"] = _out(s.access_log, [("DestinationArn", "destination_arn"), ("Format", "format")])
    if s.last_deployment_status_message is not None:
        out["LastDeploymentStatusMessage"] = s.last_deployment_status_message
    return out


def _deployment_out(d: rec.Deployment) -> Output:
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


def _page(items: list[Output], token: str | None) -> Output:
    return {"Items": items, "NextToken": token} if token else {"Items": items}


def _size(p: Params) -> int | None:
    """MaxResults, a string in the model, as a number (https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html)."""
    text = p.get("MaxResults")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise bad_size(text) from None


def _route_fields(params: Params) -> dict[str, Any]:
    fields = _fields(params, _ROUTE)
    if "AuthorizationScopes" in params:
        fields["authorization_scopes"] = tuple(params["AuthorizationScopes"]) or None
    if "RequestParameters" in params:
        fields["request_parameters"] = params["RequestParameters"]
    return fields


def _integration_fields(params: Params) -> dict[str, Any]:
    fields = _fields(params, _INTEGRATION)
    if "TlsConfig" in params:
        fields["tls_server_name"] = params["TlsConfig"].get("ServerNameToVerify")
    for unsupported in (
        "RequestTemplates",
        "TemplateSelectionExpression",
        "PassthroughBehavior",
        "ContentHandlingStrategy",
    ):
        if unsupported in params:
            raise BadRequest(f"{unsupported} is supported only for WebSocket APIs.")
    return fields


def _authorizer_fields(params: Params) -> dict[str, Any]:
    fields = _fields(params, _AUTHORIZER)
    if "IdentitySource" in params:
        fields["identity_source"] = tuple(params["IdentitySource"])
    if "JwtConfiguration" in params:
        jwt = params["JwtConfiguration"]
        fields["jwt_issuer"] = jwt.get("Issuer")
        fields["jwt_audience"] = tuple(jwt["Audience"]) if "Audience" in jwt else None
    if "IdentityValidationExpression" in params:
        raise BadRequest("IdentityValidationExpression is supported only for WebSocket APIs.")
    return fields


def _stage_fields(params: Params) -> dict[str, Any]:
    fields = _fields(params, _STAGE)
    if "DefaultRouteSettings" in params:
        fields["default_route_settings"] = _settings_in(params["DefaultRouteSettings"])
    if "RouteSettings" in params:
        fields["route_settings"] = {k: _settings_in(v) for k, v in params["RouteSettings"].items()}
    if "AccessLogSettings" in params:
        log = params["AccessLogSettings"]
        fields["access_log"] = rec.AccessLog(log.get("DestinationArn"), log.get("Format"))
    return fields


# -- APIs ----------------------------------------------------------------------------------------


async def create_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    fields = _fields(p, _API)
    if "CorsConfiguration" in p:
        fields["cors"] = _cors_in(p["CorsConfiguration"])
    expression = p.get("RouteSelectionExpression", rec.ROUTE_SELECTION)
    if p["ProtocolType"] == "HTTP" and expression != rec.ROUTE_SELECTION:
        raise BadRequest(f"RouteSelectionExpression must be {rec.ROUTE_SELECTION} for HTTP APIs.")
    draft = rec.Api("", "", "", created=0.0, protocol_type=p["ProtocolType"], **fields)
    created = await s.apis.create_api(ctx, draft, p.get("Tags"), target=p.get("Target"), route_key=p.get("RouteKey"))
    return _api_out(s, created)


async def get_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _api_out(s, await s.apis.api(ctx, p["ApiId"]))


async def get_apis(s: Services, ctx: RequestContext, p: Params) -> Output:
    found, token = await s.apis.apis(ctx, _size(p), p.get("NextToken"))
    return _page([_api_out(s, a) for a in found], token)


async def update_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    if "Target" in p or "RouteKey" in p or "CredentialsArn" in p:
        raise BadRequest("Updating a quick create Target, RouteKey or CredentialsArn is not supported by Overcast yet.")
    changes = _fields(p, _API)
    if "CorsConfiguration" in p:
        changes["cors"] = _cors_in(p["CorsConfiguration"])
    return _api_out(s, await s.apis.update_api(ctx, p["ApiId"], changes))


async def delete_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.delete_api(ctx, p["ApiId"])
    return {}


async def delete_cors_configuration(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.delete_cors(ctx, p["ApiId"])
    return {}


# -- OpenAPI -------------------------------------------------------------------------------------


def _imported(s: Services, p: Params) -> openapi.Definition:
    spec = parse_openapi(p.get("Body") or "")
    basepath = {"basepath": p["Basepath"]} if p.get("Basepath") else None
    definition = openapi.build(spec, s.apis.new_id, basepath)
    if definition.warnings and p.get("FailOnWarnings"):
        raise BadRequest("Warnings found during import:" + "".join(f"\n\t{w}" for w in definition.warnings))
    return definition


def _with_warnings(out: Output, definition: openapi.Definition) -> Output:
    return out | {"Warnings": list(definition.warnings)} if definition.warnings else out


async def import_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    definition = _imported(s, p)
    return _with_warnings(_api_out(s, await s.apis.import_api(ctx, definition)), definition)


async def reimport_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    definition = _imported(s, p)
    return _with_warnings(_api_out(s, await s.apis.reimport_api(ctx, p["ApiId"], definition)), definition)


async def export_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    if p["Specification"] != "OAS30":
        raise BadRequest(f"Invalid specification {p['Specification']}. Must be OAS30")
    if p["OutputType"] not in ("JSON", "YAML"):
        raise BadRequest(f"Invalid output type {p['OutputType']}. Must be one of [JSON, YAML]")
    api, snap = await s.apis.definition(ctx, p["ApiId"], p.get("StageName"))
    found = openapi.export(
        api, snap.routes, snap.integrations, snap.authorizers, snap.cors,
        stage=p.get("StageName"), include_extensions=p.get("IncludeExtensions", True),
    )  # fmt: skip
    body, _ = render_definition(found, "application/" + p["OutputType"].lower())
    return {"body": body}


# -- tags (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging.html) ---


async def tag_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.tagging.tag(ctx, p["ResourceArn"], p.get("Tags", {}))
    return {}


async def untag_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.tagging.untag(ctx, p["ResourceArn"], p.get("TagKeys", ()))
    return {}


async def get_tags(s: Services, ctx: RequestContext, p: Params) -> Output:
    return {"Tags": await s.tagging.tags(ctx, p["ResourceArn"])}


# -- routes, integrations, authorizers -----------------------------------------------------------


async def _get_part(s: Services, ctx: RequestContext, p: Params, kind: str, id_member: str) -> Any:
    return await s.parts.get(ctx, p["ApiId"], kind, p[id_member])


async def _parts_page(
    s: Services, ctx: RequestContext, p: Params, kind: str, render: Callable[[Any], Output]
) -> Output:
    found, token = await s.parts.page(ctx, p["ApiId"], kind, _size(p), p.get("NextToken"))
    return _page([render(x) for x in found], token)


async def create_route(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _route_out(await s.parts.create_route(ctx, p["ApiId"], _route_fields(p)))


async def get_route(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _route_out(await _get_part(s, ctx, p, ROUTE, "RouteId"))


async def get_routes(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _parts_page(s, ctx, p, ROUTE, _route_out)


async def update_route(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _route_out(await s.parts.update_route(ctx, p["ApiId"], p["RouteId"], _route_fields(p)))


async def delete_route(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.parts.delete_route(ctx, p["ApiId"], p["RouteId"])
    return {}


async def create_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _integration_out(await s.parts.create_integration(ctx, p["ApiId"], _integration_fields(p)))


async def get_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _integration_out(await _get_part(s, ctx, p, INTEGRATION, "IntegrationId"))


async def get_integrations(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _parts_page(s, ctx, p, INTEGRATION, _integration_out)


async def update_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    changes = _integration_fields(p)
    return _integration_out(await s.parts.update_integration(ctx, p["ApiId"], p["IntegrationId"], changes))


async def delete_integration(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.parts.delete_integration(ctx, p["ApiId"], p["IntegrationId"])
    return {}


async def create_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _authorizer_out(await s.parts.create_authorizer(ctx, p["ApiId"], _authorizer_fields(p)))


async def get_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _authorizer_out(await _get_part(s, ctx, p, AUTHORIZER, "AuthorizerId"))


async def get_authorizers(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _parts_page(s, ctx, p, AUTHORIZER, _authorizer_out)


async def update_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    changes = _authorizer_fields(p)
    return _authorizer_out(await s.parts.update_authorizer(ctx, p["ApiId"], p["AuthorizerId"], changes))


async def delete_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.parts.delete_authorizer(ctx, p["ApiId"], p["AuthorizerId"])
    return {}


# -- stages and deployments ----------------------------------------------------------------------


async def create_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _stage_out(await s.stages.create(ctx, p["ApiId"], _stage_fields(p), p.get("Tags")))


async def get_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _stage_out(await s.stages.get(ctx, p["ApiId"], p["StageName"]))


async def get_stages(s: Services, ctx: RequestContext, p: Params) -> Output:
    found, token = await s.stages.page(ctx, p["ApiId"], _size(p), p.get("NextToken"))
    return _page([_stage_out(x) for x in found], token)


async def update_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    changes = _stage_fields(p)
    changes.pop("stage_name", None)
    return _stage_out(await s.stages.update(ctx, p["ApiId"], p["StageName"], changes))


async def delete_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.stages.delete(ctx, p["ApiId"], p["StageName"])
    return {}


async def delete_route_settings(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.stages.delete_route_settings(ctx, p["ApiId"], p["StageName"], p["RouteKey"])
    return {}


async def delete_access_log_settings(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.stages.update(ctx, p["ApiId"], p["StageName"], {"access_log": None})
    return {}


async def create_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _deployment_out(await s.stages.deploy(ctx, p["ApiId"], p.get("Description"), p.get("StageName")))


async def get_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    return _deployment_out(await _get_part(s, ctx, p, DEPLOYMENT, "DeploymentId"))


async def get_deployments(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _parts_page(s, ctx, p, DEPLOYMENT, _deployment_out)


async def update_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    updated = await s.stages.update_deployment(ctx, p["ApiId"], p["DeploymentId"], p.get("Description"))
    return _deployment_out(updated)


async def delete_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.stages.delete_deployment(ctx, p["ApiId"], p["DeploymentId"])
    return {}


HANDLERS: dict[str, Unbound[Services]] = {
    "CreateApi": create_api,
    "ImportApi": import_api,
    "ReimportApi": reimport_api,
    "ExportApi": export_api,
    "GetApi": get_api,
    "GetApis": get_apis,
    "UpdateApi": update_api,
    "DeleteApi": delete_api,
    "DeleteCorsConfiguration": delete_cors_configuration,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "GetTags": get_tags,
    "CreateRoute": create_route,
    "GetRoute": get_route,
    "GetRoutes": get_routes,
    "UpdateRoute": update_route,
    "DeleteRoute": delete_route,
    "CreateIntegration": create_integration,
    "GetIntegration": get_integration,
    "GetIntegrations": get_integrations,
    "UpdateIntegration": update_integration,
    "DeleteIntegration": delete_integration,
    "CreateAuthorizer": create_authorizer,
    "GetAuthorizer": get_authorizer,
    "GetAuthorizers": get_authorizers,
    "UpdateAuthorizer": update_authorizer,
    "DeleteAuthorizer": delete_authorizer,
    "CreateStage": create_stage,
    "GetStage": get_stage,
    "GetStages": get_stages,
    "UpdateStage": update_stage,
    "DeleteStage": delete_stage,
    "DeleteRouteSettings": delete_route_settings,
    "DeleteAccessLogSettings": delete_access_log_settings,
    "CreateDeployment": create_deployment,
    "GetDeployment": get_deployment,
    "GetDeployments": get_deployments,
    "UpdateDeployment": update_deployment,
    "DeleteDeployment": delete_deployment,
}


def operations(apis: HttpApis) -> OperationTable:
    """The apigatewayv2 operation table over the HTTP API control plane's services."""
    services = Services(apis, apis.parts, apis.stages, apis.tagging, apis.endpoint)
    return bind(HANDLERS, services)
