"""API Gateway v2 (HTTP API) operations: botocore-named parameters in, HttpApis called, botocore-named outputs out.

The wire names (ApiId, RouteKey, ...) live only here; rules and errors live in `overcast.gateway.httpapi`.
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/resources.html
"""

from __future__ import annotations

from typing import Any

from overcast.api.services import Handler, OperationTable, Output, Params
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.gateway.httpapi import HttpApis, openapi
from overcast.gateway.httpapi import records as rec
from overcast.gateway.httpapi.tables import AUTHORIZER, DEPLOYMENT, INTEGRATION, ROUTE, STAGE
from overcast.gateway.restapi.exports import render as render_definition
from overcast.gateway.restapi.openapi import parse as parse_openapi

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


def _api_out(apis: HttpApis, a: rec.Api) -> Output:
    out = _out(a, _API) | {
        "ApiId": a.api_id,
        "ApiEndpoint": apis.endpoint(a.api_id),
        "ApiKeySelectionExpression": rec.API_KEY_SELECTION,
        "CreatedDate": a.created,
        "ProtocolType": a.protocol_type,
        "RouteSelectionExpression": rec.ROUTE_SELECTION,
        "Tags": dict(a.tags),
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


def _stage_out(s: rec.Stage) -> Output:
    out = _out(s, _STAGE) | {
        "CreatedDate": s.created,
        "LastUpdatedDate": s.last_updated,
        "DefaultRouteSettings": _out(s.default_route_settings, _SETTINGS),
        "RouteSettings": {k: _out(v, _SETTINGS) for k, v in s.route_settings.items()},
        "StageVariables": dict(s.stage_variables or {}),
        "Tags": dict(s.tags),
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


def _page(items: list[Output], params: Params) -> Output:
    """Items from NextToken (an offset) on, at most MaxResults of them."""
    token = params.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise BadRequest(f"Invalid NextToken {token}") from None
    size = int(params.get("MaxResults") or 0) or len(items) or 1
    if size < 1:
        raise BadRequest("MaxResults must be a positive number")
    out: Output = {"Items": items[start : start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


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


def operations(apis: HttpApis) -> OperationTable:
    async def create_api(ctx: RequestContext, params: Params) -> Output:
        fields = _fields(params, _API)
        if "CorsConfiguration" in params:
            fields["cors"] = _cors_in(params["CorsConfiguration"])
        expression = params.get("RouteSelectionExpression", rec.ROUTE_SELECTION)
        if params["ProtocolType"] == "HTTP" and expression != rec.ROUTE_SELECTION:
            raise BadRequest(f"RouteSelectionExpression must be {rec.ROUTE_SELECTION} for HTTP APIs.")
        draft = rec.Api(
            "", "", "", created=0.0, protocol_type=params["ProtocolType"], tags=params.get("Tags", {}), **fields
        )
        created = await apis.create_api(ctx, draft, target=params.get("Target"), route_key=params.get("RouteKey"))
        return _api_out(apis, created)

    async def get_api(ctx: RequestContext, params: Params) -> Output:
        return _api_out(apis, await apis.api(ctx, params["ApiId"]))

    async def get_apis(ctx: RequestContext, params: Params) -> Output:
        return _page([_api_out(apis, a) for a in await apis.apis(ctx)], params)

    async def update_api(ctx: RequestContext, params: Params) -> Output:
        if "Target" in params or "RouteKey" in params or "CredentialsArn" in params:
            raise BadRequest(
                "Updating a quick create Target, RouteKey or CredentialsArn is not supported by Overcast yet."
            )
        changes = _fields(params, _API)
        if "CorsConfiguration" in params:
            changes["cors"] = _cors_in(params["CorsConfiguration"])
        return _api_out(apis, await apis.update_api(ctx, params["ApiId"], changes))

    async def delete_api(ctx: RequestContext, params: Params) -> Output:
        await apis.delete_api(ctx, params["ApiId"])
        return {}

    async def delete_cors(ctx: RequestContext, params: Params) -> Output:
        await apis.delete_cors(ctx, params["ApiId"])
        return {}

    def imported(params: Params) -> openapi.Definition:
        spec = parse_openapi(params.get("Body") or "")
        basepath = {"basepath": params["Basepath"]} if params.get("Basepath") else None
        definition = openapi.build(spec, apis.new_id, basepath)
        if definition.warnings and params.get("FailOnWarnings"):
            raise BadRequest("Warnings found during import:" + "".join(f"\n\t{w}" for w in definition.warnings))
        return definition

    def with_warnings(out: Output, definition: openapi.Definition) -> Output:
        return out | {"Warnings": list(definition.warnings)} if definition.warnings else out

    async def import_api(ctx: RequestContext, params: Params) -> Output:
        definition = imported(params)
        return with_warnings(_api_out(apis, await apis.import_api(ctx, definition)), definition)

    async def reimport_api(ctx: RequestContext, params: Params) -> Output:
        definition = imported(params)
        return with_warnings(_api_out(apis, await apis.reimport_api(ctx, params["ApiId"], definition)), definition)

    async def export_api(ctx: RequestContext, params: Params) -> Output:
        if params["Specification"] != "OAS30":
            raise BadRequest(f"Invalid specification {params['Specification']}. Must be OAS30")
        if params["OutputType"] not in ("JSON", "YAML"):
            raise BadRequest(f"Invalid output type {params['OutputType']}. Must be one of [JSON, YAML]")
        api, snap = await apis.definition(ctx, params["ApiId"], params.get("StageName"))
        found = openapi.export(
            api, snap.routes, snap.integrations, snap.authorizers, snap.cors,
            stage=params.get("StageName"), include_extensions=params.get("IncludeExtensions", True),
        )  # fmt: skip
        body, _ = render_definition(found, "application/" + params["OutputType"].lower())
        return {"body": body}

    async def tag_resource(ctx: RequestContext, params: Params) -> Output:
        await apis.tag(ctx, params["ResourceArn"], params.get("Tags", {}))
        return {}

    async def untag_resource(ctx: RequestContext, params: Params) -> Output:
        await apis.tag(ctx, params["ResourceArn"], {}, tuple(params.get("TagKeys", ())))
        return {}

    async def get_tags(ctx: RequestContext, params: Params) -> Output:
        return {"Tags": await apis.tags(ctx, params["ResourceArn"])}

    def crud(kind: str, id_param: str, render: Any, fields: Any) -> dict[str, Handler]:
        create_op, update_op, delete_op = {
            ROUTE: (apis.create_route, apis.update_route, apis.delete_route),
            INTEGRATION: (apis.create_integration, apis.update_integration, apis.delete_integration),
            AUTHORIZER: (apis.create_authorizer, apis.update_authorizer, apis.delete_authorizer),
        }[kind]

        async def create(ctx: RequestContext, params: Params) -> Output:
            return render(await create_op(ctx, params["ApiId"], fields(params)))

        async def get(ctx: RequestContext, params: Params) -> Output:
            return render(await apis.part(ctx, params["ApiId"], kind, params[id_param]))

        async def get_all(ctx: RequestContext, params: Params) -> Output:
            return _page([render(p) for p in await apis.parts(ctx, params["ApiId"], kind)], params)

        async def update(ctx: RequestContext, params: Params) -> Output:
            return render(await update_op(ctx, params["ApiId"], params[id_param], fields(params)))

        async def delete(ctx: RequestContext, params: Params) -> Output:
            await delete_op(ctx, params["ApiId"], params[id_param])
            return {}

        name = kind.capitalize()
        return {f"Create{name}": create, f"Get{name}": get, f"Get{name}s": get_all, f"Update{name}": update,
                f"Delete{name}": delete}  # fmt: skip

    async def create_stage(ctx: RequestContext, params: Params) -> Output:
        fields = _stage_fields(params)
        fields["tags"] = params.get("Tags", {})
        return _stage_out(await apis.create_stage(ctx, params["ApiId"], fields))

    async def get_stage(ctx: RequestContext, params: Params) -> Output:
        return _stage_out(await apis.part(ctx, params["ApiId"], STAGE, params["StageName"]))

    async def get_stages(ctx: RequestContext, params: Params) -> Output:
        return _page([_stage_out(s) for s in await apis.parts(ctx, params["ApiId"], STAGE)], params)

    async def update_stage(ctx: RequestContext, params: Params) -> Output:
        changes = _stage_fields(params)
        changes.pop("stage_name", None)
        if "RouteSettings" in params:  # merged into the stage's, as AWS does
            current = await apis.part(ctx, params["ApiId"], STAGE, params["StageName"])
            changes["route_settings"] = {**current.route_settings, **changes["route_settings"]}
        return _stage_out(await apis.update_stage(ctx, params["ApiId"], params["StageName"], changes))

    async def delete_stage(ctx: RequestContext, params: Params) -> Output:
        await apis.delete_stage(ctx, params["ApiId"], params["StageName"])
        return {}

    async def delete_route_settings(ctx: RequestContext, params: Params) -> Output:
        await apis.delete_route_settings(ctx, params["ApiId"], params["StageName"], params["RouteKey"])
        return {}

    async def delete_access_log_settings(ctx: RequestContext, params: Params) -> Output:
        await apis.update_stage(ctx, params["ApiId"], params["StageName"], {"access_log": None})
        return {}

    async def create_deployment(ctx: RequestContext, params: Params) -> Output:
        created = await apis.create_deployment(ctx, params["ApiId"], params.get("Description"), params.get("StageName"))
        return _deployment_out(created)

    async def get_deployment(ctx: RequestContext, params: Params) -> Output:
        return _deployment_out(await apis.part(ctx, params["ApiId"], DEPLOYMENT, params["DeploymentId"]))

    async def get_deployments(ctx: RequestContext, params: Params) -> Output:
        return _page([_deployment_out(d) for d in await apis.parts(ctx, params["ApiId"], DEPLOYMENT)], params)

    async def update_deployment(ctx: RequestContext, params: Params) -> Output:
        updated = await apis.update_deployment(ctx, params["ApiId"], params["DeploymentId"], params.get("Description"))
        return _deployment_out(updated)

    async def delete_deployment(ctx: RequestContext, params: Params) -> Output:
        await apis.delete_deployment(ctx, params["ApiId"], params["DeploymentId"])
        return {}

    return {
        "CreateApi": create_api,
        "ImportApi": import_api,
        "ReimportApi": reimport_api,
        "ExportApi": export_api,
        "GetApi": get_api,
        "GetApis": get_apis,
        "UpdateApi": update_api,
        "DeleteApi": delete_api,
        "DeleteCorsConfiguration": delete_cors,
        "TagResource": tag_resource,
        "UntagResource": untag_resource,
        "GetTags": get_tags,
        **crud(ROUTE, "RouteId", _route_out, _route_fields),
        **crud(INTEGRATION, "IntegrationId", _integration_out, _integration_fields),
        **crud(AUTHORIZER, "AuthorizerId", _authorizer_out, _authorizer_fields),
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
