"""SQS queues: definitions in the store, messages on the bus; `build(...)` assembles `Queues` for the
composition root, and other services call `Queues` as the SQS API does (see service.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.bus.on_demand import OnDemandBus
from overcast.clock import Clock
from overcast.store import Store

if TYPE_CHECKING:
    from overcast.events.queues.service import Queues

__all__ = ["Queues", "build"]


async def build(store: Store, clock: Clock, bus: OnDemandBus, base_url: str) -> Queues:
    """Migrate SQS's tables and give the service (the bus starts on the first message)."""
    from overcast.events.queues.definitions import Definitions
    from overcast.events.queues.schema import STEPS
    from overcast.events.queues.service import Queues
    from overcast.kit import tags

    await tags.migrate(store)
    await store.migrate("sqs", STEPS)
    return Queues(Definitions(store, clock), bus, clock, base_url)


def __getattr__(name: str) -> object:
    if name == "Queues":
        from overcast.events.queues.service import Queues

        return Queues
    raise AttributeError(name)
