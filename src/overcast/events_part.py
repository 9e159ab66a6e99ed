"""The event services' part of the composition root: SQS's queues, SNS's topics and Lambda's event source mappings.

server.py adds them as parts built on their first use (their modules and the bus cost an idle server nothing):
SQS on its first request or when SNS or a mapping first needs a queue, SNS on its first request, the mappings on
Lambda's first mapping call. At start, what an earlier run left waiting resumes: SNS's deliveries on the bus, the
Enabled mappings' pollers, and SQS's running message move tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from overcast.errors import NotImplementedOperation
from overcast.events.queues.schema import moves_left_running
from overcast.functions.invoke import InvokeService
from overcast.parts import Part
from overcast.store import Store
from overcast.store.migrations import components

if TYPE_CHECKING:
    from overcast.events.mappings.catalog import Mappings
    from overcast.events.queues import Queues
    from overcast.server import Overcast

log = logging.getLogger(__name__)

MappingsOnFirstUse = Callable[[], Awaitable["Mappings"]]


async def no_mappings() -> Mappings:
    raise NotImplementedOperation("Event source mappings are not built in this server.")


def add_event_parts(system: Overcast, store: Store, invoker: InvokeService) -> MappingsOnFirstUse:
    """The "sqs" and "sns" parts; answers how Lambda's mapping operations reach the mappings."""
    system.parts["sns"] = Part("SNS", lambda: _sns(system, store))
    system.parts["sqs"] = Part("SQS", lambda: _sqs(system, store))
    return _mappings(system, store, invoker)


async def resume_event_parts(system: Overcast, store: Store) -> None:
    """What an earlier run left waiting: SNS's deliveries on the bus, the Enabled mappings' pollers (their first
    receive builds the queues), and the message move tasks that were running."""
    built = await components(store)
    if "sqs" in built and await moves_left_running(store):
        moves = (await _queues(system)).moves
        log.info("resumed %d message move task(s)", await moves.resume())
    if "sns" in built:
        await system.parts["sns"].ready()
    if "mappings" in built:
        mappings = await system.mappings_on_first_use()
        for mapping in await mappings.enabled():
            await mappings.pollers.apply(mapping)


async def _queues(system: Overcast) -> Queues:
    """SQS's queues, built on their first use (which may be SNS's or a mapping's)."""
    await system.parts["sqs"].ready()
    assert system.queues is not None
    return system.queues


def _mappings(system: Overcast, store: Store, invoker: InvokeService) -> MappingsOnFirstUse:
    """Event source mappings and their pollers, built on first use; the pollers reach the queues through the
    "sqs" part."""

    async def mappings() -> Mappings:
        if system.mappings is None:
            from overcast.events import mappings as event_sources

            system.mappings = event_sources.build(store, system.clock, invoker, lambda: _queues(system))
            system.closers.append(system.mappings.pollers.close)
        return system.mappings

    return mappings


async def _sns(system: Overcast, store: Store) -> None:
    """SNS's topics and subscriptions, and its operation table."""
    from overcast.api.services import sns as sns_api
    from overcast.events import topics
    from overcast.events.topics.targets import Targets

    assert system.bus is not None
    targets = Targets(invoker=system.invoker, queues=lambda: _queues(system))
    data_dir = system.settings.data_dir
    sns = system.sns = await topics.build(store, system.clock, system.bus, data_dir, system.url, targets)
    system.closers.append(sns.close)
    system.tables["sns"] = sns_api.operations(sns)


async def _sqs(system: Overcast, store: Store) -> None:
    """SQS's queues (definitions in the store, messages on the bus) and its operation table."""
    from overcast.api.services import sqs
    from overcast.events import queues

    assert system.bus is not None
    system.queues = await queues.build(store, system.clock, system.bus, system.url)
    system.closers.append(system.queues.close)
    system.tables["sqs"] = sqs.operations(system.queues)
