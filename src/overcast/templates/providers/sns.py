"""SNS's CloudFormation types: Topic, Subscription, TopicPolicy and TopicInlinePolicy, over the sns operations.

A topic's and a subscription's properties are their attributes (SetTopicAttributes / SetSubscriptionAttributes
take one at a time, as text); a Topic's inline `Subscription` list is subscribed and unsubscribed as it changes.
Properties, Ref and Fn::GetAtt as the template reference documents each type
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html,
aws-resource-sns-subscription.html, aws-resource-sns-topicpolicy.html, aws-resource-sns-topicinlinepolicy.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.arn import parse_arn
from overcast.templates.providers.base import Made, Providers, ResourceRequest, Unsupported
from overcast.templates.providers.operated import Operations, OperationsOf, Properties, gone_already
from overcast.templates.providers.sqs import attribute
from overcast.templates.providers.tags import removed, tag_map

_TOPIC_ATTRIBUTES = (
    "DisplayName", "KmsMasterKeyId", "ContentBasedDeduplication", "SignatureVersion", "TracingConfig",
    "ArchivePolicy", "FifoThroughputScope",
)  # fmt: skip
# DeliveryStatusLogging's protocols, as the topic attributes that hold them begin
# (https://docs.aws.amazon.com/sns/latest/dg/topics-attrib.html).
_LOGGING_PREFIXES = {
    "http/s": "HTTP", "sqs": "SQS", "lambda": "Lambda", "firehose": "Firehose", "application": "Application",
}  # fmt: skip
_SUBSCRIPTION_ATTRIBUTES = (
    "DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
    "ReplayPolicy", "SubscriptionRoleArn",
)  # fmt: skip


def _fifo(p: Properties) -> bool:
    return attribute(p.get("FifoTopic", False)) == "true"


def _topic_attributes(p: Properties) -> dict[str, str]:
    out = {name: attribute(p[name]) for name in _TOPIC_ATTRIBUTES if name in p}
    if _fifo(p):
        out["FifoTopic"] = "true"
    for logging in p.get("DeliveryStatusLogging") or ():
        prefix = _LOGGING_PREFIXES.get(str(logging.get("Protocol", "")), str(logging.get("Protocol", "")))
        for field in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn"):
            if field in logging:
                out[f"{prefix}{field}"] = attribute(logging[field])
    return out


def _endpoints(p: Properties) -> set[tuple[str, str]]:
    return {(str(s["Protocol"]), str(s["Endpoint"])) for s in p.get("Subscription") or ()}


@dataclass(frozen=True, slots=True)
class TopicProvider:
    """CreateTopic, then Subscribe for each of Subscription. Ref: the topic's ARN; GetAtt TopicArn, TopicName."""

    operations: OperationsOf

    async def create(self, request: ResourceRequest) -> Made:
        p, ops, ctx = request.properties, await self.operations(), request.ctx
        # https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html: up to 256 characters, FIFO's with .fifo
        name = p.get("TopicName") or (f"{request.physical_name(251)}.fifo" if _fifo(p) else request.physical_name(256))
        params: dict[str, Any] = {"Name": name, "Attributes": _topic_attributes(p)}
        if tag_map(p.get("Tags")):
            params["Tags"] = [{"Key": k, "Value": v} for k, v in tag_map(p.get("Tags")).items()]
        if p.get("DataProtectionPolicy"):
            params["DataProtectionPolicy"] = attribute(p["DataProtectionPolicy"])
        arn = (await ops["CreateTopic"](ctx, params))["TopicArn"]
        try:
            for protocol, endpoint in sorted(_endpoints(p)):
                await ops["Subscribe"](ctx, {"TopicArn": arn, "Protocol": protocol, "Endpoint": endpoint})
        except BaseException:
            with gone_already():
                await ops["DeleteTopic"](ctx, {"TopicArn": arn})
            raise
        return Made(arn, {"TopicArn": arn, "TopicName": name})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p, ops, ctx, arn = request.properties, await self.operations(), request.ctx, current.ref
        new, old = _topic_attributes(p), _topic_attributes(previous)
        for name in sorted(set(new) | set(old)):
            if new.get(name) != old.get(name):
                value = new.get(name, "")  # a dropped attribute is cleared
                await ops["SetTopicAttributes"](ctx, {"TopicArn": arn, "AttributeName": name, "AttributeValue": value})
        if p.get("DataProtectionPolicy") != previous.get("DataProtectionPolicy"):
            policy = attribute(p["DataProtectionPolicy"]) if p.get("DataProtectionPolicy") else ""
            await ops["PutDataProtectionPolicy"](ctx, {"ResourceArn": arn, "DataProtectionPolicy": policy})
        await self._resubscribe(ops, request, arn, previous)
        tags, old_tags = p.get("Tags"), previous.get("Tags")
        if tags != old_tags:
            if removed(old_tags, tags):
                await ops["UntagResource"](ctx, {"ResourceArn": arn, "TagKeys": removed(old_tags, tags)})
            if tag_map(tags):
                pairs = [{"Key": k, "Value": v} for k, v in tag_map(tags).items()]
                await ops["TagResource"](ctx, {"ResourceArn": arn, "Tags": pairs})
        return current

    @staticmethod
    async def _resubscribe(ops: Operations, request: ResourceRequest, arn: str, previous: Properties) -> None:
        new, old = _endpoints(request.properties), _endpoints(previous)
        if new == old:
            return
        if old - new:
            listed = await _subscriptions(ops, request, arn)
            for subscription in listed:
                if (subscription["Protocol"], subscription["Endpoint"]) in old - new:
                    with gone_already():
                        await ops["Unsubscribe"](request.ctx, {"SubscriptionArn": subscription["SubscriptionArn"]})
        for protocol, endpoint in sorted(new - old):
            await ops["Subscribe"](request.ctx, {"TopicArn": arn, "Protocol": protocol, "Endpoint": endpoint})

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ops = await self.operations()
        with gone_already():
            await ops["DeleteTopic"](request.ctx, {"TopicArn": current.ref})


