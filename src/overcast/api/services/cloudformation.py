"""CloudFormation operations (query protocol): botocore-named parameters in, the stacks service called, outputs out.

Rules and errors live in `overcast.templates`; only the wire names live here.
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Operations.html
"""

from __future__ import annotations

from typing import Any

from overcast.api.services import OperationTable, Output, Params, Unbound, bind, cloudformation_change_sets
from overcast.api.services.cloudformation_wire import NOT_CHECKED, Services, parameters_out, present, request_of
from overcast.context import RequestContext
from overcast.kit import tags
from overcast.templates import document, graph, parameters, plan
from overcast.templates.change_sets import ChangeSets
from overcast.templates.errors import TemplateValidationError
from overcast.templates.records import Stack, StackResource
from overcast.templates.stacks import Stacks


def _stack_out(s: Stack) -> Output:
    return present(
        {
            "StackId": s.id,
            "StackName": s.name,
            "Description": s.description,
            "Parameters": parameters_out(s.shown_parameters),
            "CreationTime": s.created,
            "LastUpdatedTime": s.updated,
            "DeletionTime": s.deleted,
            "StackStatus": s.status,
            "StackStatusReason": s.status_reason,
            "DisableRollback": s.disable_rollback,
            "NotificationARNs": list(s.notification_arns),
            "Capabilities": list(s.capabilities),
            "Outputs": [
                present(
                    {
                        "OutputKey": o.key,
                        "OutputValue": o.value,
                        "Description": o.description,
                        "ExportName": o.export_name,
                    }
                )
                for o in s.outputs
            ],
            "Tags": tags.to_pairs(s.tags),
            "EnableTerminationProtection": False,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }
    )


def _resource_out(s: Stack, r: StackResource, time_key: str) -> Output:
    return present(
        {
            "StackName": s.name,
            "StackId": s.id,
            "LogicalResourceId": r.logical_id,
            "PhysicalResourceId": r.physical_id,
            "ResourceType": r.type,
            time_key: r.updated,
            "ResourceStatus": r.status,
            "ResourceStatusReason": r.status_reason,
            "DriftInformation": NOT_CHECKED,
        }
    )


async def create_stack(s: Services, ctx: RequestContext, p: Params) -> Output:
    return {"StackId": await s.stacks.create_stack(ctx, p["StackName"], request_of(p))}


async def update_stack(s: Services, ctx: RequestContext, p: Params) -> Output:
    return {"StackId": await s.stacks.update_stack(ctx, p["StackName"], request_of(p))}


