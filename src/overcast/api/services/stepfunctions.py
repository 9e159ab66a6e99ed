"""Step Functions operations: botocore-named parameters in, the workflow engine called, botocore-named outputs out.

Rules and errors live in `overcast.workflows.engine`; only the wire names live here.
https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
"""

from __future__ import annotations

from overcast.api.services import (
    OperationTable,
    Output,
    Params,
    Unbound,
    bind,
    stepfunctions_executions,
    stepfunctions_map_runs,
)
from overcast.api.services.stepfunctions_executions import config_out, definition_out
from overcast.context import RequestContext
from overcast.kit import tags
from overcast.workflows.asl.definition import analyse
from overcast.workflows.asl.map_labels import labelled_processor
from overcast.workflows.engine import Engine, names
from overcast.workflows.engine.errors import ValidationException
from overcast.workflows.engine.machines import no_machine
from overcast.workflows.engine.records import STANDARD, MachineAlias, MachineConfig, MachineVersion, StateMachine


def _version_out(v: MachineVersion, included_data: str | None) -> Output:
    out = {
        "stateMachineArn": v.arn,
        "name": names.machine_name(v.machine_arn),
        "status": "ACTIVE",
        "creationDate": v.created,
        "revisionId": v.revision_id,
        **config_out(v.config, included_data),
    }
    if v.description:
        out["description"] = v.description
    return out


def _alias_out(a: MachineAlias) -> Output:
    return {
        "stateMachineAliasArn": a.arn,
        "name": a.name,
        "description": a.description,
        "routingConfiguration": [{"stateMachineVersionArn": t, "weight": w} for t, w in a.routing],
        "creationDate": a.created,
        "updateDate": a.updated,
    }


def _tags(p: Params) -> dict[str, str]:
    return tags.from_pairs(p.get("tags", []), "key", "value")


def _routing(params: Params) -> list[tuple[str, int]] | None:
    items = params.get("routingConfiguration")
    return None if items is None else [(i["stateMachineVersionArn"], int(i["weight"])) for i in items]


def _validation(definition: str, max_results: int | None) -> Output:
    """ValidateStateMachineDefinition's answer from ASL's diagnostics."""
    _, diagnostics = analyse(definition)
    limit = max_results or 100
    items = [
        {"severity": d.severity, "code": d.code, "message": d.message, "location": d.location} for d in diagnostics
    ]
    failed = any(d.severity == "ERROR" for d in diagnostics)
    return {"result": "FAIL" if failed else "OK", "diagnostics": items[:limit], "truncated": len(items) > limit}


async def create_state_machine(s: Engine, ctx: RequestContext, p: Params) -> Output:
    config = MachineConfig(
        p["definition"],
        p["roleArn"],
        p.get("type", STANDARD),
        p.get("loggingConfiguration") or {},
        p.get("tracingConfiguration") or {"enabled": False},
        p.get("encryptionConfiguration") or {},
    )
    machine, version = await s.machines.create(
        ctx, p["name"], config, bool(p.get("publish")), p.get("versionDescription", ""), _tags(p)
    )
    out: Output = {"stateMachineArn": machine.arn, "creationDate": machine.created}
    if version is not None:
        out["stateMachineVersionArn"] = version.arn
    return out


def _machine_out(m: StateMachine, included_data: str | None) -> Output:
    return {
        "stateMachineArn": m.arn,
        "name": m.name,
        "status": m.status,
        "creationDate": m.created,
        "revisionId": m.revision_id,
        **config_out(m.config, included_data),
    }


async def describe_state_machine(s: Engine, ctx: RequestContext, p: Params) -> Output:
    arn, included = p["stateMachineArn"], p.get("includedData")
    labelled = names.map_label(arn)
    if labelled is not None:
        return await _map_state_out(s, ctx, arn, *labelled)
    if names.is_version(arn):
        return _version_out(await s.machines.version(ctx, arn), included)
    return _machine_out(await s.machines.get(ctx, arn), included)


async def _map_state_out(s: Engine, ctx: RequestContext, arn: str, machine_arn: str, label: str) -> Output:
    """A Distributed Map state's ARN: its processor as the definition, and its label (asl/map_labels.py).
    "When calling a labelled ARN ... the includedData = METADATA_ONLY parameter will not apply"
    (API_DescribeStateMachine.html). AWS does not document the error for a label no Map state has: the
    machine's own, StateMachineDoesNotExist, naming the ARN asked about."""
    machine = await s.machines.find(ctx, machine_arn)
    processor = None if machine is None else labelled_processor(machine.config.definition, label)
    if machine is None or processor is None:
        raise no_machine(arn)
    out = _machine_out(machine, None)
    out.pop("variableReferences", None)
    return {**out, "stateMachineArn": arn, **definition_out(processor, None), "label": label}


async def list_state_machines(s: Engine, ctx: RequestContext, p: Params) -> Output:
    items, token = await s.machines.listing(ctx, p.get("maxResults"), p.get("nextToken"))
    out: Output = {
        "stateMachines": [
            {"stateMachineArn": m.arn, "name": m.name, "type": m.config.type, "creationDate": m.created} for m in items
        ]
    }
    if token:
        out["nextToken"] = token
    return out


async def update_state_machine(s: Engine, ctx: RequestContext, p: Params) -> Output:
    changes = {
        k: p[w]
        for k, w in (
            ("definition", "definition"),
            ("role_arn", "roleArn"),
            ("logging", "loggingConfiguration"),
            ("tracing", "tracingConfiguration"),
            ("encryption", "encryptionConfiguration"),
        )
        if w in p
    }
    if not changes and not p.get("publish"):
        raise ValidationException(
            "Request must contain at least one of: definition, roleArn, loggingConfiguration, tracingConfiguration"
        )
    m, version = await s.machines.update(
        ctx, p["stateMachineArn"], changes, bool(p.get("publish")), p.get("versionDescription", "")
    )
    out: Output = {"updateDate": m.updated, "revisionId": m.revision_id}
    if version is not None:
        out["stateMachineVersionArn"] = version.arn
    return out


