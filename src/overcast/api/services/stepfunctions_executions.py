"""Step Functions' execution operations: starting, describing, listing, stopping and redriving executions,
their history, task tokens and TestState; wire names only (the engine holds the rules).

https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
"""

from __future__ import annotations

import json

from overcast.api.services import Output, Params, Unbound
from overcast.context import RequestContext
from overcast.workflows.asl.execution import details_member
from overcast.workflows.asl.inspection import Mock
from overcast.workflows.asl.model import ABSENT
from overcast.workflows.asl.references import variable_references
from overcast.workflows.engine import Engine, history, names, state_tests
from overcast.workflows.engine.errors import InvalidOutput, ValidationException
from overcast.workflows.engine.records import STANDARD, Execution, MachineConfig
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


def _describe_execution(
    e: Execution, redrive_status: tuple[str, str | None] = ("NOT_REDRIVABLE", None), data: bool = True
) -> Output:
    """DescribeExecution's answer; without `data` (includedData METADATA_ONLY) the input and output, which
    a customer managed key encrypts with the history, are left out and their details say so: AWS documents
    the parameter only as the way to an answer without the encrypted data (API_DescribeExecution.html)."""
    out: Output = {
        "executionArn": e.arn,
        "stateMachineArn": e.machine_arn,
        "name": e.name,
        "status": e.status.value,
        "startDate": e.start,
        "inputDetails": {"included": data},
        "redriveCount": e.redrive_count,
    }
    if data:
        out["input"] = e.input
    if e.stop is not None:
        out["stopDate"] = e.stop
    if e.output is not None:
        out["outputDetails"] = {"included": data}
        if data:
            out["output"] = e.output
    for key, value in (
        ("error", e.error),
        ("cause", e.cause),
        ("traceHeader", e.trace_header),
        ("stateMachineVersionArn", e.version_arn),
        ("stateMachineAliasArn", e.alias_arn),
        ("mapRunArn", e.map_run_arn),
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


def config_out(config: MachineConfig, included_data: str | None = None) -> Output:
    """The configuration members of DescribeStateMachine (and of its version and execution forms), each
    reported with AWS's default when it was never set
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html)."""
    out: Output = {
        **definition_out(config.definition, included_data),
        "roleArn": config.role_arn,
        "type": config.type,
        "loggingConfiguration": config.logging or {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": config.tracing,
        "encryptionConfiguration": config.encryption,
    }
    return out


def definition_out(definition: str, included_data: str | None) -> Output:
    """`definition` and `variableReferences` (only when a state reads a variable, workflow-variables.html).

    "If called with includedData = METADATA_ONLY, the returned definition will be {}"
    (API_DescribeStateMachine.html). AWS does not say what becomes of variableReferences then; it is
    derived from the definition that METADATA_ONLY withholds, so it is left out too."""
    if included_data == "METADATA_ONLY":
        return {"definition": "{}"}
    references = variable_references(definition)
    return {"definition": definition, "variableReferences": references} if references else {"definition": definition}


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
    return _describe_execution(e, s.executions.redrive_status(e), p.get("includedData") != "METADATA_ONLY")


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
        # "For a newly created state machine, this is the creation date"; revisionId "is null" for the first
        # revision (API_DescribeStateMachineForExecution.html). Executions started before Overcast kept the
        # revision report their start, which is never before it.
        "updateDate": e.start if e.revised is None else e.revised,
        **config_out(e.config, p.get("includedData")),
    }
    if e.revision_id is not None:
        out["revisionId"] = e.revision_id
    # A Map Run's child: the Map state's processor, with the run and the state's label
    # (API_DescribeStateMachineForExecution.html).
    if e.map_run_arn is not None:
        out["name"], _, out["label"] = out["name"].partition("/")
        out["mapRunArn"] = e.map_run_arn
    out.pop("type", None)
    return out


async def list_executions(s: Engine, ctx: RequestContext, p: Params) -> Output:
    # "You can specify either a mapRunArn or a stateMachineArn, but not both" (API_ListExecutions.html).
    if ("mapRunArn" in p) == ("stateMachineArn" in p):
        raise ValidationException("Must provide either a StateMachine ARN or a MapRun ARN, but not both")
    args = (p.get("statusFilter"), p.get("maxResults"), p.get("nextToken"))
    if "mapRunArn" in p:
        items, token = await s.map_runs.children_of(ctx, p["mapRunArn"], *args)
    else:
        items, token = await s.executions.listing(ctx, p["stateMachineArn"], *args)
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
        # mapRunArn and itemCount only when listing a Map Run's children (API_ExecutionListItem.html).
        if "mapRunArn" in p:
            item["mapRunArn"], item["itemCount"] = e.map_run_arn, e.item_count
        # A redriven execution's item says how often and when it was last redriven
        # (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ExecutionListItem.html).
        if e.redrive_date is not None:
            item["redriveCount"], item["redriveDate"] = e.redrive_count, e.redrive_date
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
    await s.tasks.complete(ctx, p["taskToken"], Outcome(output=p["output"]))
    return {}


async def send_task_failure(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.tasks.complete(ctx, p["taskToken"], Outcome(error=p.get("error", ""), cause=p.get("cause", "")))
    return {}


async def send_task_heartbeat(s: Engine, ctx: RequestContext, p: Params) -> Output:
    await s.tasks.heartbeat(ctx, p["taskToken"])
    return {}


HANDLERS: dict[str, Unbound[Engine]] = {
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
}
