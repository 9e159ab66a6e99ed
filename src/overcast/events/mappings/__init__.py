"""Event source mappings: Lambda polling a queue and invoking a function with its messages in batches.

`catalog.py` keeps the mappings (Create/Get/Update/Delete/ListEventSourceMappings), `records.py` their settings
and lifecycle, `settings.py` Lambda's checks of them, `pollers.py` the tasks that poll an Enabled mapping's queue,
`batches.py` what one batch becomes (the event, its filters, the function's answer). The queues service is
reached through `QueuesOnFirstUse`, so a server that maps nothing builds no queues.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.events.mappings.batches import QueueMessage
from overcast.events.mappings.catalog import Mappings
from overcast.events.mappings.pollers import SqsPollers
from overcast.store import Store

if TYPE_CHECKING:
    from overcast.functions.invoke import InvokeService


class QueuesOnFirstUse:
    """The queues service, asked for (and so built) on the first call that needs it."""

    def __init__(self, queues: Callable[[], Awaitable[Any]]) -> None:
        self._queues = queues

    async def attributes(self, ctx: RequestContext, queue: str) -> Mapping[str, str]:
        result: Mapping[str, str] = await (await self._queues()).attributes(ctx, queue)
        return result

    async def receive(
        self,
        ctx: RequestContext,
        queue: str,
        *,
        max_messages: int = 1,
        wait_seconds: float | None = None,
        visibility_timeout: int | None = None,
    ) -> Sequence[QueueMessage]:
        queues = await self._queues()
        received: Sequence[QueueMessage] = await queues.receive(
            ctx, queue, max_messages=max_messages, wait_seconds=wait_seconds, visibility_timeout=visibility_timeout
        )
        return received

    async def delete(self, ctx: RequestContext, queue: str, receipt_handle: str) -> None:
        await (await self._queues()).delete(ctx, queue, receipt_handle)


def build(
    store: Store, clock: Clock, invoker: InvokeService, queues: Callable[[], Awaitable[Any]], *, most: int = 10
) -> Mappings:
    """The mappings and their pollers (`mappings.pollers`), over the queues `queues` gives when first asked."""
    reached = QueuesOnFirstUse(queues)
    pollers = SqsPollers(reached, invoker, clock, most=most)
    mappings = Mappings(store, clock, reached, pollers)
    pollers.report = mappings.processed
    return mappings
