"""SNS's subscription operations: Subscribe, ConfirmSubscription, Unsubscribe, the lists and the attributes."""

from __future__ import annotations

from overcast.api.services import Output, Params, Unbound
from overcast.context import RequestContext
from overcast.events.topics import Sns
from overcast.events.topics.records import Subscription
from overcast.events.topics.subscriptions import PENDING
from overcast.events.topics.topics import find


def _listed(sub: Subscription) -> Output:
    return {
        "SubscriptionArn": sub.arn if sub.confirmed else "PendingConfirmation",
        "Owner": sub.account,
        "Protocol": sub.protocol,
        "Endpoint": sub.endpoint,
        "TopicArn": sub.topic_arn,
    }


async def subscribe(s: Sns, ctx: RequestContext, p: Params) -> Output:
    made = await s.subscriptions.subscribe(
        ctx, p["TopicArn"], p["Protocol"], p.get("Endpoint") or "", p.get("Attributes") or {}
    )
    # "If you set this parameter to true, the response includes the ARN in all cases, even if the
    # subscription is not yet confirmed." (API_Subscribe.html)
    shown = made.confirmed or p.get("ReturnSubscriptionArn")
    return {"SubscriptionArn": made.arn if shown else PENDING}


async def confirm_subscription(s: Sns, ctx: RequestContext, p: Params) -> Output:
    confirmed = await s.subscriptions.confirm(ctx, p["TopicArn"], p["Token"])
    return {"SubscriptionArn": confirmed.arn}


async def unsubscribe(s: Sns, ctx: RequestContext, p: Params) -> Output:
    await s.subscriptions.unsubscribe(ctx, p["SubscriptionArn"])
    return {}


async def _list(s: Sns, ctx: RequestContext, p: Params, topic_arn: str | None) -> Output:
    found, token = await s.subscriptions.listed(ctx, p.get("NextToken"), topic_arn)
    out: Output = {"Subscriptions": [_listed(sub) for sub in found]}
    if token:
        out["NextToken"] = token
    return out


async def list_subscriptions(s: Sns, ctx: RequestContext, p: Params) -> Output:
    return await _list(s, ctx, p, None)


async def list_subscriptions_by_topic(s: Sns, ctx: RequestContext, p: Params) -> Output:
    return await _list(s, ctx, p, p["TopicArn"])


async def get_subscription_attributes(s: Sns, ctx: RequestContext, p: Params) -> Output:
    sub = await s.subscriptions.get(ctx, p["SubscriptionArn"])
    return {"Attributes": s.subscriptions.described(sub, await find(s.topics.store, sub.topic_arn))}


async def set_subscription_attributes(s: Sns, ctx: RequestContext, p: Params) -> Output:
    await s.subscriptions.set_attribute(ctx, p["SubscriptionArn"], p["AttributeName"], p.get("AttributeValue") or "")
    return {}


HANDLERS: dict[str, Unbound[Sns]] = {
    "Subscribe": subscribe,
    "ConfirmSubscription": confirm_subscription,
    "Unsubscribe": unsubscribe,
    "ListSubscriptions": list_subscriptions,
    "ListSubscriptionsByTopic": list_subscriptions_by_topic,
    "GetSubscriptionAttributes": get_subscription_attributes,
    "SetSubscriptionAttributes": set_subscription_attributes,
}
