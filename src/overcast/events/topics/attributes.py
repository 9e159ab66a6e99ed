"""Topic and subscription attributes: which exist, what values each takes, and what SNS answers for them.

Topic attributes: https://docs.aws.amazon.com/sns/latest/api/API_SetTopicAttributes.html; subscription
attributes: https://docs.aws.amazon.com/sns/latest/api/API_SetSubscriptionAttributes.html; delivery
policies: https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from overcast.events.topics.errors import InvalidParameter, invalid

# Delivery-status logging attributes exist for each of these protocols.
_FEEDBACK = ("Application", "Firehose", "HTTP", "Lambda", "SQS")
FEEDBACK = frozenset(
    f"{p}{kind}"
    for p in _FEEDBACK
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
SETTABLE_TOPIC = frozenset(
    {
        "DeliveryPolicy",
        "DisplayName",
        "Policy",
        "TracingConfig",
        "KmsMasterKeyId",
        "SignatureVersion",
        "ContentBasedDeduplication",
        "ArchivePolicy",
        "FifoThroughputScope",
        *FEEDBACK,
    }
)
CREATE_TOPIC = SETTABLE_TOPIC | {"FifoTopic"}
SUBSCRIPTION = frozenset(
    {
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    }
)
RAW_PROTOCOLS = frozenset({"http", "https", "sqs", "firehose"})
BACKOFF = frozenset({"arithmetic", "exponential", "geometric", "linear"})

# What a topic with no DeliveryPolicy of its own delivers with (GetTopicAttributes' EffectiveDeliveryPolicy).
DEFAULT_HTTP_RETRY = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}
DEFAULT_DELIVERY_POLICY = {
    "http": {
        "defaultHealthyRetryPolicy": DEFAULT_HTTP_RETRY,
        "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
    }
}


def default_policy(arn: str, account: str) -> dict[str, Any]:
    """The access policy SNS gives a new topic: its owner may do everything."""
    return {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "SNS:GetTopicAttributes",
                    "SNS:SetTopicAttributes",
                    "SNS:AddPermission",
                    "SNS:RemovePermission",
                    "SNS:DeleteTopic",
                    "SNS:Subscribe",
                    "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish",
                ],
                "Resource": arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
            }
        ],
    }


def _json_object(name: str, value: str) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except ValueError:
        raise invalid("Attributes", f"{name}: failed to parse JSON.") from None
    if not isinstance(parsed, dict):
        raise invalid("Attributes", f"{name}: JSON must be an object.")
    return parsed


def _boolean(name: str, value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise invalid("Attributes", f"{name}: Invalid value [{value}]. Must be true or false.")
    return value.lower()


def check_topic_attribute(name: str, value: str, *, fifo: bool, creating: bool = False) -> str:
    """The value to store for one topic attribute, or SNS's refusal."""
    if name not in (CREATE_TOPIC if creating else SETTABLE_TOPIC):
        raise InvalidParameter("Invalid parameter: AttributeName")
    match name:
        case "Policy":
            policy = _json_object("Policy", value)
            if not isinstance(policy.get("Statement"), list | dict):
                raise invalid("Policy", "Policy statement must be an array or an object.")
        case "DeliveryPolicy":
            check_delivery_policy(_json_object("DeliveryPolicy", value), topic=True)
        case "DisplayName" if len(value) > 100:
            raise invalid("DisplayName", "DisplayName must be at most 100 characters long.")
        case "SignatureVersion" if value not in ("1", "2"):
            raise invalid("SignatureVersion")
        case "TracingConfig" if value not in ("PassThrough", "Active"):
            raise invalid("TracingConfig", "Valid values are PassThrough and Active")
        case "FifoTopic":
            return _boolean(name, value)
        case "ContentBasedDeduplication":
            value = _boolean(name, value)
            if not fifo and value == "true":
                raise invalid(name, "Content based deduplication can only be set for FIFO topics")
        case "FifoThroughputScope":
            if not fifo:
                raise invalid("Attributes", "FifoThroughputScope can only be set for FIFO topics")
            if value not in ("Topic", "MessageGroup"):
                raise invalid("FifoThroughputScope", "Valid values are Topic and MessageGroup")
        case "ArchivePolicy":
            if not fifo:
                raise invalid("Attributes", "ArchivePolicy can only be set for FIFO topics")
            days = _json_object("ArchivePolicy", value).get("MessageRetentionPeriod")
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
                raise invalid("ArchivePolicy", "MessageRetentionPeriod must be an integer between 1 and 365")
        case _ if name.endswith("SampleRate"):
            if not value.isdigit() or not 0 <= int(value) <= 100:
                raise invalid("Attributes", f"{name}: must be an integer between 0 and 100")
    return value


