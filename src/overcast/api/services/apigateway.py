"""API Gateway (v1, REST APIs) operations: botocore-named parameters in, RestApis called, outputs out.

Rules and errors live in `overcast.apis.restapi`; the wire shapes in `apigateway_wire`; the
operations on resources and methods in `apigateway_methods`, on API keys, usage plans and usage in
`apigateway_keys`, on models and request validators in `apigateway_models`, TestInvokeMethod in
`apigateway_invoke`. Get* lists page through the kit (`limit`, `position`).
FlushStageCache calls the data plane's cache through `flush`, FlushStageAuthorizersCache its
authorizers' result cache through `flush_authorizers`; GetUsage / UpdateUsage ask the quota counters
(`usage`); without them those operations answer AWS-shaped "not implemented".
https://docs.aws.amazon.com/apigateway/latest/api/API_Operations.html
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.api.services.apigateway_invoke import INVOKE_HANDLERS, TestInvoke
from overcast.api.services.apigateway_keys import KEY_HANDLERS
from overcast.api.services.apigateway_methods import METHOD_HANDLERS
from overcast.api.services.apigateway_models import MODEL_HANDLERS
from overcast.api.services.apigateway_wire import deployment, embeds, into, ops, out, page, tagged
from overcast.apis import documentation
from overcast.apis.deployed import Quota
from overcast.apis.documentation import DocumentationVersion
from overcast.apis.restapi import RestApis, definition, exports, openapi, stages
from overcast.apis.restapi.pages import page_in_memory
from overcast.apis.restapi.records import (
    Authorizer,
    EndpointConfiguration,
    GatewayResponse,
    RestApi,
)
from overcast.apis.restapi.stages import StageRequest
from overcast.apis.restapi.tags import api_arn, stage_arn
from overcast.context import RequestContext
from overcast.errors import NotImplementedOperation

Flush = Callable[[str, str], Awaitable[None]]
# A REST API's documentation version (None: there is none by that name), for GetExport's documentation extension.
DocumentationOf = Callable[[RequestContext, str, str], Awaitable[DocumentationVersion | None]]


class Usage(Protocol):
    async def report(
        self, plan_id: str, key_ids: list[str], quota: Quota | None, start: datetime.date, end: datetime.date
    ) -> dict[str, list[list[int]]]: ...

    async def adjust_remaining(self, plan_id: str, key_id: str, quota: Quota, remaining: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Services:
    """What the operations call: the control plane, and the data plane's hooks some operations need."""

    apis: RestApis
    flush: Flush | None = None
    usage: Usage | None = None
    flush_authorizers: Flush | None = None
    test_invoke: TestInvoke | None = None
    documentation: DocumentationOf | None = None


# -- REST APIs -------------------------------------------------------------------------------------


def _api_attributes(p: Params) -> dict[str, object]:
    """CreateRestApi's parameters as RestApi fields (None: not given)."""
    endpoint = p.get("endpointConfiguration")
    return {
        "name": p.get("name"),
        "description": p.get("description"),
        "version": p.get("version"),
        "binary_media_types": tuple(p["binaryMediaTypes"]) if p.get("binaryMediaTypes") else None,
        "minimum_compression_size": p.get("minimumCompressionSize"),
        "api_key_source": p.get("apiKeySource") or None,
        "endpoint_configuration": into(EndpointConfiguration, endpoint) if endpoint else None,
        "policy": p.get("policy"),
        "disable_execute_api_endpoint": p.get("disableExecuteApiEndpoint"),
    }


async def _api_out(s: Services, ctx: RequestContext, api: RestApi, warnings: list[str] | None = None) -> Output:
    return tagged(api, await s.apis.tags_of(api_arn(ctx.region, api.id)), warnings=warnings)


async def create_rest_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    attributes = _api_attributes(p)
    if p.get("cloneFrom"):
        made = definition.clone(await s.apis.read(ctx, p["cloneFrom"]), attributes)
    else:
        made = definition.new_api(attributes)
    return await _api_out(s, ctx, await s.apis.create(ctx, made, p.get("tags") or {}))


async def get_rest_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _api_out(s, ctx, (await s.apis.read(ctx, p["restApiId"])).api)


async def get_rest_apis(s: Services, ctx: RequestContext, p: Params) -> Output:
    found, position = await s.apis.page(ctx, p.get("limit"), p.get("position"))
    return page([await _api_out(s, ctx, api) for api in found], position)


async def update_rest_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    api = await s.apis.change(ctx, p["restApiId"], lambda d: definition.update_api(d, ops(p)))
    return await _api_out(s, ctx, api)


async def delete_rest_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.delete(ctx, p["restApiId"])
    return {}


# -- OpenAPI import and export ---------------------------------------------------------------------


