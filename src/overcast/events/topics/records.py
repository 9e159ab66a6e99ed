"""SNS's records: topics and their subscriptions, as the store keeps them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    arn: str
    account: str
    region: str
    name: str
    attributes: Mapping[str, str]  # the attributes set by CreateTopic / SetTopicAttributes / AddPermission
    data_protection_policy: str
    created: float

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoTopic") == "true"


@dataclass(frozen=True, slots=True)
class Subscription:
    arn: str
    topic_arn: str
    account: str  # the owner: the account that subscribed
    protocol: str
    endpoint: str
    attributes: Mapping[str, str]  # FilterPolicy, RawMessageDelivery... as set
    token: str  # the confirmation token sent to the endpoint
    confirmed: bool
    created: float

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery") == "true"
