"""Step Functions operations: botocore-named parameters in, the workflow engine called, botocore-named outputs out.

Rules and errors live in `overcast.workflows.engine`; only the wire names live here.
https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
"""

from __future__ import annotations

import json

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.context import RequestContext
from overcast.kit import tags
from overcast.workflows.asl.definition import analyse
from overcast.workflows.asl.execution import details_member
from overcast.workflows.asl.inspection import Mock
from overcast.workflows.asl.model import ABSENT
from overcast.workflows.engine import Engine, history, names, state_tests
from overcast.workflows.engine.errors import InvalidOutput, ValidationException
from overcast.workflows.engine.records import STANDARD, Execution, MachineAlias, MachineConfig, MachineVersion
from overcast.workflows.engine.tasks import Outcome

# HistoryEvent members that exist in AWS's model (some event types carry no details).
_HISTORY_MEMBERS = {
    "activityFailedEventDetails",
    "activityScheduleFailedEventDetails",
    "activityScheduledEventDetails",
    "activityStartedEventDetails",
    "activitySucceededEventDetails",
    "activityTimedOutEventDetails",
    "taskFailedEventDetails",
    "taskScheduledEventDetails",
    "taskStartFailedEventDetails",
    "taskStartedEventDetails",
    "taskSubmitFailedEventDetails",
    "taskSubmittedEventDetails",
    "taskSucceededEventDetails",
    "taskTimedOutEventDetails",
    "executionFailedEventDetails",
    "executionStartedEventDetails",
    "executionSucceededEventDetails",
    "executionAbortedEventDetails",
    "executionTimedOutEventDetails",
    "executionRedrivenEventDetails",
    "mapStateStartedEventDetails",
    "mapIterationStartedEventDetails",
    "mapIterationSucceededEventDetails",
    "mapIterationFailedEventDetails",
    "mapIterationAbortedEventDetails",
    "lambdaFunctionFailedEventDetails",
    "lambdaFunctionScheduleFailedEventDetails",
    "lambdaFunctionScheduledEventDetails",
    "lambdaFunctionStartFailedEventDetails",
    "lambdaFunctionSucceededEventDetails",
    "lambdaFunctionTimedOutEventDetails",
    "stateEnteredEventDetails",
    "stateExitedEventDetails",
    "mapRunStartedEventDetails",
    "mapRunFailedEventDetails",
    "mapRunRedrivenEventDetails",
    "evaluationFailedEventDetails",
}


def _member(event_type: str) -> str | None:
    member = details_member(event_type)
    return member if member in _HISTORY_MEMBERS else None


def _describe_execution(e: Execution, redrive_status: tuple[str, str | None] = ("NOT_REDRIVABLE", None)) -> Output:
    out: Output = {
        "executionArn": e.arn,
        "stateMachineArn": e.machine_arn,
        "name": e.name,
        "status": e.status.value,
        "startDate": e.start,
        "input": e.input,
        "inputDetails": {"included": True},
        "redriveCount": e.redrive_count,
    }
    if e.stop is not None:
        out["stopDate"] = e.stop
    if e.output is not None:
        out["output"], out["outputDetails"] = e.output, {"included": True}
    for key, value in (
        ("error", e.error),
        ("cause", e.cause),
        ("traceHeader", e.trace_header),
        ("stateMachineVersionArn", e.version_arn),
        ("stateMachineAliasArn", e.alias_arn),
    ):
        if value is not None:
            out[key] = value
    if e.redrive_date is not None:
        out["redriveDate"] = e.redrive_date
    if e.type == STANDARD:
        status, reason = redrive_status
        out["redriveStatus"] = status
        if reason is not None:
            out["redriveStatusReason"] = reason
    return out