async def import_rest_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    spec = openapi.parse(p.get("body") or b"")
    made, warnings = openapi.build(
        spec, definition.new_api({"name": "imported"}), parameters=p.get("parameters"),
        fail_on_warnings=bool(p.get("failOnWarnings")),
    )  # fmt: skip
    return await _api_out(s, ctx, await s.apis.create(ctx, made, {}), warnings)


async def put_rest_api(s: Services, ctx: RequestContext, p: Params) -> Output:
    spec = openapi.parse(p.get("body") or b"")
    mode, parameters, strict = (p.get("mode") or "merge").lower(), p.get("parameters"), bool(p.get("failOnWarnings"))
    warnings = await s.apis.change(
        ctx, p["restApiId"], lambda d: openapi.build(spec, d, mode=mode, parameters=parameters, fail_on_warnings=strict)
    )
    return await _api_out(s, ctx, (await s.apis.read(ctx, p["restApiId"])).api, warnings)


async def get_export(s: Services, ctx: RequestContext, p: Params) -> Output:
    wanted = exports.extensions(p.get("parameters"))
    d, stage, dep, frozen = await s.apis.deployments.serving(ctx, p["restApiId"], p["stageName"])
    export_type = p["exportType"]
    found = exports.export(d.api, stage, frozen, dep.created_date, ctx.region, export_type, wanted)
    if "documentation" in wanted and stage.documentation_version and s.documentation is not None:
        version = await s.documentation(ctx, p["restApiId"], stage.documentation_version)
        if version is not None:  # the stage's version, written back as the extension it is imported from
            found[documentation.EXTENSION] = documentation.exported(version)
    body, suffix = exports.render(found, p.get("accepts"))
    name = f"{export_type}_{exports.iso(dep.created_date)}.{suffix}"
    return {
        "contentType": "application/octet-stream",
        "contentDisposition": f'attachment; filename="{name}"',
        "body": body,
    }


# -- deployments and stages ------------------------------------------------------------------------


def _stage_request(p: Params, description: str | None) -> StageRequest:
    return StageRequest(
        description=description,
        cache_cluster_enabled=p.get("cacheClusterEnabled"),
        cache_cluster_size=p.get("cacheClusterSize"),
        variables=p.get("variables"),
        documentation_version=p.get("documentationVersion"),
        tracing_enabled=p.get("tracingEnabled"),
    )


async def create_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    asked = _stage_request(p, p.get("stageDescription"))
    made = await s.apis.deployments.create(ctx, p["restApiId"], p.get("description"), p.get("stageName"), asked)
    return deployment(made)


async def get_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    found, frozen = await s.apis.deployments.get(ctx, p["restApiId"], p["deploymentId"])
    return deployment(found, frozen if embeds(p, "apisummary") else None)


async def get_deployments(s: Services, ctx: RequestContext, p: Params) -> Output:
    found, position = await s.apis.deployments.page(ctx, p["restApiId"], p.get("limit"), p.get("position"))
    return page([deployment(dep) for dep in found], position)


async def update_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    return deployment(await s.apis.deployments.update(ctx, p["restApiId"], p["deploymentId"], ops(p)))


