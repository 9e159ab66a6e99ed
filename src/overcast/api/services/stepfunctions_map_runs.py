"""Step Functions' Map Run operations: DescribeMapRun, ListMapRuns, UpdateMapRun, and ListExecutions of a Map
Run's child executions; wire names only (the engine's map_runs holds the rules).

https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html
"""

from __future__ import annotations

from typing import Any

from overcast.api.services import Output, Params, Unbound
from overcast.context import RequestContext
from overcast.workflows.engine import Engine
from overcast.workflows.engine.errors import ValidationException
from overcast.workflows.engine.map_runs import Counts


def _counts(c: Counts) -> Output:
    # MapRunExecutionCounts / MapRunItemCounts: no ResultWriter here; an unsuccessful child is redriven when its
    # parent is, so none is left pending a redrive or not redrivable.
    return {
        "pending": c.pending, "running": c.running, "succeeded": c.succeeded, "failed": c.failed,
        "timedOut": c.timed_out, "aborted": c.aborted, "total": c.total, "resultsWritten": 0,
        "failuresNotRedrivable": 0, "pendingRedrive": 0,
    }  # fmt: skip


async def describe_map_run(s: Engine, ctx: RequestContext, p: Params) -> Output:
    r = await s.map_runs.describe(ctx, p["mapRunArn"])
    out: Output = {
        "mapRunArn": r.arn,
        "executionArn": r.execution_arn,
        "status": r.status,
        "startDate": r.start,
        "maxConcurrency": r.max_concurrency,
        "toleratedFailurePercentage": r.tolerated_percentage or 0.0,
        "toleratedFailureCount": r.tolerated_count or 0,
        "itemCounts": _counts(r.items),
        "executionCounts": _counts(r.executions),
        # "If you have not yet redriven a Map Run, the redriveCount is 0" and redriveDate null
        # (API_DescribeMapRun.html).
        "redriveCount": r.redrive_count,
    }
    if r.stop is not None:
        out["stopDate"] = r.stop
    if r.redrive_date is not None:
        out["redriveDate"] = r.redrive_date
    return out


async def list_map_runs(s: Engine, ctx: RequestContext, p: Params) -> Output:
    execution = await s.executions.describe(ctx, p["executionArn"])
    found, token = await s.map_runs.listing(ctx, execution.arn, p.get("maxResults"), p.get("nextToken"))
    items = []
    for r in found:
        item: Output = {"executionArn": r.execution_arn, "mapRunArn": r.arn, "stateMachineArn": r.machine_arn,
                        "startDate": r.start}  # fmt: skip
        if r.stop is not None:
            item["stopDate"] = r.stop
        items.append(item)
    out: Output = {"mapRuns": items}
    if token:
        out["nextToken"] = token
    return out


def _at_least(field: str, value: Any, low: float, high: float | None = None) -> None:
    if value is None:
        return
    if value < low:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {low:g}"
        )
    if high is not None and value > high:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {high:g}"
        )


async def update_map_run(s: Engine, ctx: RequestContext, p: Params) -> Output:
    # Valid ranges: maxConcurrency >= 0, toleratedFailureCount >= 0, toleratedFailurePercentage 0-100
    # (API_UpdateMapRun.html).
    concurrency, count, percentage = (
        p.get("maxConcurrency"), p.get("toleratedFailureCount"), p.get("toleratedFailurePercentage")
    )  # fmt: skip
    _at_least("maxConcurrency", concurrency, 0)
    _at_least("toleratedFailureCount", count, 0)
    _at_least("toleratedFailurePercentage", percentage, 0, 100)
    await s.map_runs.update(ctx, p["mapRunArn"], concurrency, count, percentage)
    return {}


HANDLERS: dict[str, Unbound[Engine]] = {
    "DescribeMapRun": describe_map_run,
    "ListMapRuns": list_map_runs,
    "UpdateMapRun": update_map_run,
}