async def delete_stack(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.stacks.delete_stack(ctx, p["StackName"])
    return {}


async def describe_stacks(s: Services, ctx: RequestContext, p: Params) -> Output:
    name = p.get("StackName")
    if name:
        return {"Stacks": [_stack_out(await s.stacks.stack(ctx, name))]}
    return {"Stacks": [_stack_out(stack) for stack in await s.stacks.stacks(ctx) if stack.deleted is None]}


async def list_stacks(s: Services, ctx: RequestContext, p: Params) -> Output:
    summaries = [
        present(
            {
                "StackId": stack.id,
                "StackName": stack.name,
                "TemplateDescription": stack.description,
                "CreationTime": stack.created,
                "LastUpdatedTime": stack.updated,
                "DeletionTime": stack.deleted,
                "StackStatus": stack.status,
                "StackStatusReason": stack.status_reason,
                "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
            }
        )
        for stack in await s.stacks.stacks(ctx, p.get("StackStatusFilter") or ())
    ]
    return {"StackSummaries": summaries}


async def describe_stack_events(s: Services, ctx: RequestContext, p: Params) -> Output:
    events = [
        present(
            {
                "StackId": e.stack_id,
                "EventId": e.event_id,
                "StackName": e.stack_name,
                "LogicalResourceId": e.logical_id,
                "PhysicalResourceId": e.physical_id,
                "ResourceType": e.type,
                "Timestamp": e.timestamp,
                "ResourceStatus": e.status,
                "ResourceStatusReason": e.status_reason,
                "ResourceProperties": e.properties,
            }
        )
        for e in await s.stacks.events(ctx, p["StackName"])
    ]
    return {"StackEvents": events}


async def describe_stack_resource(s: Services, ctx: RequestContext, p: Params) -> Output:
    stack, row = await s.stacks.resource(ctx, p["StackName"], p["LogicalResourceId"])
    return {"StackResourceDetail": _resource_out(stack, row, "LastUpdatedTimestamp")}


async def describe_stack_resources(s: Services, ctx: RequestContext, p: Params) -> Output:
    name = p.get("StackName")
    if not name and not p.get("PhysicalResourceId"):
        raise TemplateValidationError("Either StackName or PhysicalResourceId must be specified")  # (a guess)
    if not name:
        name = (await s.stacks.holding(ctx, p["PhysicalResourceId"])).id
    stack, rows = await s.stacks.resources(ctx, name)
    logical = p.get("LogicalResourceId")
    return {
        "StackResources": [
            _resource_out(stack, row, "Timestamp") for row in rows if logical is None or row.logical_id == logical
        ]
    }


async def list_stack_resources(s: Services, ctx: RequestContext, p: Params) -> Output:
    stack, rows = await s.stacks.resources(ctx, p["StackName"])
    out = []
    for row in rows:
        item = _resource_out(stack, row, "LastUpdatedTimestamp")
        del item["StackName"], item["StackId"]
        out.append(item)
    return {"StackResourceSummaries": out}


async def get_template(s: Services, ctx: RequestContext, p: Params) -> Output:
    stage = p.get("TemplateStage")
    if p.get("ChangeSetName"):
        change_set = await s.change_sets.get(ctx, p["ChangeSetName"], p.get("StackName"))
        return {"TemplateBody": change_set.template_body, "StagesAvailable": ["Original", "Processed"]}
    if not p.get("StackName"):
        raise TemplateValidationError("Either StackName or ChangeSetName must be specified")  # (a guess)
    body, stages = await s.stacks.template_of(ctx, p["StackName"], stage)
    return {"TemplateBody": body, "StagesAvailable": stages}


def _parameters_declared(template: dict[str, Any], summary: bool) -> list[Output]:
    out = []
    for key, d in parameters.declarations(template).items():
        item: dict[str, Any] = {
            "ParameterKey": key,
            "DefaultValue": None if "Default" not in d else parameters.text(d["Default"]),
            "NoEcho": str(d.get("NoEcho", "false")).lower() == "true",
            "Description": d.get("Description"),
        }
        if summary:
            item["ParameterType"] = d["Type"]
            item["ParameterConstraints"] = present({"AllowedValues": [parameters.text(v) for v in d["AllowedValues"]]
                                                    if "AllowedValues" in d else None})  # fmt: skip
        out.append(present(item))
    return out


def _capabilities(template: dict[str, Any]) -> tuple[list[str], str | None]:
    """The capabilities a template needs, and why (IAM resources; transforms)."""
    active = tuple(template.get("Resources") or {})
    try:
        plan.check_capabilities(template, active, ())
    except plan.InsufficientCapabilities as needed:
        capability = needed.message.rsplit("[", 1)[1].rstrip("]")
        iam = [rid for rid in active if str(template["Resources"][rid]["Type"]).startswith("AWS::IAM::")]
        return [capability], f"The following resource(s) require capabilities: [{', '.join(iam)}]"
    if plan.transforms_of(template):
        return ["CAPABILITY_AUTO_EXPAND"], "The template declares transforms"  # (a guess at the text)
    return [], None


async def validate_template(s: Services, ctx: RequestContext, p: Params) -> Output:
    _, template = await s.stacks.template(ctx, request_of(p).template_body)
    parameters.declarations(template)
    if plan.SERVERLESS in plan.transforms_of(template) and s.stacks.transform is not None:
        expanded = await plan.expand(template, ctx, s.stacks.transform, {})  # the SAM transform's refusals
        if plan.LANGUAGE_EXTENSIONS not in plan.transforms_of(expanded):
            graph.dependencies(expanded)
    elif not plan.transforms_of(template):
        graph.dependencies(template)
    capabilities, reason = _capabilities(template)
    return present(
        {
            "Parameters": _parameters_declared(template, summary=False),
            "Description": template.get("Description"),
            "Capabilities": capabilities,
            "CapabilitiesReason": reason,
            "DeclaredTransforms": plan.transforms_of(template),
        }
    )


async def get_template_summary(s: Services, ctx: RequestContext, p: Params) -> Output:
    if p.get("StackName"):
        template = document.parse((await s.stacks.stack(ctx, p["StackName"])).template_body)
    else:
        _, template = await s.stacks.template(ctx, request_of(p).template_body)
    capabilities, reason = _capabilities(template)
    resources = template["Resources"]
    return present(
        {
            "Parameters": _parameters_declared(template, summary=True),
            "Description": template.get("Description"),
            "Capabilities": capabilities,
            "CapabilitiesReason": reason,
            "ResourceTypes": list(dict.fromkeys(str(r["Type"]) for r in resources.values())),
            "Version": str(template.get("AWSTemplateFormatVersion", document.VERSION)),
            "DeclaredTransforms": plan.transforms_of(template),
        }
    )


async def list_exports(s: Services, ctx: RequestContext, p: Params) -> Output:
    exports = await s.stacks.exports(ctx)
    return {"Exports": [{"ExportingStackId": e.stack_id, "Name": e.name, "Value": e.value} for e in exports]}


async def list_imports(s: Services, ctx: RequestContext, p: Params) -> Output:
    return {"Imports": await s.stacks.imports(ctx, p["ExportName"])}


async def list_types(s: Services, ctx: RequestContext, p: Params) -> Output:
    """The resource types this Overcast deploys, as AWS lists its public ones (Visibility PUBLIC); an account's
    own registered (PRIVATE, the default) extensions: none, since Overcast has no private registry.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListTypes.html"""
    if p.get("Visibility", "PRIVATE") != "PUBLIC" or p.get("Type", "RESOURCE") != "RESOURCE":
        return {"TypeSummaries": []}
    return {
        "TypeSummaries": [
            {
                "Type": "RESOURCE",
                "TypeName": name,
                "TypeArn": f"arn:aws:cloudformation:{ctx.region}::type/resource/{name.replace('::', '-')}",
                "PublisherId": "",  # AWS leaves it empty for its own types
                "IsActivated": True,
            }
            for name in sorted(s.stacks.providers.types())
        ]
    }


HANDLERS: dict[str, Unbound[Services]] = {
    "CreateStack": create_stack,
    "UpdateStack": update_stack,
    "DeleteStack": delete_stack,
    "DescribeStacks": describe_stacks,
    "ListStacks": list_stacks,
    "DescribeStackEvents": describe_stack_events,
    "DescribeStackResource": describe_stack_resource,
    "DescribeStackResources": describe_stack_resources,
    "ListStackResources": list_stack_resources,
    "GetTemplate": get_template,
    "GetTemplateSummary": get_template_summary,
    "ValidateTemplate": validate_template,
    "ListExports": list_exports,
    "ListImports": list_imports,
    "ListTypes": list_types,
    **cloudformation_change_sets.HANDLERS,
}


def operations(stacks: Stacks, change_sets: ChangeSets) -> OperationTable:
    return bind(HANDLERS, Services(stacks, change_sets))
