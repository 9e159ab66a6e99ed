"""CloudFormation's part of the composition root: every service's resource providers, and the stacks engine.

server.py registers the providers when it composes the server (each over its service's domain objects; a
service built on first use is built when a stack first needs it) and builds the stacks engine, with the SAM
transform, on the first CloudFormation request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from overcast.api.services import OperationTable
from overcast.context import RequestContext
from overcast.functions.invoke import InvokeService
from overcast.functions.registry import Registry
from overcast.store import Store

if TYPE_CHECKING:
    from overcast.iam import Iam
    from overcast.server import Overcast
    from overcast.workflows.engine.machines import Machines


def register_providers(
    system: Overcast, registry: Registry, invoker: InvokeService, function_url_of: Callable[[str, str], str]
) -> None:
    """Each service's CloudFormation types (templates/providers/), over its own domain objects; those of a
    service built on first use build it when a stack first needs them."""
    from overcast.templates.providers import (
        apigateway,
        apigatewayv2,
        iam,
        lambda_,
        lambda_event_sources,
        sns,
        sqs,
        stepfunctions,
    )
    from overcast.templates.providers.logs import LogGroups

    async def machines() -> Machines:
        await system.parts["stepfunctions"].ready()
        assert system.workflows is not None
        return system.workflows.machines

    async def roles() -> Iam:
        await system.parts["iam"].ready()
        assert system.iam is not None
        return system.iam

    def operations(service: str) -> Callable[[], Awaitable[OperationTable]]:
        async def built() -> OperationTable:
            await system.parts[service].ready()
            return system.tables[service]

        return built

    lambda_.register(system.providers, registry, invoker, function_url_of)
    lambda_event_sources.register(system.providers, system.mappings_on_first_use)
    stepfunctions.register(system.providers, machines)
    apigateway.register(system.providers, operations("apigateway"))
    apigatewayv2.register(system.providers, operations("apigatewayv2"))
    iam.register(system.providers, roles)
    sqs.register(system.providers, operations("sqs"))
    sns.register(system.providers, operations("sns"))
    assert system.logs is not None
    system.providers.add("AWS::Logs::LogGroup", LogGroups(system.logs))


async def build_stacks(system: Overcast, store: Store) -> None:
    """Stacks over every service's resource providers (`register_providers`), with SAM as its transform."""
    from overcast.api.services import cloudformation
    from overcast.templates.change_sets import ChangeSets
    from overcast.templates.stacks import Stacks

    stacks = system.stacks = Stacks(store, system.clock, system.providers, transform=_sam_transform)
    await stacks.start(sole_owner=store.engine == "sqlite")  # one server owns a SQLite data dir
    system.closers.append(stacks.close)
    system.tables["cloudformation"] = cloudformation.operations(stacks, ChangeSets(stacks))


async def _sam_transform(template: dict[str, Any], ctx: RequestContext, parameters: Mapping[str, str]) -> Any:
    """The SAM transform (aws-sam-translator, offline) for the stacks engine, off the event loop: it takes tens
    of milliseconds of CPU for a small app."""
    from overcast.templates import sam

    return await asyncio.to_thread(sam.transform, template, ctx.region, ctx.account_id, dict(parameters))
