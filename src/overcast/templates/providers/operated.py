"""Providers over a service's operations: API Gateway's types, whose properties are its API's parameters.

API Gateway's control planes keep the mapping from its API's parameters to their records in their
operations (`api/services/apigateway*.py`): its CloudFormation types take the same members, so their
providers call those operations in-process, with the stack's RequestContext (no HTTP), and a resource
made by a stack is what the API would have made. The composition root hands them over once API
Gateway is built (`OperationsOf`, which builds it on first use).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.templates.providers.base import Made, ResourceRequest

Output = dict[str, Any]
Operations = Mapping[str, Callable[[RequestContext, dict[str, Any]], Awaitable[Output]]]
OperationsOf = Callable[[], Awaitable[Operations]]
Properties = Mapping[str, Any]


def pick(p: Properties, names: tuple[str, ...]) -> dict[str, Any]:
    """The properties among `names` that the template gives."""
    return {name: p[name] for name in names if name in p}


@contextlib.contextmanager
def gone_already() -> Any:
    """A delete of something already deleted succeeds (CloudFormation deletes idempotently)."""
    try:
        yield
    except AwsError as exc:
        if exc.status != 404:
            raise


@dataclass(frozen=True, slots=True)
class Kind:
    """One type as operations: `create` answers the output whose `ref(output)` is its Ref; `keys(p, ref)` are
    the parameters naming it to `update` (None: nothing changes in place) and `delete`."""

    create: str
    delete: str
    ref: Callable[[Output], str]
    keys: Callable[[Properties, str], dict[str, Any]]
    params: Callable[[Properties], dict[str, Any]]
    update: str | None = None
    attributes: Callable[[Output, str], dict[str, Any]] = lambda out, ref: {}


@dataclass(frozen=True, slots=True)
class OperatedProvider:
    operations: OperationsOf
    kind: Kind

    async def create(self, request: ResourceRequest) -> Made:
        ops = await self.operations()
        out = await ops[self.kind.create](request.ctx, self.kind.params(request.properties))
        ref = self.kind.ref(out)
        return Made(ref, self.kind.attributes(out, ref))

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        if self.kind.update is None:
            return current
        ops, p = await self.operations(), request.properties
        out = await ops[self.kind.update](request.ctx, {**self.kind.params(p), **self.kind.keys(p, current.ref)})
        return Made(current.ref, self.kind.attributes(out, current.ref) or dict(current.attributes))

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ops = await self.operations()
        with gone_already():
            await ops[self.kind.delete](request.ctx, self.kind.keys(request.properties, current.ref))
