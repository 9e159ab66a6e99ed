"""SNS: topics and their subscriptions, kept in the store; filter policies; publishing and delivery.

`build(...)` migrates the tables and gives the services the operation table calls; deliveries left on the
bus by an earlier run resume at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from overcast.clock import Clock
from overcast.events.topics.deliveries import Deliveries
from overcast.events.topics.publishing import Publisher
from overcast.events.topics.schema import STEPS
from overcast.events.topics.signing import Signer, loaded
from overcast.events.topics.subscriptions import Subscriptions
from overcast.events.topics.targets import Targets
from overcast.events.topics.topics import Topics
from overcast.kit import tags
from overcast.store import Store

if TYPE_CHECKING:
    from overcast.bus.on_demand import OnDemandBus


@dataclass(frozen=True, slots=True)
class Sns:
    topics: Topics
    subscriptions: Subscriptions
    publisher: Publisher
    deliveries: Deliveries
    signer: Signer

    async def close(self) -> None:
        await self.deliveries.close()


async def build(store: Store, clock: Clock, bus: OnDemandBus, data_dir: Path, base_url: str, targets: Targets) -> Sns:
    """SNS's services over `store` and `bus`, its tables migrated, its signing key read (or made)."""
    await tags.migrate(store)
    await store.migrate("sns", STEPS)
    signer = await loaded(Signer(data_dir))
    deliveries = Deliveries(bus, store, clock, signer, base_url, targets)
    topics = Topics(store, clock)
    subscriptions = Subscriptions(store, clock, topics, deliveries.announce)
    sns = Sns(topics, subscriptions, Publisher(store, clock, topics, subscriptions, deliveries), deliveries, signer)
    await deliveries.resume()
    return sns
