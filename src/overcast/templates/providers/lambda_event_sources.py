"""AWS::Lambda::EventSourceMapping: a queue polled for a function (events/mappings), as CreateEventSourceMapping does.

EventSourceArn is create-only (a change replaces the mapping); the other properties change in place, a property
the template no longer sets going back to Lambda's default. Ref: the mapping's UUID; GetAtt: Id and
EventSourceMappingArn; Tags (Key/Value pairs) are the mapping's, changed in place
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-eventsourcemapping.html).
SAM's `SQS` event source becomes one of these. Streams and brokers are not mapped yet: their properties are refused
before any change.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from collections.abc import Mapping as Members
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from overcast.errors import ResourceNotFound
from overcast.kit import tags
from overcast.templates.providers.base import Made, Providers, ResourceRequest, Unsupported

if TYPE_CHECKING:
    from overcast.events.mappings.catalog import Mappings
    from overcast.events.mappings.records import Mapping

_STREAMS = "stream, Kafka, MQ and DocumentDB event sources (Overcast maps SQS queues only)"
UNSUPPORTED = tuple(
    Unsupported(name, _STREAMS)
    for name in (
        "StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor", "MaximumRecordAgeInSeconds",
        "BisectBatchOnFunctionError", "MaximumRetryAttempts", "TumblingWindowInSeconds", "DestinationConfig",
        "Topics", "Queues", "SourceAccessConfigurations", "SelfManagedEventSource",
        "AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig",
        "ProvisionedPollerConfig",
    )
)  # fmt: skip
# What an update sets when the template no longer names it: Lambda's defaults for a queue.
_DEFAULTS = {
    "BatchSize": 10,
    "MaximumBatchingWindowInSeconds": 0,
    "FilterCriteria": {"Filters": []},
    "FunctionResponseTypes": [],
    "ScalingConfig": {},
    "MetricsConfig": {"Metrics": []},
    "KMSKeyArn": "",
    "Enabled": True,
}


def _members(properties: Members[str, Any]) -> dict[str, Any]:
    members = dict(properties)
    members["Tags"] = tags.from_pairs(members.get("Tags") or ())  # a template's Key/Value pairs
    if isinstance(members.get("Enabled"), str):  # a template's "false" (a parameter's value is a string)
        members["Enabled"] = members["Enabled"].lower() == "true"
    return members


def _made(mapping: Mapping) -> Made:
    return Made(mapping.uuid, {"Id": mapping.uuid, "EventSourceMappingArn": mapping.arn})


@dataclass(frozen=True, slots=True)
class EventSourceMappingProvider:
    built: Callable[[], Awaitable[Mappings]]

    async def create(self, request: ResourceRequest) -> Made:
        return _made(await (await self.built()).create(request.ctx, _members(request.properties)))

    async def update(self, request: ResourceRequest, current: Made, previous: Members[str, Any]) -> Made:
        members = {**_DEFAULTS, **_members(request.properties)}
        mappings = await self.built()
        made = _made(await mappings.update(request.ctx, current.ref, members))
        arn = made.attributes["EventSourceMappingArn"]
        wanted: dict[str, str] = members.pop("Tags")
        gone = (await mappings.tags(request.ctx, arn)).keys() - wanted.keys()
        await mappings.untag(request.ctx, arn, sorted(gone))
        await mappings.tag(request.ctx, arn, wanted)
        return made

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        with contextlib.suppress(ResourceNotFound):
            await (await self.built()).delete(request.ctx, current.ref)


def register(providers: Providers, mappings: Callable[[], Awaitable[Mappings]]) -> None:
    providers.add("AWS::Lambda::EventSourceMapping", EventSourceMappingProvider(mappings), unsupported=UNSUPPORTED)
