"""SNS: topics and their subscriptions, kept in the store; filter policies; publishing and delivery.

`build(store, clock)` migrates the tables and gives the services the operation table calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from overcast.clock import Clock
from overcast.events.topics.schema import STEPS
from overcast.events.topics.subscriptions import Subscriptions
from overcast.events.topics.topics import Topics
from overcast.kit import tags
from overcast.store import Store


@dataclass(frozen=True, slots=True)
class Sns:
    topics: Topics
    subscriptions: Subscriptions


async def build(store: Store, clock: Clock) -> Sns:
    """SNS's services over `store`, its tables migrated."""
    await tags.migrate(store)
    await store.migrate("sns", STEPS)
    topics = Topics(store, clock)
    return Sns(topics, Subscriptions(store, clock, topics))
