"""SNS operations (query protocol): botocore-named parameters in, the topics package called, botocore-named outputs out.

Rules and errors live in `overcast.events.topics`; only the wire names live here. Topics and their
attributes, tags, permissions and data protection policies are here; subscriptions in sns_subscriptions.py.
https://docs.aws.amazon.com/sns/latest/api/API_Operations.html
"""

from __future__ import annotations

import json

from overcast.api.services import OperationTable, Output, Params, Unbound, bind, sns_publish, sns_subscriptions
from overcast.context import RequestContext
from overcast.events.topics import Sns
from overcast.events.topics.attributes import DEFAULT_DELIVERY_POLICY
from overcast.kit import tags


async def create_topic(s: Sns, ctx: RequestContext, p: Params) -> Output:
    arn = await s.topics.create(
        ctx,
        p["Name"],
        p.get("Attributes") or {},
        tags.from_pairs(p.get("Tags") or []),
        p.get("DataProtectionPolicy") or "",
    )
    return {"TopicArn": arn}


async def delete_topic(s: Sns, ctx: RequestContext, p: Params) -> Output:
    await s.topics.delete(ctx, p["TopicArn"])
    return {}


async def list_topics(s: Sns, ctx: RequestContext, p: Params) -> Output:
    arns, token = await s.topics.listed(ctx, p.get("NextToken"))
    out: Output = {"Topics": [{"TopicArn": arn} for arn in arns]}
    if token:
        out["NextToken"] = token
    return out


async def get_topic_attributes(s: Sns, ctx: RequestContext, p: Params) -> Output:
    topic = await s.topics.get(ctx, p["TopicArn"])
    counts = await s.subscriptions.counts(topic.arn)
    set_ = dict(topic.attributes)
    delivery = set_.get("DeliveryPolicy")
    out = {
        "TopicArn": topic.arn,
        "Owner": topic.account,
        "DisplayName": "",
        "SubscriptionsConfirmed": str(counts["confirmed"]),
        "SubscriptionsPending": str(counts["pending"]),
        "SubscriptionsDeleted": "0",
        "Policy": json.dumps(s.topics.policy(topic), separators=(",", ":")),
        "EffectiveDeliveryPolicy": json.dumps(
            {**DEFAULT_DELIVERY_POLICY, **json.loads(delivery)} if delivery else DEFAULT_DELIVERY_POLICY,
            separators=(",", ":"),
        ),
        **set_,
    }
    if topic.fifo:
        out.setdefault("ContentBasedDeduplication", "false")
    return {"Attributes": out}


async def set_topic_attributes(s: Sns, ctx: RequestContext, p: Params) -> Output:
    await s.topics.set_attribute(ctx, p["TopicArn"], p["AttributeName"], p.get("AttributeValue") or "")
    return {}


async def add_permission(s: Sns, ctx: RequestContext, p: Params) -> Output:
    await s.topics.add_permission(ctx, p["TopicArn"], p["Label"], p["AWSAccountId"], p["ActionName"])
    return {}


async def remove_permission(s: Sns, ctx: RequestContext, p: Params) -> Output:
    await s.topics.remove_permission(ctx, p["TopicArn"], p["Label"])
    return {}


async def get_data_protection_policy(s: Sns, ctx: RequestContext, p: Params) -> Output:
    policy = await s.topics.data_protection(ctx, p["ResourceArn"])
    return {"DataProtectionPolicy": policy} if policy else {}


async def put_data_protection_policy(s: Sns, ctx: RequestContext, p: Params) -> Output:
    await s.topics.put_data_protection(ctx, p["ResourceArn"], p["DataProtectionPolicy"])
    return {}


async def tag_resource(s: Sns, ctx: RequestContext, p: Params) -> Output:
    await s.topics.tagging.tag(ctx, p["ResourceArn"], tags.from_pairs(p["Tags"]))
    return {}


async def untag_resource(s: Sns, ctx: RequestContext, p: Params) -> Output:
    await s.topics.tagging.untag(ctx, p["ResourceArn"], p["TagKeys"])
    return {}


async def list_tags_for_resource(s: Sns, ctx: RequestContext, p: Params) -> Output:
    return {"Tags": tags.to_pairs(await s.topics.tagging.tags(ctx, p["ResourceArn"]))}


HANDLERS: dict[str, Unbound[Sns]] = {
    "CreateTopic": create_topic,
    "DeleteTopic": delete_topic,
    "ListTopics": list_topics,
    "GetTopicAttributes": get_topic_attributes,
    "SetTopicAttributes": set_topic_attributes,
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "GetDataProtectionPolicy": get_data_protection_policy,
    "PutDataProtectionPolicy": put_data_protection_policy,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    **sns_subscriptions.HANDLERS,
    **sns_publish.HANDLERS,
}


def operations(sns: Sns) -> OperationTable:
    return bind(HANDLERS, sns)
