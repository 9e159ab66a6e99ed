"""CloudFormation's change set operations: Create, Describe, Execute, Delete and ListChangeSets."""

from __future__ import annotations

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.cloudformation_wire import Services, parameters_out, present, request_of
from overcast.context import RequestContext
from overcast.kit import tags
from overcast.templates import document, parameters
from overcast.templates.errors import TemplateValidationError
from overcast.templates.records import Change, ChangeSet


def _change_out(c: Change) -> Output:
    resource = present(
        {
            "Action": c.action,
            "LogicalResourceId": c.logical_id,
            "PhysicalResourceId": c.physical_id,
            "ResourceType": c.type,
            "Replacement": c.replacement,
            "Scope": sorted({"Properties" if d.name != "Tags" else "Tags" for d in c.details}) or None,
            "Details": [
                present(
                    {
                        "Target": {"Attribute": "Properties", "Name": d.name, "RequiresRecreation": d.recreation},
                        "Evaluation": d.evaluation,
                        "ChangeSource": d.source,
                        "CausingEntity": d.causing,
                    }
                )
                for d in c.details
            ],
        }
    )
    return {"Type": "Resource", "ResourceChange": resource}


def _summary(c: ChangeSet) -> Output:
    return present(
        {
            "StackId": c.stack_id,
            "StackName": c.stack_name,
            "ChangeSetId": c.id,
            "ChangeSetName": c.name,
            "ExecutionStatus": c.execution_status,
            "Status": c.status,
            "StatusReason": c.status_reason,
            "CreationTime": c.created,
            "Description": c.description,
            "IncludeNestedStacks": False,
        }
    )


async def create_change_set(s: Services, ctx: RequestContext, p: Params) -> Output:
    kind = p.get("ChangeSetType") or "UPDATE"
    if kind not in ("CREATE", "UPDATE"):
        raise TemplateValidationError(f"ChangeSetType {kind} is not supported by Overcast")  # IMPORT: not yet
    made = await s.change_sets.create(
        ctx, p["StackName"], p["ChangeSetName"], kind, request_of(p), p.get("Description")
    )
    return {"Id": made.id, "StackId": made.stack_id}


async def describe_change_set(s: Services, ctx: RequestContext, p: Params) -> Output:
    c = await s.change_sets.get(ctx, p["ChangeSetName"], p.get("StackName"))
    secret = {key for key, d in parameters.declarations(document.parse(c.template_body)).items()
              if parameters.flag(d.get("NoEcho"))}  # fmt: skip
    shown = {key: "****" if key in secret else value for key, value in c.parameters.items()}
    return {
        **_summary(c),
        "Parameters": parameters_out(shown),
        "NotificationARNs": list(c.notification_arns),
        "Capabilities": list(c.capabilities),
        "Tags": tags.to_pairs(c.tags),
        "Changes": [_change_out(change) for change in c.changes],
    }


async def execute_change_set(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.change_sets.execute(ctx, p["ChangeSetName"], p.get("StackName"))
    return {}


async def delete_change_set(s: Services, ctx: RequestContext, p: Params) -> Output:
    await s.change_sets.delete(ctx, p["ChangeSetName"], p.get("StackName"))
    return {}


async def list_change_sets(s: Services, ctx: RequestContext, p: Params) -> Output:
    return {"Summaries": [_summary(c) for c in await s.change_sets.list(ctx, p["StackName"])]}


HANDLERS: dict[str, Unbound[Services]] = {
    "CreateChangeSet": create_change_set,
    "DescribeChangeSet": describe_change_set,
    "ExecuteChangeSet": execute_change_set,
    "DeleteChangeSet": delete_change_set,
    "ListChangeSets": list_change_sets,
}
