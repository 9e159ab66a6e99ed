"""What a resource provider is, and the registry the deploy engine finds one in by resource type.

Each service contributes its CloudFormation types (`templates/providers/<service>.py`), built at the
composition root over that service's own domain objects, so a resource made by a stack is exactly what
the service's API would have made (same validation, same errors, same records). The engine
(`templates/`) resolves a resource's intrinsics, then calls its provider with the result:

- `create` makes it and answers what the template can read back: `ref` (what `Ref` returns) and the
  `Fn::GetAtt` attributes, with the values AWS documents for that type (each type's "Return values").
- `update` changes it in place. The engine calls it only when no changed property is create-only (the
  type's CloudFormation schema, `createOnlyProperties`); otherwise it replaces the resource: `create`
  with the new properties, the stack's other resources updated to it, then `delete` of the old one.
- `delete` removes it; a resource already gone is not an error (CloudFormation deletes idempotently).

A provider raises AwsError with the service's own code and message: the engine records it as the
resource's status reason (CREATE_FAILED ...) and rolls the stack back. Providers never see templates,
parameters or other resources, only resolved properties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from overcast.context import RequestContext
from overcast.templates.names import physical_name


@dataclass(frozen=True, slots=True)
class ResourceRequest:
    """One resource of one stack, to make, change or remove. `properties` are resolved (no intrinsics left,
    AWS::NoValue removed); `ctx` is the stack's account and Region."""

    ctx: RequestContext
    stack_name: str
    stack_id: str
    logical_id: str
    resource_type: str
    properties: Mapping[str, Any]

    def physical_name(self, max_length: int = 64) -> str:
        """A name for a resource whose template gives none, as CloudFormation makes them:
        `<stack name>-<logical id>-<random>` cut to fit `max_length`."""
        return physical_name(self.stack_name, self.logical_id, max_length)


@dataclass(frozen=True, slots=True)
class Made:
    """A resource as it exists: what `Ref` returns, and its `Fn::GetAtt` attributes by name."""

    ref: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


class Provider(Protocol):
    async def create(self, request: ResourceRequest) -> Made: ...

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made: ...

    async def delete(self, request: ResourceRequest, current: Made) -> None: ...


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A property of a type (or some of its values) that the type's provider does not implement yet, and what is
    missing: a template setting it is refused before any change rather than made without it."""

    name: str
    missing: str
    values: tuple[str, ...] = ()  # the refused values; empty: any value

    def set_in(self, properties: Mapping[str, Any]) -> str | None:
        """How `properties` (as written) set it ("AuthType AWS_IAM", "DurableConfig"), or None."""
        if self.name not in properties:
            return None
        if not self.values:
            return self.name
        value = properties[self.name]
        return f"{self.name} {value}" if isinstance(value, str) and value in self.values else None


class Providers:
    """The registry: resource type -> its provider. Built at the composition root; every service adds its types."""

    def __init__(self) -> None:
        self._by_type: dict[str, Provider] = {}
        self._unsupported: dict[str, tuple[Unsupported, ...]] = {}

    def add(self, resource_type: str, provider: Provider, unsupported: Iterable[Unsupported] = ()) -> None:
        """Register `provider` for `resource_type`, with the properties (or values) it does not implement yet."""
        if resource_type in self._by_type:
            raise ValueError(f"{resource_type} already has a provider")
        self._by_type[resource_type] = provider
        self._unsupported[resource_type] = tuple(unsupported)

    def unsupported(self, resource_type: str, properties: Mapping[str, Any]) -> list[tuple[str, str]]:
        """What `properties` (as written) set that the type's provider does not implement: (how, what is missing)."""
        found = ((u.set_in(properties), u.missing) for u in self._unsupported.get(resource_type, ()))
        return [(how, missing) for how, missing in found if how is not None]

    def get(self, resource_type: str) -> Provider | None:
        return self._by_type.get(resource_type)

    def types(self) -> frozenset[str]:
        return frozenset(self._by_type)

    def missing(self, resource_types: Iterable[str]) -> list[str]:
        """The types among `resource_types` no provider makes, in order, once each."""
        return [t for t in dict.fromkeys(resource_types) if t not in self._by_type]
