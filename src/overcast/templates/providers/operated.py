"""Providers over a service's operations: API Gateway's types, whose properties are its API's parameters.

API Gateway's control planes keep the mapping from its API's parameters to their records in their
operations (`api/services/apigateway*.py`): its CloudFormation types take the same members, so their
providers call those operations in-process, with the stack's RequestContext (no HTTP), and a resource
made by a stack is what the API would have made. The composition root hands them over once API
Gateway is built (`OperationsOf`, which builds it on first use).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from overcast.arn import format_arn
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.templates.providers.base import Made, ResourceRequest
from overcast.templates.providers.tags import removed, tag_map

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


def text(value: Any) -> str:
    """A value as a patch operation carries it: API Gateway's patch values are strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict | list) else str(value)


Patches = Callable[[Properties, Properties], list[dict[str, str]]]


def replacing(fields: Mapping[str, tuple[str, Any]]) -> Patches:
    """A `replace` patch operation (API Gateway v1's updates) for each changed property: property -> (its patch
    path, the value that stands for it absent)."""

    def patches(p: Properties, previous: Properties) -> list[dict[str, str]]:
        return [
            {"op": "replace", "path": path, "value": text(p.get(name, absent))}
            for name, (path, absent) in fields.items()
            if p.get(name) != previous.get(name)
        ]

    return patches


def set_members(name: str, path: str, item: Callable[[Any], str] = str) -> Patches:
    """`add` and `remove` patch operations (value: `item(entry)`) for the entries of list property `name` that
    were added or removed (ProviderARNs, StageKeys ...)."""

    def patches(p: Properties, previous: Properties) -> list[dict[str, str]]:
        new, old = ({item(entry) for entry in x.get(name) or ()} for x in (p, previous))
        return [
            *({"op": "add", "path": path, "value": value} for value in sorted(new - old)),
            *({"op": "remove", "path": path, "value": value} for value in sorted(old - new)),
        ]

    return patches


def together(*all_patches: Patches) -> Patches:
    return lambda p, previous: [change for patches in all_patches for change in patches(p, previous)]


@dataclass(frozen=True, slots=True)
class Tagged:
    """How a type's Tags change in place: TagResource / UntagResource of its ARN (`path(p, ref)` under
    `arn:aws:apigateway:<region>::`), with the members (`resource`, `tags`, `keys`) of the service's API."""

    path: Callable[[Properties, str], str]
    resource: str = "resourceArn"
    tags: str = "tags"
    keys: str = "tagKeys"

    async def retag(self, ops: Operations, request: ResourceRequest, ref: str, previous: Properties) -> None:
        new, old = request.properties.get("Tags"), previous.get("Tags")
        if new == old:
            return
        ctx = request.ctx
        arn = format_arn("apigateway", ctx.region, "", self.path(request.properties, ref))
        gone = removed(old, new)
        if gone:
            await ops["UntagResource"](ctx, {self.resource: arn, self.keys: gone})
        if tag_map(new):
            await ops["TagResource"](ctx, {self.resource: arn, self.tags: tag_map(new)})


@dataclass(frozen=True, slots=True)
class Kind:
    """One type as operations: `create` answers the output whose `ref(output)` is its Ref; `keys(p, ref)` are
    the parameters naming it to `update` (None: nothing changes in place) and `delete`. `update` takes the
    type's parameters, or, with `patches`, the patch operations of what changed (API Gateway v1)."""

    create: str
    delete: str
    ref: Callable[[Output], str]
    keys: Callable[[Properties, str], dict[str, Any]]
    params: Callable[[Properties], dict[str, Any]]
    update: str | None = None
    attributes: Callable[[Output, str], dict[str, Any]] = lambda out, ref: {}
    patches: Patches | None = None
    tagged: Tagged | None = None


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
        ops, p, keys = await self.operations(), request.properties, self.kind.keys(request.properties, current.ref)
        if self.kind.tagged is not None:
            await self.kind.tagged.retag(ops, request, current.ref, previous)
        if self.kind.patches is None:
            out = await ops[self.kind.update](request.ctx, {**self.kind.params(p), **keys})
        else:
            changes = self.kind.patches(p, previous)
            if not changes:
                return current
            out = await ops[self.kind.update](request.ctx, {**keys, "patchOperations": changes})
        return Made(current.ref, self.kind.attributes(out, current.ref) or dict(current.attributes))

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        ops = await self.operations()
        with gone_already():
            await ops[self.kind.delete](request.ctx, self.kind.keys(request.properties, current.ref))
