"""API Gateway (v1, REST APIs) operations: botocore-named parameters in, RestApis called, outputs out.

Lists answer in one page (`items`), as AWS does for up to `limit` items; `position` is not needed
for the sizes a local API has. FlushStageCache calls the data plane's cache through `flush`,
FlushStageAuthorizersCache its authorizers' result cache through `flush_authorizers`;
GetUsage / UpdateUsage ask the quota counters (`usage`); without them those operations answer
AWS-shaped "not implemented".
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from overcast.api.services import Handler, OperationTable, Output, Params
from overcast.context import RequestContext
from overcast.errors import BadRequest, NotImplementedOperation
from overcast.gateway.deployed import Quota
from overcast.gateway.restapi import RestApis, definition, exports, openapi, resources, stages
from overcast.gateway.restapi.keys import key_view, quota_of
from overcast.gateway.restapi.patch import operations as patch_ops

Flush = Callable[[str, str], Awaitable[None]]


class Usage(Protocol):
    async def report(
        self, plan_id: str, key_ids: list[str], quota: Quota | None, start: datetime.date, end: datetime.date
    ) -> dict[str, list[list[int]]]: ...

    async def adjust_remaining(self, plan_id: str, key_id: str, quota: Quota, remaining: int) -> None: ...


def _date(text: str, name: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid {name} specified, must be in the format YYYY-MM-DD") from None


def operations(
    apis: RestApis, flush: Flush | None = None, usage: Usage | None = None, flush_authorizers: Flush | None = None
) -> OperationTable:
    keys = apis.keys

    def on_doc(fn: Callable[[dict[str, Any], Params], Any]) -> Handler:
        """A mutation of one API's document: the pure function runs inside RestApis.change."""

        async def handler(ctx: RequestContext, p: Params) -> Output:
            result = await apis.change(ctx, p["restApiId"], lambda doc: fn(doc, p))
            return dict(result) if isinstance(result, dict) else {}

        return handler

    def read_doc(fn: Callable[[dict[str, Any], Params], Any]) -> Handler:
        async def handler(ctx: RequestContext, p: Params) -> Output:
            result = fn(await apis.read(ctx, p["restApiId"]), p)
            return dict(result)

        return handler

    def ops(p: Params) -> list[Any]:
        return patch_ops(p.get("patchOperations"))

    # -- REST APIs
    async def create_rest_api(ctx: RequestContext, p: Params) -> Output:
        if p.get("cloneFrom"):
            source = await apis.read(ctx, p["cloneFrom"])
            return await apis.create(ctx, {}, definition.clone(source, p, apis.clock.now()))
        return await apis.create(ctx, p)

    # -- OpenAPI import and export
    async def import_rest_api(ctx: RequestContext, p: Params) -> Output:
        spec = openapi.parse(p.get("body") or b"")
        blank = definition.new_api({"name": "imported"}, "", apis.clock.now())
        doc, warnings = openapi.build(
            spec, blank, parameters=p.get("parameters"), fail_on_warnings=bool(p.get("failOnWarnings"))
        )
        api = await apis.create(ctx, {}, doc)
        return {**api, "warnings": warnings} if warnings else api

    async def put_rest_api(ctx: RequestContext, p: Params) -> Output:
        spec = openapi.parse(p.get("body") or b"")
        kw = {"mode": (p.get("mode") or "merge").lower(), "parameters": p.get("parameters"),
              "fail_on_warnings": bool(p.get("failOnWarnings"))}  # fmt: skip
        warnings = await apis.change(ctx, p["restApiId"], lambda doc: openapi.put(doc, spec, **kw))
        api = (await apis.read(ctx, p["restApiId"]))["api"]
        return {**api, "warnings": warnings} if warnings else api

    async def get_export(ctx: RequestContext, p: Params) -> Output:
        wanted = exports.extensions(p.get("parameters"))
        doc, stage, deployment = await apis.stage_deployment(ctx, p["restApiId"], p["stageName"])
        export_type = p["exportType"]
        found = exports.export(
            doc["api"], stage, deployment["frozen"], deployment["createdDate"], ctx.region, export_type, wanted
        )
        body, suffix = exports.render(found, p.get("accepts"))
        name = f"{export_type}_{exports.iso(deployment['createdDate'])}.{suffix}"
        return {
            "contentType": "application/octet-stream",
            "contentDisposition": f'attachment; filename="{name}"',
            "body": body,
        }

    async def get_rest_apis(ctx: RequestContext, p: Params) -> Output:
        return {"items": await apis.all(ctx)}

    async def delete_rest_api(ctx: RequestContext, p: Params) -> Output:
        await apis.delete(ctx, p["restApiId"])
        return {}

    # -- resources
    def embeds(p: Params) -> bool:
        return "methods" in (p.get("embed") or [])

    async def get_resources(ctx: RequestContext, p: Params) -> Output:
        doc = await apis.read(ctx, p["restApiId"])
        items = sorted(doc["resources"].values(), key=lambda r: r["path"])
        return {"items": [resources.view(r, embeds(p)) for r in items]}

    # -- deployments and stages
    async def create_deployment(ctx: RequestContext, p: Params) -> Output:
        return await apis.create_deployment(ctx, p["restApiId"], p)

    async def get_deployment(ctx: RequestContext, p: Params) -> Output:
        dep = await apis.deployment(ctx, p["restApiId"], p["deploymentId"])
        if "apisummary" not in [e.lower() for e in p.get("embed") or []]:
            dep.pop("apiSummary", None)
        return dep

    async def get_deployments(ctx: RequestContext, p: Params) -> Output:
        return {"items": await apis.deployments(ctx, p["restApiId"])}

    async def update_deployment(ctx: RequestContext, p: Params) -> Output:
        return await apis.update_deployment(ctx, p["restApiId"], p["deploymentId"], ops(p))

    async def delete_deployment(ctx: RequestContext, p: Params) -> Output:
        await apis.delete_deployment(ctx, p["restApiId"], p["deploymentId"])
        return {}

    async def create_stage(ctx: RequestContext, p: Params) -> Output:
        return await apis.create_stage(ctx, p["restApiId"], p)

    async def get_stages(ctx: RequestContext, p: Params) -> Output:
        doc = await apis.read(ctx, p["restApiId"])
        found = [
            s for s in doc["stages"].values() if not p.get("deploymentId") or s["deploymentId"] == p["deploymentId"]
        ]
        return {"item": found}

    async def update_stage(ctx: RequestContext, p: Params) -> Output:
        return await apis.update_stage(ctx, p["restApiId"], p["stageName"], ops(p))

    async def flush_stage_cache(ctx: RequestContext, p: Params) -> Output:
        stages.stage(await apis.read(ctx, p["restApiId"]), p["stageName"])
        if flush is None:
            raise NotImplementedOperation("Stage caches are not available in this Overcast")
        await flush(p["restApiId"], p["stageName"])
        return {}

    async def flush_authorizers_cache(ctx: RequestContext, p: Params) -> Output:
        stages.stage(await apis.read(ctx, p["restApiId"]), p["stageName"])
        if flush_authorizers is None:
            raise NotImplementedOperation("Authorizer caches are not available in this Overcast")
        await flush_authorizers(p["restApiId"], p["stageName"])
        return {}

    # -- gateway responses
    async def get_gateway_responses(ctx: RequestContext, p: Params) -> Output:
        return {"items": definition.gateway_responses(await apis.read(ctx, p["restApiId"]))}

    # -- tags
    async def tag_resource(ctx: RequestContext, p: Params) -> Output:
        await apis.tag(ctx, p["resourceArn"], dict(p.get("tags") or {}), [])
        return {}

    async def untag_resource(ctx: RequestContext, p: Params) -> Output:
        await apis.tag(ctx, p["resourceArn"], {}, list(p.get("tagKeys") or []))
        return {}

    async def get_tags(ctx: RequestContext, p: Params) -> Output:
        return {"tags": await apis.tags(ctx, p["resourceArn"])}

    # -- API keys
    async def create_api_key(ctx: RequestContext, p: Params) -> Output:
        return await keys.create_key(ctx, p)

    async def get_api_key(ctx: RequestContext, p: Params) -> Output:
        return key_view(await keys.key(ctx, p["apiKey"]), bool(p.get("includeValue")))

    async def get_api_keys(ctx: RequestContext, p: Params) -> Output:
        found = await keys.keys(ctx, p.get("nameQuery"), p.get("customerId"))
        return {"items": [key_view(k, bool(p.get("includeValues"))) for k in found]}

    async def update_api_key(ctx: RequestContext, p: Params) -> Output:
        return key_view(await keys.update_key(ctx, p["apiKey"], ops(p)), False)

    async def delete_api_key(ctx: RequestContext, p: Params) -> Output:
        await keys.delete_key(ctx, p["apiKey"])
        return {}

    # -- usage plans and their keys
    async def create_usage_plan(ctx: RequestContext, p: Params) -> Output:
        return await keys.create_plan(ctx, p)

    async def get_usage_plan(ctx: RequestContext, p: Params) -> Output:
        return await keys.plan(ctx, p["usagePlanId"])

    async def get_usage_plans(ctx: RequestContext, p: Params) -> Output:
        return {"items": await keys.plans(ctx, p.get("keyId"))}

    async def update_usage_plan(ctx: RequestContext, p: Params) -> Output:
        return await keys.update_plan(ctx, p["usagePlanId"], ops(p))

    async def delete_usage_plan(ctx: RequestContext, p: Params) -> Output:
        await keys.delete_plan(ctx, p["usagePlanId"])
        return {}

    async def create_usage_plan_key(ctx: RequestContext, p: Params) -> Output:
        return await keys.create_plan_key(ctx, p["usagePlanId"], p["keyId"], p.get("keyType", ""))

    async def get_usage_plan_key(ctx: RequestContext, p: Params) -> Output:
        return await keys.plan_key(ctx, p["usagePlanId"], p["keyId"])

    async def get_usage_plan_keys(ctx: RequestContext, p: Params) -> Output:
        return {"items": await keys.plan_keys(ctx, p["usagePlanId"], p.get("nameQuery"))}

    async def delete_usage_plan_key(ctx: RequestContext, p: Params) -> Output:
        await keys.delete_plan_key(ctx, p["usagePlanId"], p["keyId"])
        return {}

    async def get_usage(ctx: RequestContext, p: Params) -> Output:
        if usage is None:
            raise NotImplementedOperation(
                "The operation GetUsage of service apigateway is not implemented in Overcast yet"
            )
        plan = await keys.plan(ctx, p["usagePlanId"])
        start, end = _date(p.get("startDate", ""), "start date"), _date(p.get("endDate", ""), "end date")
        if end < start:
            raise BadRequest("The end date must not be before the start date")
        key_ids = [k["id"] for k in await keys.plan_keys(ctx, plan["id"])]
        if p.get("keyId"):
            key_ids = [k for k in key_ids if k == p["keyId"]]
        items = await usage.report(plan["id"], key_ids, quota_of(plan), start, end)
        return {"usagePlanId": plan["id"], "startDate": start.isoformat(), "endDate": end.isoformat(), "items": items}

    async def update_usage(ctx: RequestContext, p: Params) -> Output:
        if usage is None:
            raise NotImplementedOperation(
                "The operation UpdateUsage of service apigateway is not implemented in Overcast yet"
            )
        plan = await keys.plan(ctx, p["usagePlanId"])
        await keys.plan_key(ctx, plan["id"], p["keyId"])
        quota = quota_of(plan)
        if quota is None:
            raise BadRequest("Usage plan has no quota to update")
        remaining = None
        for op in ops(p):
            if op.op != "replace" or op.path != "/remaining" or op.value is None or not op.value.isdigit():
                raise BadRequest(
                    f"Invalid patch operation: only replace /remaining with a number is supported ({op.path})"
                )
            remaining = int(op.value)
        if remaining is not None:
            await usage.adjust_remaining(plan["id"], p["keyId"], quota, remaining)
        today = datetime.datetime.fromtimestamp(apis.clock.now(), datetime.UTC).date()
        items = await usage.report(plan["id"], [p["keyId"]], quota, today, today)
        return {"usagePlanId": plan["id"], "startDate": today.isoformat(), "endDate": today.isoformat(), "items": items}

    R = resources  # the pure document functions, each behind on_doc / read_doc
    D = definition
    table: OperationTable = {
        "CreateRestApi": create_rest_api,
        "GetRestApi": read_doc(lambda doc, p: doc["api"]),
        "GetRestApis": get_rest_apis,
        "UpdateRestApi": on_doc(lambda doc, p: D.update_api(doc, ops(p))),
        "DeleteRestApi": delete_rest_api,
        "ImportRestApi": import_rest_api,
        "PutRestApi": put_rest_api,
        "GetExport": get_export,
        "CreateResource": on_doc(lambda doc, p: R.create_resource(doc, p["parentId"], p.get("pathPart", ""))),
        "GetResource": read_doc(lambda doc, p: R.view(R.resource(doc, p["resourceId"]), embeds(p))),
        "GetResources": get_resources,
        "UpdateResource": on_doc(lambda doc, p: R.view(R.update_resource(doc, p["resourceId"], ops(p)), True)),
        "DeleteResource": on_doc(lambda doc, p: R.delete_resource(doc, p["resourceId"])),
        "PutMethod": on_doc(lambda doc, p: R.put_method(doc, p["resourceId"], p)),
        "GetMethod": read_doc(lambda doc, p: R.method(doc, p["resourceId"], p["httpMethod"])),
        "UpdateMethod": on_doc(lambda doc, p: R.update_method(doc, p["resourceId"], p["httpMethod"], ops(p))),
        "DeleteMethod": on_doc(lambda doc, p: R.delete_method(doc, p["resourceId"], p["httpMethod"])),
        "PutIntegration": on_doc(lambda doc, p: R.put_integration(doc, p["resourceId"], p["httpMethod"], p)),
        "GetIntegration": read_doc(lambda doc, p: R.integration(doc, p["resourceId"], p["httpMethod"])),
        "UpdateIntegration": on_doc(lambda doc, p: R.update_integration(doc, p["resourceId"], p["httpMethod"], ops(p))),
        "DeleteIntegration": on_doc(lambda doc, p: R.delete_integration(doc, p["resourceId"], p["httpMethod"])),
        "PutIntegrationResponse": on_doc(
            lambda doc, p: R.put_integration_response(doc, p["resourceId"], p["httpMethod"], p)
        ),
        "GetIntegrationResponse": read_doc(
            lambda doc, p: R.integration_response(doc, p["resourceId"], p["httpMethod"], p["statusCode"])
        ),
        "UpdateIntegrationResponse": on_doc(
            lambda doc, p: R.update_integration_response(doc, p["resourceId"], p["httpMethod"], p["statusCode"], ops(p))
        ),
        "DeleteIntegrationResponse": on_doc(
            lambda doc, p: R.delete_integration_response(doc, p["resourceId"], p["httpMethod"], p["statusCode"])
        ),
        "PutMethodResponse": on_doc(lambda doc, p: R.put_method_response(doc, p["resourceId"], p["httpMethod"], p)),
        "GetMethodResponse": read_doc(
            lambda doc, p: R.method_response(doc, p["resourceId"], p["httpMethod"], p["statusCode"])
        ),
        "UpdateMethodResponse": on_doc(
            lambda doc, p: R.update_method_response(doc, p["resourceId"], p["httpMethod"], p["statusCode"], ops(p))
        ),
        "DeleteMethodResponse": on_doc(
            lambda doc, p: R.delete_method_response(doc, p["resourceId"], p["httpMethod"], p["statusCode"])
        ),
        "CreateDeployment": create_deployment,
        "GetDeployment": get_deployment,
        "GetDeployments": get_deployments,
        "UpdateDeployment": update_deployment,
        "DeleteDeployment": delete_deployment,
        "CreateStage": create_stage,
        "GetStage": read_doc(lambda doc, p: stages.stage(doc, p["stageName"])),
        "GetStages": get_stages,
        "UpdateStage": update_stage,
        "DeleteStage": on_doc(lambda doc, p: stages.delete_stage(doc, p["stageName"])),
        "FlushStageCache": flush_stage_cache,
        "FlushStageAuthorizersCache": flush_authorizers_cache,
        "CreateAuthorizer": on_doc(lambda doc, p: D.create_authorizer(doc, p)),
        "GetAuthorizer": read_doc(lambda doc, p: D.authorizer(doc, p["authorizerId"])),
        "GetAuthorizers": read_doc(lambda doc, p: {"items": list(doc["authorizers"].values())}),
        "UpdateAuthorizer": on_doc(lambda doc, p: D.update_authorizer(doc, p["authorizerId"], ops(p))),
        "DeleteAuthorizer": on_doc(lambda doc, p: D.delete_authorizer(doc, p["authorizerId"])),
        "PutGatewayResponse": on_doc(lambda doc, p: D.put_gateway_response(doc, p["responseType"], p)),
        "GetGatewayResponse": read_doc(lambda doc, p: D.gateway_response(doc, p["responseType"])),
        "GetGatewayResponses": get_gateway_responses,
        "UpdateGatewayResponse": on_doc(lambda doc, p: D.update_gateway_response(doc, p["responseType"], ops(p))),
        "DeleteGatewayResponse": on_doc(lambda doc, p: D.delete_gateway_response(doc, p["responseType"])),
        "TagResource": tag_resource,
        "UntagResource": untag_resource,
        "GetTags": get_tags,
        "CreateApiKey": create_api_key,
        "GetApiKey": get_api_key,
        "GetApiKeys": get_api_keys,
        "UpdateApiKey": update_api_key,
        "DeleteApiKey": delete_api_key,
        "CreateUsagePlan": create_usage_plan,
        "GetUsagePlan": get_usage_plan,
        "GetUsagePlans": get_usage_plans,
        "UpdateUsagePlan": update_usage_plan,
        "DeleteUsagePlan": delete_usage_plan,
        "CreateUsagePlanKey": create_usage_plan_key,
        "GetUsagePlanKey": get_usage_plan_key,
        "GetUsagePlanKeys": get_usage_plan_keys,
        "DeleteUsagePlanKey": delete_usage_plan_key,
        "GetUsage": get_usage,
        "UpdateUsage": update_usage,
    }
    return table
