"""API Gateway v2 (HTTP API) operations: botocore-named parameters in, HttpApis called, botocore-named outputs out.

The wire names (ApiId, RouteKey, ...) live only in `apigatewayv2*.py`: APIs, OpenAPI and tags here, an
API's parts in `apigatewayv2_parts`, the shapes of records in `apigatewayv2_shapes`; rules and errors
live in `overcast.apis.httpapi`.
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/resources.html
"""

from __future__ import annotations

from overcast.api.services import OperationTable, Output, Params, Unbound, apigatewayv2_parts, bind
from overcast.api.services.apigatewayv2_shapes import (
    API_MEMBERS,
    Services,
    api_out,
    cors_in,
    fields_of,
    page_out,
    page_size,
)
from overcast.apis.httpapi import HttpApis, openapi
from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi.websockets import WEBSOCKET
from overcast.apis.restapi.exports import render as render_definition
from overcast.apis.restapi.openapi import parse as parse_openapi
from overcast.context import RequestContext
from overcast.errors import BadRequest

# -- APIs ----------------------------------------------------------------------------------------


async def create_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    fields = fields_of(p, API_MEMBERS)
    if "CorsConfiguration" in p:
        fields["cors"] = cors_in(p["CorsConfiguration"])
    if p["ProtocolType"] == WEBSOCKET:
        fields.setdefault("route_selection_expression", "")  # required: the domain says so
    draft = rec.Api("", "", "", created=0.0, protocol_type=p["ProtocolType"], **fields)
    created = await s.apis.create_api(ctx, draft, p.get("Tags"), target=p.get("Target"), route_key=p.get("RouteKey"))
    return api_out(s, created)


async def get_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    return api_out(s, await s.apis.api(ctx, p["ApiId"]))


async def get_apis(s: Services, ctx: RequestContext, p: Params) -> Output:
    found, token = await s.apis.apis(ctx, page_size(p), p.get("NextToken"))
    return page_out([api_out(s, a) for a in found], token)


async def update_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    if "Target" in p or "RouteKey" in p or "CredentialsArn" in p:
        raise BadRequest("Updating a quick create Target, RouteKey or CredentialsArn is not supported by Overcast yet.")
    changes = fields_of(p, API_MEMBERS)
    if "CorsConfiguration" in p:
        changes["cors"] = cors_in(p["CorsConfiguration"])
    return api_out(s, await s.apis.update_api(ctx, p["ApiId"], changes))


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
    return _with_warnings(api_out(s, await s.apis.import_api(ctx, definition)), definition)


async def reimport_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    definition = _imported(s, p)
    return _with_warnings(api_out(s, await s.apis.reimport_api(ctx, p["ApiId"], definition)), definition)


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
    **apigatewayv2_parts.HANDLERS,
}


def operations(apis: HttpApis) -> OperationTable:
    """The apigatewayv2 operation table over the HTTP API control plane's services."""
    services = Services(apis, apis.parts, apis.stages, apis.tagging, apis.endpoint)
    return bind(HANDLERS, services)
