"""Operation tables: for each AWS service, `{operation name: async handler}`.

A handler takes the request context and the parsed parameters (botocore member names: exactly
what a boto3 client call took) and returns the output dict (botocore member names: exactly what
a boto3 client call returns, without ResponseMetadata), or raises an AwsError.

Every service module has one shape: module-level handlers `async def create_thing(s, ctx, p)`
over a small frozen *services object* `s` (the domain services the operations call), listed in a
module-level `HANDLERS` mapping; `operations(services)` binds them with `bind`. `server.py`
assembles the tables. An operation missing from a table answers AWS-shaped 501.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from overcast.context import RequestContext

Params = dict[str, Any]
Output = dict[str, Any]
Handler = Callable[[RequestContext, Params], Awaitable[Output]]
OperationTable = dict[str, Handler]

S = TypeVar("S")
Unbound = Callable[[S, RequestContext, Params], Awaitable[Output]]  # a module-level handler


def bind(handlers: Mapping[str, Unbound[S]], services: S) -> OperationTable:
    """The operation table of module-level handlers, each given the service's services object."""
    return {name: functools.partial(handler, services) for name, handler in handlers.items()}