async def _subscriptions(ops: Operations, request: ResourceRequest, arn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TopicArn": arn}
    while True:
        out = await ops["ListSubscriptionsByTopic"](request.ctx, params)
        found.extend(out.get("Subscriptions") or ())
        if not out.get("NextToken"):
            return found
        params["NextToken"] = out["NextToken"]


def _subscription_attributes(p: Properties) -> dict[str, str]:
    return {name: attribute(p[name]) for name in _SUBSCRIPTION_ATTRIBUTES if name in p}


@dataclass(frozen=True, slots=True)
class SubscriptionProvider:
    """Subscribe (with ReturnSubscriptionArn, so an endpoint still to confirm has its ARN too). Ref and GetAtt
    Arn: the subscription's ARN."""

    operations: OperationsOf

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        params: dict[str, Any] = {
            "TopicArn": p["TopicArn"], "Protocol": p["Protocol"], "ReturnSubscriptionArn": True,
            "Attributes": _subscription_attributes(p),
        }  # fmt: skip
        if "Endpoint" in p:
            params["Endpoint"] = p["Endpoint"]
        arn = (await (await self.operations())["Subscribe"](request.ctx, params))["SubscriptionArn"]
        return Made(arn, {"Arn": arn})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        ops = await self.operations()
        new, old = _subscription_attributes(request.properties), _subscription_attributes(previous)
        for name in sorted(set(new) | set(old)):
            if new.get(name) != old.get(name):
                await ops["SetSubscriptionAttributes"](
                    request.ctx,
                    {"SubscriptionArn": current.ref, "AttributeName": name, "AttributeValue": new.get(name, "")},
                )
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ops = await self.operations()
        with gone_already():
            await ops["Unsubscribe"](request.ctx, {"SubscriptionArn": current.ref})


def default_policy(topic_arn: str) -> str:
    """The policy SNS gives a topic it creates (its owner may do everything), which a TopicPolicy deleted leaves
    behind (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html)."""
    parsed = parse_arn(topic_arn)
    account = parsed.account if parsed is not None else ""
    actions = [
        "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
        "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish",
    ]  # fmt: skip
    statement = {
        "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": actions,
        "Resource": topic_arn, "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
    }  # fmt: skip
    return json.dumps({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [statement]})


async def _set_policies(ops: Operations, request: ResourceRequest, topics: list[str], policy: str | None) -> None:
    for arn in topics:
        with gone_already():  # a topic deleted before its policy: nothing to reset
            value = policy if policy is not None else default_policy(arn)
            await ops["SetTopicAttributes"](
                request.ctx, {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": value}
            )


@dataclass(frozen=True, slots=True)
class TopicPolicyProvider:
    """The Policy attribute of each of Topics; deleted, each topic gets SNS's default policy back. Ref: an id."""

    operations: OperationsOf
    inline: bool = False  # TopicInlinePolicy: one topic, `TopicArn`

    def _topics(self, p: Properties) -> list[str]:
        return [str(p["TopicArn"])] if self.inline else [str(arn) for arn in p.get("Topics") or ()]

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        await _set_policies(await self.operations(), request, self._topics(p), attribute(p["PolicyDocument"]))
        return Made(request.physical_name())

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        p, ops = request.properties, await self.operations()
        dropped = [arn for arn in self._topics(previous) if arn not in self._topics(p)]
        await _set_policies(ops, request, dropped, None)
        await _set_policies(ops, request, self._topics(p), attribute(p["PolicyDocument"]))
        return current

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        await _set_policies(await self.operations(), request, self._topics(request.properties), None)


def register(providers: Providers, operations: OperationsOf) -> None:
    providers.add("AWS::SNS::Topic", TopicProvider(operations))
    providers.add(
        "AWS::SNS::Subscription",
        SubscriptionProvider(operations),
        [Unsupported("Region", "subscribing to a topic of another Region (Overcast serves each Region alone)")],
    )
    providers.add("AWS::SNS::TopicPolicy", TopicPolicyProvider(operations))
    providers.add("AWS::SNS::TopicInlinePolicy", TopicPolicyProvider(operations, inline=True))
