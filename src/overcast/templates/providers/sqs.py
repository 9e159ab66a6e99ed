"""SQS's CloudFormation types: Queue, QueuePolicy and QueueInlinePolicy, over the sqs operations (operated.py).

A queue's properties are its attributes (CreateQueue / SetQueueAttributes take them as strings); a property
removed from the template goes back to the attribute's default, as CloudFormation resets it. Properties, Ref and
Fn::GetAtt as the template reference documents each type
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sqs-queue.html,
aws-resource-sqs-queuepolicy.html, aws-resource-sqs-queueinlinepolicy.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.arn import parse_arn
from overcast.templates.providers.base import Made, Providers, ResourceRequest
from overcast.templates.providers.operated import Operations, OperationsOf, Properties, gone_already
from overcast.templates.providers.tags import removed, tag_map

# Queue property -> the attribute's value when the template does not set it (None: not set on such a queue).
_ATTRIBUTES: Mapping[str, str | None] = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "RedrivePolicy": "",
    "RedriveAllowPolicy": None,
    "KmsMasterKeyId": None,
    "KmsDataKeyReusePeriodSeconds": "300",
    "SqsManagedSseEnabled": None,
}
_FIFO_ATTRIBUTES: Mapping[str, str | None] = {
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}


def attribute(value: Any) -> str:
    """A property as SQS's attributes carry it: text, booleans lower-case, policies as JSON text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _fifo(p: Properties) -> bool:
    return attribute(p.get("FifoQueue", False)) == "true"


def _attributes(p: Properties) -> dict[str, str]:
    known = {**_ATTRIBUTES, **(_FIFO_ATTRIBUTES if _fifo(p) else {})}
    out = {name: attribute(p[name]) for name in known if name in p}
    if _fifo(p):
        out["FifoQueue"] = "true"
    return out


def _resets(p: Properties, previous: Properties) -> dict[str, str]:
    """The attributes to set on an update: the changed ones, and the defaults of those the template dropped."""
    known = {**_ATTRIBUTES, **(_FIFO_ATTRIBUTES if _fifo(p) else {})}
    out: dict[str, str] = {}
    for name, default in known.items():
        if name in p and p.get(name) != previous.get(name):
            out[name] = attribute(p[name])
        elif name not in p and name in previous and default is not None:
            out[name] = default
    return out


@dataclass(frozen=True, slots=True)
class QueueProvider:
    """CreateQueue. Ref: the queue's URL; GetAtt Arn, QueueName, QueueUrl."""

    operations: OperationsOf

    @staticmethod
    async def _made(ops: Operations, request: ResourceRequest, url: str) -> Made:
        out = await ops["GetQueueAttributes"](request.ctx, {"QueueUrl": url, "AttributeNames": ["QueueArn"]})
        arn = out["Attributes"]["QueueArn"]
        parsed = parse_arn(arn)
        return Made(url, {"Arn": arn, "QueueName": parsed.resource if parsed else "", "QueueUrl": url})

    async def create(self, request: ResourceRequest) -> Made:
        p, ops = request.properties, await self.operations()
        name = p.get("QueueName") or (
            f"{request.physical_name(75)}.fifo" if _fifo(p) else request.physical_name(80)
        )  # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html: 80 characters
        params: dict[str, Any] = {"QueueName": name, "Attributes": _attributes(p)}
        if tag_map(p.get("Tags")):
            params["tags"] = tag_map(p.get("Tags"))
        out = await ops["CreateQueue"](request.ctx, params)
        return await self._made(ops, request, out["QueueUrl"])

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p, ops, url = request.properties, await self.operations(), current.ref
        changed = _resets(p, previous)
        if changed:
            await ops["SetQueueAttributes"](request.ctx, {"QueueUrl": url, "Attributes": changed})
        new, old = p.get("Tags"), previous.get("Tags")
        if new != old:
            if removed(old, new):
                await ops["UntagQueue"](request.ctx, {"QueueUrl": url, "TagKeys": removed(old, new)})
            if tag_map(new):
                await ops["TagQueue"](request.ctx, {"QueueUrl": url, "Tags": tag_map(new)})
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ops = await self.operations()
        with gone_already():
            await ops["DeleteQueue"](request.ctx, {"QueueUrl": current.ref})


async def _set_policy(ops: Operations, request: ResourceRequest, urls: list[str], policy: str) -> None:
    for url in urls:
        await ops["SetQueueAttributes"](request.ctx, {"QueueUrl": url, "Attributes": {"Policy": policy}})


async def _clear_policy(ops: Operations, request: ResourceRequest, urls: list[str]) -> None:
    for url in urls:
        with gone_already():  # a queue deleted before its policy: nothing to clear
            await ops["SetQueueAttributes"](request.ctx, {"QueueUrl": url, "Attributes": {"Policy": ""}})


@dataclass(frozen=True, slots=True)
class QueuePolicyProvider:
    """The Policy attribute of each of Queues (URLs). Ref: a generated id (CloudFormation's physical id)."""

    operations: OperationsOf

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        await _set_policy(await self.operations(), request, list(p["Queues"]), attribute(p["PolicyDocument"]))
        return Made(request.physical_name())

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p, ops = request.properties, await self.operations()
        await _clear_policy(ops, request, [url for url in previous.get("Queues") or () if url not in p["Queues"]])
        await _set_policy(ops, request, list(p["Queues"]), attribute(p["PolicyDocument"]))
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        await _clear_policy(await self.operations(), request, list(request.properties.get("Queues") or ()))


@dataclass(frozen=True, slots=True)
class QueueInlinePolicyProvider:
    """The Policy attribute of Queue (a URL). Ref: a generated id."""

    operations: OperationsOf

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        await _set_policy(await self.operations(), request, [p["Queue"]], attribute(p["PolicyDocument"]))
        return Made(request.physical_name())

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p = request.properties
        await _set_policy(await self.operations(), request, [p["Queue"]], attribute(p["PolicyDocument"]))
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        await _clear_policy(await self.operations(), request, [request.properties["Queue"]])


def register(providers: Providers, operations: OperationsOf) -> None:
    providers.add("AWS::SQS::Queue", QueueProvider(operations))
    providers.add("AWS::SQS::QueuePolicy", QueuePolicyProvider(operations))
    providers.add("AWS::SQS::QueueInlinePolicy", QueueInlinePolicyProvider(operations))