async def delete_state_machine(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.machines.delete(ctx, p["stateMachineArn"])
    return {}


async def validate_state_machine_definition(s: Engine, ctx: RequestContext, p: Params) -> Output:
    return _validation(p["definition"], p.get("maxResults"))


async def publish_state_machine_version(s: Engine, ctx: RequestContext, p: Params) -> Output:
    v = await s.machines.publish(ctx, p["stateMachineArn"], p.get("revisionId"), p.get("description", ""))
    return {"creationDate": v.created, "stateMachineVersionArn": v.arn}


async def list_state_machine_versions(s: Engine, ctx: RequestContext, p: Params) -> Output:
    items, token = await s.machines.versions(ctx, p["stateMachineArn"], p.get("maxResults"), p.get("nextToken"))
    out: Output = {
        "stateMachineVersions": [{"stateMachineVersionArn": v.arn, "creationDate": v.created} for v in items]
    }
    if token:
        out["nextToken"] = token
    return out


async def delete_state_machine_version(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.machines.delete_version(ctx, p["stateMachineVersionArn"])
    return {}


async def create_state_machine_alias(s: Engine, ctx: RequestContext, p: Params) -> Output:
    a = await s.machines.create_alias(ctx, p["name"], p.get("description", ""), _routing(p) or [])
    return {"stateMachineAliasArn": a.arn, "creationDate": a.created}


async def describe_state_machine_alias(s: Engine, ctx: RequestContext, p: Params) -> Output:
    return _alias_out(await s.machines.alias(ctx, p["stateMachineAliasArn"]))


async def update_state_machine_alias(s: Engine, ctx: RequestContext, p: Params) -> Output:
    a = await s.machines.update_alias(ctx, p["stateMachineAliasArn"], p.get("description"), _routing(p))
    return {"updateDate": a.updated}


async def delete_state_machine_alias(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.machines.delete_alias(ctx, p["stateMachineAliasArn"])
    return {}


async def list_state_machine_aliases(s: Engine, ctx: RequestContext, p: Params) -> Output:
    items, token = await s.machines.aliases(ctx, p["stateMachineArn"], p.get("maxResults"), p.get("nextToken"))
    out: Output = {"stateMachineAliases": [{"stateMachineAliasArn": a.arn, "creationDate": a.created} for a in items]}
    if token:
        out["nextToken"] = token
    return out


async def create_activity(s: Engine, ctx: RequestContext, p: Params) -> Output:
    a = await s.machines.create_activity(ctx, p["name"], _tags(p), p.get("encryptionConfiguration"))
    return {"activityArn": a.arn, "creationDate": a.created}


async def describe_activity(s: Engine, ctx: RequestContext, p: Params) -> Output:
    a = await s.machines.activity(ctx, p["activityArn"])
    return {"activityArn": a.arn, "name": a.name, "creationDate": a.created, "encryptionConfiguration": a.encryption}


async def delete_activity(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.machines.delete_activity(ctx, p["activityArn"])
    return {}


async def list_activities(s: Engine, ctx: RequestContext, p: Params) -> Output:
    items, token = await s.machines.activities(ctx, p.get("maxResults"), p.get("nextToken"))
    out: Output = {"activities": [{"activityArn": a.arn, "name": a.name, "creationDate": a.created} for a in items]}
    if token:
        out["nextToken"] = token
    return out


async def get_activity_task(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.machines.activity(ctx, p["activityArn"])
    found = await s.tasks.next_activity_task(p["activityArn"], p.get("workerName"))
    return {} if found is None else {"taskToken": found[0], "input": found[1]}


async def tag_resource(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.machines.tagging.tag(ctx, p["resourceArn"], _tags(p))
    return {}


async def untag_resource(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.machines.tagging.untag(ctx, p["resourceArn"], p.get("tagKeys", []))
    return {}


async def list_tags_for_resource(s: Engine, ctx: RequestContext, p: Params) -> Output:
    return {"tags": tags.to_pairs(await s.machines.tagging.tags(ctx, p["resourceArn"]), "key", "value")}


HANDLERS: dict[str, Unbound[Engine]] = {
    **stepfunctions_executions.HANDLERS,
    **stepfunctions_map_runs.HANDLERS,
    "CreateStateMachine": create_state_machine,
    "DescribeStateMachine": describe_state_machine,
    "ListStateMachines": list_state_machines,
    "UpdateStateMachine": update_state_machine,
    "DeleteStateMachine": delete_state_machine,
    "ValidateStateMachineDefinition": validate_state_machine_definition,
    "PublishStateMachineVersion": publish_state_machine_version,
    "ListStateMachineVersions": list_state_machine_versions,
    "DeleteStateMachineVersion": delete_state_machine_version,
    "CreateStateMachineAlias": create_state_machine_alias,
    "DescribeStateMachineAlias": describe_state_machine_alias,
    "UpdateStateMachineAlias": update_state_machine_alias,
    "DeleteStateMachineAlias": delete_state_machine_alias,
    "ListStateMachineAliases": list_state_machine_aliases,
    "CreateActivity": create_activity,
    "DescribeActivity": describe_activity,
    "DeleteActivity": delete_activity,
    "ListActivities": list_activities,
    "GetActivityTask": get_activity_task,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}


def operations(engine: Engine) -> OperationTable:
    """The Step Functions operation table over the engine's services."""
    return bind(HANDLERS, engine)
