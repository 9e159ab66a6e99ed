"""Lambda's event source mapping operations: Create/Get/Update/Delete/ListEventSourceMappings (SQS queues), and
TagResource / UntagResource / ListTags when their Resource is a mapping's ARN (a function's goes to Lambda's own)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from collections.abc import Mapping as Members
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from overcast.api.services import OperationTable, Output, Params, Unbound
from overcast.api.services.lambda_functions import listed
from overcast.context import RequestContext

if TYPE_CHECKING:
    from overcast.events.mappings.catalog import Mappings
    from overcast.events.mappings.records import Mapping


@dataclass(frozen=True, slots=True)
class EventSources:
    built: Callable[[], Awaitable[Mappings]]  # the mappings, built on the first call that needs them
    functions: OperationTable = field(default_factory=dict)  # Lambda's own tag operations, for functions' ARNs


def mapping_out(mapping: Mapping) -> Output:
    """EventSourceMappingConfiguration as Lambda answers it for a queue."""
    settings = mapping.settings
    out: Output = {
        "UUID": mapping.uuid,
        "BatchSize": settings.batch_size,
        "MaximumBatchingWindowInSeconds": settings.maximum_batching_window,
        "EventSourceArn": mapping.event_source_arn,
        "FunctionArn": mapping.function_arn,
        "LastModified": mapping.last_modified,
        "State": mapping.state.value,
        "StateTransitionReason": mapping.state_transition_reason,
        "FunctionResponseTypes": ["ReportBatchItemFailures"] if settings.report_batch_item_failures else [],
        "EventSourceMappingArn": mapping.arn,
    }
    if mapping.last_processing_result:
        out["LastProcessingResult"] = mapping.last_processing_result
    if settings.filters:
        out["FilterCriteria"] = {"Filters": [{"Pattern": pattern} for pattern in settings.filters]}
    if settings.maximum_concurrency is not None:
        out["ScalingConfig"] = {"MaximumConcurrency": settings.maximum_concurrency}
    if settings.metrics is not None:
        out["MetricsConfig"] = {"Metrics": list(settings.metrics)}
    if settings.kms_key_arn is not None:
        out["KMSKeyArn"] = settings.kms_key_arn
    return out


async def create_event_source_mapping(s: EventSources, ctx: RequestContext, p: Params) -> Output:
    return mapping_out(await (await s.built()).create(ctx, p))


async def get_event_source_mapping(s: EventSources, ctx: RequestContext, p: Params) -> Output:
    return mapping_out(await (await s.built()).get(ctx, p["UUID"]))


async def update_event_source_mapping(s: EventSources, ctx: RequestContext, p: Params) -> Output:
    return mapping_out(await (await s.built()).update(ctx, p["UUID"], p))


async def delete_event_source_mapping(s: EventSources, ctx: RequestContext, p: Params) -> Output:
    return mapping_out(await (await s.built()).delete(ctx, p["UUID"]))


async def list_event_source_mappings(s: EventSources, ctx: RequestContext, p: Params) -> Output:
    mappings, marker = await (await s.built()).list(
        ctx, p.get("EventSourceArn"), p.get("FunctionName"), p.get("Marker"), p.get("MaxItems")
    )
    return listed("EventSourceMappings", [mapping_out(mapping) for mapping in mappings], marker)


def _names_mapping(resource: object) -> bool:
    return isinstance(resource, str) and ":event-source-mapping:" in resource


async def tag_resource(s: EventSources, ctx: RequestContext, p: Params) -> Output:
    if not _names_mapping(p.get("Resource")):
        return await s.functions["TagResource"](ctx, p)
    await (await s.built()).tag(ctx, p["Resource"], p.get("Tags") or {})
    return {}


async def untag_resource(s: EventSources, ctx: RequestContext, p: Params) -> Output:
    if not _names_mapping(p.get("Resource")):
        return await s.functions["UntagResource"](ctx, p)
    await (await s.built()).untag(ctx, p["Resource"], p.get("TagKeys") or [])
    return {}


async def list_tags(s: EventSources, ctx: RequestContext, p: Params) -> Output:
    if not _names_mapping(p.get("Resource")):
        return await s.functions["ListTags"](ctx, p)
    return {"Tags": await (await s.built()).tags(ctx, p["Resource"])}


HANDLERS: Members[str, Unbound[EventSources]] = {
    "CreateEventSourceMapping": create_event_source_mapping,
    "GetEventSourceMapping": get_event_source_mapping,
    "UpdateEventSourceMapping": update_event_source_mapping,
    "DeleteEventSourceMapping": delete_event_source_mapping,
    "ListEventSourceMappings": list_event_source_mappings,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTags": list_tags,
}
