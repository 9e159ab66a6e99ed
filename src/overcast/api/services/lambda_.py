"""Lambda's operation table, assembled from its parts: functions, aliases, layers, policies, execution.

Functions and versions come with tags and account settings (lambda_functions.py); aliases, layers
and function policies (lambda_permissions.py) have their own modules; with an invoke service,
Invoke and the concurrency operations (lambda_execution.py) join them. Each part is a module of
handlers over a services object (`lambda_functions.Lambda`, `lambda_execution.Execution`); the wire
names live only in those modules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from overcast.api.services import (
    OperationTable,
    bind,
    lambda_aliases,
    lambda_event_invoke,
    lambda_event_sources,
    lambda_execution,
    lambda_functions,
    lambda_layers,
    lambda_options,
    lambda_permissions,
    lambda_urls,
)
from overcast.api.services.lambda_event_sources import EventSources
from overcast.api.services.lambda_execution import Execution
from overcast.api.services.lambda_functions import CodeUrl, FunctionUrlOf, Lambda
from overcast.functions.invoke import InvokeService
from overcast.functions.registry import Registry

if TYPE_CHECKING:
    from overcast.events.mappings.catalog import Mappings


def operations(
    registry: Registry,
    code_url: CodeUrl,
    invoker: InvokeService | None = None,
    function_url: FunctionUrlOf | None = None,
    mappings: Callable[[], Awaitable[Mappings]] | None = None,
) -> OperationTable:
    """The Lambda operation table over `registry`; with an `invoker`, the invoke and concurrency operations too,
    and with `mappings` (built on first use) the event source mappings'.
    `function_url`: a function URL's address from its id and region (by default on localhost:4566)."""
    services = Lambda(registry, code_url, invoker, *([function_url] if function_url else []))
    handlers = {
        **lambda_functions.HANDLERS,
        **lambda_aliases.HANDLERS,
        **lambda_layers.HANDLERS,
        **lambda_permissions.HANDLERS,
        **lambda_urls.HANDLERS,
        **lambda_options.HANDLERS,
        **lambda_event_invoke.HANDLERS,
    }
    table = bind(handlers, services)
    if invoker is not None:
        table |= bind(lambda_execution.HANDLERS, Execution(invoker, invoker.concurrency))
    if mappings is not None:
        table |= bind(lambda_event_sources.HANDLERS, EventSources(mappings, dict(table)))
    return table