def _retry_policy(where: str, policy: dict[str, Any]) -> None:
    numbers = {k: v for k, v in policy.items() if k != "backoffFunction"}
    for key, value in numbers.items():
        if key not in DEFAULT_HTTP_RETRY or not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise invalid("DeliveryPolicy", f"{where}.{key}: must be a non-negative integer")
    low = policy.get("minDelayTarget", 20)
    high = policy.get("maxDelayTarget", 20)
    if not 1 <= low <= high:
        raise invalid("DeliveryPolicy", f"{where}.minDelayTarget must be between 1 and maxDelayTarget")
    if high > 3600:
        raise invalid("DeliveryPolicy", f"{where}.maxDelayTarget must be at most 3600")
    if policy.get("numRetries", 3) > 100:
        raise invalid("DeliveryPolicy", f"{where}.numRetries must be at most 100")
    phases = sum(policy.get(k, 0) for k in ("numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries"))
    if phases > policy.get("numRetries", 3):
        raise invalid("DeliveryPolicy", f"{where}: the retry phases add up to more than numRetries")
    backoff = policy.get("backoffFunction", "linear")
    if backoff not in BACKOFF:
        raise invalid("DeliveryPolicy", f"{where}.backoffFunction must be one of {sorted(BACKOFF)}")


def _throttle_policy(where: str, policy: dict[str, Any]) -> None:
    rate = policy.get("maxReceivesPerSecond", 1)
    if not isinstance(rate, int) or isinstance(rate, bool) or rate < 1:
        raise invalid("DeliveryPolicy", f"{where}.maxReceivesPerSecond must be a positive integer")


def _request_policy(where: str, policy: dict[str, Any]) -> None:
    kind = policy.get("headerContentType", "text/plain")
    if not isinstance(kind, str) or not kind:
        raise invalid("DeliveryPolicy", f"{where}.headerContentType must be a content type")


# A delivery policy's parts: (the name in a subscription's policy, in a topic's, the check of either).
_POLICY_PARTS = (
    ("healthyRetryPolicy", "defaultHealthyRetryPolicy", _retry_policy),
    ("throttlePolicy", "defaultThrottlePolicy", _throttle_policy),
    ("requestPolicy", "defaultRequestPolicy", _request_policy),
)


def check_delivery_policy(policy: Mapping[str, Any], *, topic: bool) -> None:
    """A topic's policy is keyed by protocol ({"http": {"defaultHealthyRetryPolicy": ...}}), a subscription's
    is the protocol's own ({"healthyRetryPolicy": ...}); each may hold a throttle policy (deliveries a second, per
    subscription) and a request policy (the Content-Type of what is posted):
    https://docs.aws.amazon.com/sns/latest/dg/set-topic-attributes-delivery-policy-json.html and
    set-sub-attributes-delivery-policy-json.html."""
    if not topic:
        _check_parts("", policy, topic=False)
        return
    for protocol, body in policy.items():
        if not isinstance(body, dict):
            raise invalid("DeliveryPolicy", f"{protocol}: must be an object")
        _check_parts(f"{protocol}.", body, topic=True)


def _check_parts(where: str, policy: Mapping[str, Any], *, topic: bool) -> None:
    for subscription_name, topic_name, check in _POLICY_PARTS:
        name = topic_name if topic else subscription_name
        if name not in policy:
            continue
        if not isinstance(policy[name], dict):
            raise invalid("DeliveryPolicy", f"{where}{name}: must be an object")
        check(f"{where}{name}", policy[name])


def check_subscription_attribute(name: str, value: str, protocol: str) -> str:
    """The value to store for one subscription attribute, or SNS's refusal."""
    if name not in SUBSCRIPTION:
        raise InvalidParameter("Invalid parameter: AttributeName")
    match name:
        case "RawMessageDelivery":
            value = _boolean(name, value)
            if protocol not in RAW_PROTOCOLS:
                raise invalid("Attributes", f"Delivery protocol [{protocol}] does not support raw message delivery.")
        case "FilterPolicyScope" if value not in ("MessageAttributes", "MessageBody"):
            raise invalid(
                "Attributes",
                f"FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes",
            )
        case "DeliveryPolicy":
            if protocol not in ("http", "https"):
                raise invalid("DeliveryPolicy", f"Delivery protocol [{protocol}] does not support delivery policies.")
            check_delivery_policy(_json_object("DeliveryPolicy", value), topic=False)
        case "RedrivePolicy" if value:
            target = _json_object("RedrivePolicy", value).get("deadLetterTargetArn")
            if not isinstance(target, str) or not target.startswith("arn:") or ":sqs:" not in target:
                raise invalid("RedrivePolicy", "deadLetterTargetArn is missing or is not a valid Amazon SQS queue ARN.")
    return value


def effective_delivery_policy(topic_policy: str | None, subscription_policy: str | None = None) -> dict[str, Any]:
    """The http/https policy a delivery follows (its retries, throttle and request): the subscription's, unless the
    topic forbids overrides, over the topic's, over SNS's default."""
    http: dict[str, Any] = dict(DEFAULT_DELIVERY_POLICY["http"])
    if topic_policy:
        http.update(json.loads(topic_policy).get("http", {}))
    retry = {**DEFAULT_HTTP_RETRY, **http.get("defaultHealthyRetryPolicy", {})}
    throttle = http.get("defaultThrottlePolicy")
    request = http.get("defaultRequestPolicy", {"headerContentType": "text/plain; charset=UTF-8"})
    if subscription_policy and not http.get("disableSubscriptionOverrides"):
        own = json.loads(subscription_policy)
        retry = {**retry, **own.get("healthyRetryPolicy", {})}
        throttle = own.get("throttlePolicy", throttle)
        request = own.get("requestPolicy", request)
    return {"healthyRetryPolicy": retry, "throttlePolicy": throttle, "requestPolicy": request}