def _config_out(config: MachineConfig) -> Output:
    out: Output = {
        "definition": config.definition,
        "roleArn": config.role_arn,
        "type": config.type,
        "loggingConfiguration": config.logging or {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": config.tracing,
    }
    return out


def _version_out(v: MachineVersion) -> Output:
    out = {
        "stateMachineArn": v.arn,
        "name": names.machine_name(v.machine_arn),
        "status": "ACTIVE",
        "creationDate": v.created,
        "revisionId": v.revision_id,
        **_config_out(v.config),
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
    )
    machine, version = await s.machines.create(
        ctx, p["name"], config, bool(p.get("publish")), p.get("versionDescription", ""), _tags(p)
    )
    out: Output = {"stateMachineArn": machine.arn, "creationDate": machine.created}
    if version is not None:
        out["stateMachineVersionArn"] = version.arn
    return out


async def describe_state_machine(s: Engine, ctx: RequestContext, p: Params) -> Output:
    arn = p["stateMachineArn"]
    if names.is_version(arn):
        return _version_out(await s.machines.version(ctx, arn))
    m = await s.machines.get(ctx, arn)
    return {
        "stateMachineArn": m.arn,
        "name": m.name,
        "status": m.status,
        "creationDate": m.created,
        "revisionId": m.revision_id,
        **_config_out(m.config),
    }


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


async def start_execution(s: Engine, ctx: RequestContext, p: Params) -> Output:
    e = await s.executions.start(ctx, p["stateMachineArn"], p.get("name"), p.get("input"), p.get("traceHeader"))
    return {"executionArn": e.arn, "startDate": e.start}


async def start_sync_execution(s: Engine, ctx: RequestContext, p: Params) -> Output:
    e = await s.executions.start(
        ctx, p["stateMachineArn"], p.get("name"), p.get("input"), p.get("traceHeader"), sync=True
    )
    out = _describe_execution(e)
    for key in (
        "redriveCount",
        "redriveStatus",
        "redriveStatusReason",
        "stateMachineVersionArn",
        "stateMachineAliasArn",
    ):
        out.pop(key, None)
    duration_ms = round(((e.stop or e.start) - e.start) * 1000)
    # Express billing: duration rounded up to 100 ms, memory 64 MB blocks
    # (https://aws.amazon.com/step-functions/pricing/).
    out["billingDetails"] = {
        "billedMemoryUsedInMB": 64,
        "billedDurationInMilliseconds": max(100, -(-duration_ms // 100) * 100),
    }
    return out


async def describe_execution(s: Engine, ctx: RequestContext, p: Params) -> Output:
    e = await s.executions.describe(ctx, p["executionArn"])
    return _describe_execution(e, s.executions.redrive_status(e))


async def test_state(s: Engine, ctx: RequestContext, p: Params) -> Output:
    mocked = p.get("mock")
    mock = None
    if mocked is not None:
        problem = mocked.get("errorOutput") or {}
        mock = Mock(mocked.get("result"), problem.get("error"), problem.get("cause"))
    found = await state_tests.run_test_state(
        ctx, s.executions.clock, s.executions.integrations, p["definition"], p.get("roleArn", ""), p.get("input"),
        state_name=p.get("stateName"), variables=p.get("variables"),
        retry_count=int((p.get("stateConfiguration") or {}).get("retrierRetryCount", 0)), mock=mock,
    )  # fmt: skip
    out: Output = {"status": found.status}
    if found.output is not ABSENT:
        out["output"] = json.dumps(found.output, separators=(",", ":"), ensure_ascii=False)
    if found.error is not None:
        out["error"] = found.error
    if found.cause is not None:
        out["cause"] = found.cause
    if found.next_state is not None:
        out["nextState"] = found.next_state
    # INFO: the outcome only; DEBUG and TRACE add the data flow (TRACE's HTTP exchange: no HTTP Task here).
    if p.get("inspectionLevel", "INFO") != "INFO":
        out["inspectionData"] = found.data
    return out


async def redrive_execution(s: Engine, ctx: RequestContext, p: Params) -> Output:
    e = await s.executions.redrive(ctx, p["executionArn"])
    return {"redriveDate": e.redrive_date}


async def describe_state_machine_for_execution(s: Engine, ctx: RequestContext, p: Params) -> Output:
    e = await s.executions.describe(ctx, p["executionArn"])
    out: Output = {
        "stateMachineArn": e.machine_arn,
        "name": names.machine_name(e.machine_arn),
        "updateDate": e.start,
        **_config_out(e.config),
    }
    out.pop("type", None)
    return out


async def list_executions(s: Engine, ctx: RequestContext, p: Params) -> Output:
    items, token = await s.executions.listing(
        ctx, p["stateMachineArn"], p.get("statusFilter"), p.get("maxResults"), p.get("nextToken")
    )
    out: Output = {"executions": []}
    for e in items:
        item: Output = {
            "executionArn": e.arn,
            "stateMachineArn": e.machine_arn,
            "name": e.name,
            "status": e.status.value,
            "startDate": e.start,
        }
        if e.stop is not None:
            item["stopDate"] = e.stop
        if e.version_arn:
            item["stateMachineVersionArn"] = e.version_arn
        if e.alias_arn:
            item["stateMachineAliasArn"] = e.alias_arn
        out["executions"].append(item)
    if token:
        out["nextToken"] = token
    return out


async def stop_execution(s: Engine, ctx: RequestContext, p: Params) -> Output:
    return {"stopDate": await s.executions.stop(ctx, p["executionArn"], p.get("error"), p.get("cause"))}


async def get_execution_history(s: Engine, ctx: RequestContext, p: Params) -> Output:
    events, token = await s.executions.history(
        ctx,
        p["executionArn"],
        p.get("maxResults"),
        p.get("nextToken"),
        bool(p.get("reverseOrder")),
        p.get("includeExecutionData", True),
    )
    out: Output = {"events": [history.wire(e, _member(e.type)) for e in events]}
    if token:
        out["nextToken"] = token
    return out


async def send_task_success(s: Engine, ctx: RequestContext, p: Params) -> Output:
    try:
        json.loads(p["output"])
    except ValueError:
        raise InvalidOutput(f"Invalid Output: '{p['output']}'") from None
    await s.tasks.complete(p["taskToken"], Outcome(output=p["output"]))
    return {}


async def send_task_failure(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.tasks.complete(p["taskToken"], Outcome(error=p.get("error", ""), cause=p.get("cause", "")))
    return {}


async def send_task_heartbeat(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.tasks.heartbeat(p["taskToken"])
    return {}


async def create_activity(s: Engine, ctx: RequestContext, p: Params) -> Output:
    a = await s.machines.create_activity(ctx, p["name"], _tags(p))
    return {"activityArn": a.arn, "creationDate": a.created}


async def describe_activity(s: Engine, ctx: RequestContext, p: Params) -> Output:
    a = await s.machines.activity(ctx, p["activityArn"])
    return {"activityArn": a.arn, "name": a.name, "creationDate": a.created}


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
    "StartExecution": start_execution,
    "StartSyncExecution": start_sync_execution,
    "DescribeExecution": describe_execution,
    "DescribeStateMachineForExecution": describe_state_machine_for_execution,
    "ListExecutions": list_executions,
    "StopExecution": stop_execution,
    "RedriveExecution": redrive_execution,
    "TestState": test_state,
    "GetExecutionHistory": get_execution_history,
    "SendTaskSuccess": send_task_success,
    "SendTaskFailure": send_task_failure,
    "SendTaskHeartbeat": send_task_heartbeat,
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