async def delete_deployment(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.deployments.delete(ctx, p["restApiId"], p["deploymentId"])
    return {}


async def _stage_out(s: Services, ctx: RequestContext, api_id: str, stage: stages.Stage) -> Output:
    return tagged(stage, await s.apis.tags_of(stage_arn(ctx.region, api_id, stage.stage_name)))


async def create_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    made = await s.apis.create_stage(
        ctx, p["restApiId"], p.get("stageName") or "", p.get("deploymentId") or "",
        _stage_request(p, p.get("description")), p.get("tags") or {},
    )  # fmt: skip
    return await _stage_out(s, ctx, p["restApiId"], made)


async def get_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    found = stages.stage(await s.apis.read(ctx, p["restApiId"]), p["stageName"])
    return await _stage_out(s, ctx, p["restApiId"], found)


async def get_stages(s: Services, ctx: RequestContext, p: Params) -> Output:
    d = await s.apis.read(ctx, p["restApiId"])
    wanted = p.get("deploymentId")
    found = [st for st in d.stages.values() if not wanted or st.deployment_id == wanted]
    return {"item": [await _stage_out(s, ctx, p["restApiId"], st) for st in found]}


async def update_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    changed = await s.apis.update_stage(ctx, p["restApiId"], p["stageName"], ops(p))
    return await _stage_out(s, ctx, p["restApiId"], changed)


async def delete_stage(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.delete_stage(ctx, p["restApiId"], p["stageName"])
    return {}


async def _flush(s: Services, ctx: RequestContext, p: Params, hook: Flush | None, caches: str) -> Output:
    stages.stage(await s.apis.read(ctx, p["restApiId"]), p["stageName"])
    if hook is None:
        raise NotImplementedOperation(f"{caches} are not available in this Overcast")
    await hook(p["restApiId"], p["stageName"])
    return {}


async def flush_stage_cache(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _flush(s, ctx, p, s.flush, "Stage caches")


async def flush_stage_authorizers_cache(s: Services, ctx: RequestContext, p: Params) -> Output:
    return await _flush(s, ctx, p, s.flush_authorizers, "Authorizer caches")


# -- authorizers and gateway responses -------------------------------------------------------------


async def create_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = into(Authorizer, {**p, "id": "", "name": p.get("name") or "", "type": p.get("type") or ""})
    return out(await s.apis.change(ctx, p["restApiId"], lambda d: definition.create_authorizer(d, requested)))


async def get_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(definition.authorizer(await s.apis.read(ctx, p["restApiId"]), p["authorizerId"]))


async def get_authorizers(s: Services, ctx: RequestContext, p: Params) -> Output:
    d = await s.apis.read(ctx, p["restApiId"])
    found, position = page_in_memory(
        ctx, list(d.authorizers.values()), lambda a: a.id, p.get("limit"), p.get("position"), p["restApiId"]
    )
    return page([out(a) for a in found], position)


async def update_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(
        await s.apis.change(ctx, p["restApiId"], lambda d: definition.update_authorizer(d, p["authorizerId"], ops(p)))
    )


async def delete_authorizer(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.change(ctx, p["restApiId"], lambda d: definition.delete_authorizer(d, p["authorizerId"]))
    return {}


async def put_gateway_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    requested = into(GatewayResponse, p)
    return out(await s.apis.change(ctx, p["restApiId"], lambda d: definition.put_gateway_response(d, requested)))


async def get_gateway_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(definition.gateway_response(await s.apis.read(ctx, p["restApiId"]), p["responseType"]))


async def get_gateway_responses(s: Services, ctx: RequestContext, p: Params) -> Output:
    every = definition.gateway_responses(await s.apis.read(ctx, p["restApiId"]))
    found, position = page_in_memory(
        ctx, every, lambda r: r.response_type, p.get("limit"), p.get("position"), p["restApiId"]
    )
    return page([out(r) for r in found], position)


async def update_gateway_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    return out(
        await s.apis.change(
            ctx, p["restApiId"], lambda d: definition.update_gateway_response(d, p["responseType"], ops(p))
        )
    )


async def delete_gateway_response(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.change(ctx, p["restApiId"], lambda d: definition.delete_gateway_response(d, p["responseType"]))
    return {}


# -- tags ------------------------------------------------------------------------------------------


async def tag_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.tagging.tag(ctx, p["resourceArn"], p.get("tags") or {})
    return {}


async def untag_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.apis.tagging.untag(ctx, p["resourceArn"], p.get("tagKeys") or [])
    return {}


async def get_tags(s: Services, ctx: RequestContext, p: Params) -> Output:
    # GetTags takes limit and position but answers in one page: "(Not currently supported)" on AWS too.
    return {"tags": await s.apis.tagging.tags(ctx, p["resourceArn"])}


HANDLERS: dict[str, Unbound[Services]] = {
    "CreateRestApi": create_rest_api,
    "GetRestApi": get_rest_api,
    "GetRestApis": get_rest_apis,
    "UpdateRestApi": update_rest_api,
    "DeleteRestApi": delete_rest_api,
    "ImportRestApi": import_rest_api,
    "PutRestApi": put_rest_api,
    "GetExport": get_export,
    "CreateDeployment": create_deployment,
    "GetDeployment": get_deployment,
    "GetDeployments": get_deployments,
    "UpdateDeployment": update_deployment,
    "DeleteDeployment": delete_deployment,
    "CreateStage": create_stage,
    "GetStage": get_stage,
    "GetStages": get_stages,
    "UpdateStage": update_stage,
    "DeleteStage": delete_stage,
    "FlushStageCache": flush_stage_cache,
    "FlushStageAuthorizersCache": flush_stage_authorizers_cache,
    "CreateAuthorizer": create_authorizer,
    "GetAuthorizer": get_authorizer,
    "GetAuthorizers": get_authorizers,
    "UpdateAuthorizer": update_authorizer,
    "DeleteAuthorizer": delete_authorizer,
    "PutGatewayResponse": put_gateway_response,
    "GetGatewayResponse": get_gateway_response,
    "GetGatewayResponses": get_gateway_responses,
    "UpdateGatewayResponse": update_gateway_response,
    "DeleteGatewayResponse": delete_gateway_response,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "GetTags": get_tags,
    **METHOD_HANDLERS,
    **KEY_HANDLERS,
    **MODEL_HANDLERS,
    **INVOKE_HANDLERS,
}


def operations(
    apis: RestApis,
    flush: Flush | None = None,
    usage: Usage | None = None,
    flush_authorizers: Flush | None = None,
    test_invoke: TestInvoke | None = None,
    documentation: DocumentationOf | None = None,
) -> OperationTable:
    """The API Gateway (v1) operation table over the REST API control plane and the data plane's hooks."""
    return bind(HANDLERS, Services(apis, flush, usage, flush_authorizers, test_invoke, documentation))
