"""AWS::Lambda::EventInvokeConfig: a function version's or alias' asynchronous invocation settings.

Stored and returned as PutFunctionEventInvokeConfig stores them; Overcast does not run asynchronous invocations
with them yet (functions/event_invoke.py). FunctionName and Qualifier are create-only (a change replaces the
resource); the other properties change in place with a Put, which replaces the whole config as the template says.
Ref: CloudFormation's physical id for a two-part identifier, `FunctionName|Qualifier` (the template reference,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-eventinvokeconfig.html,
names no Ref value; the resource's primary identifier is FunctionName and Qualifier). No GetAtt attributes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.errors import ResourceNotFound
from overcast.functions.event_invoke import settings_in
from overcast.functions.registry import Registry
from overcast.templates.providers.base import Made, Providers, ResourceRequest


@dataclass(frozen=True, slots=True)
class EventInvokeConfigProvider:
    registry: Registry

    async def create(self, request: ResourceRequest) -> Made:
        p = request.properties
        name, qualifier = str(p["FunctionName"]), str(p["Qualifier"])
        await self.registry.event_invoke.put(request.ctx, name, qualifier, settings_in(p))
        return Made(f"{name}|{qualifier}", {})

    async def update(self, request: ResourceRequest, current: Made, previous: Mapping[str, Any]) -> Made:
        return await self.create(request)

    async def delete(self, request: ResourceRequest, current: Made) -> None:
        name, _, qualifier = current.ref.rpartition("|")
        with contextlib.suppress(ResourceNotFound):  # gone already, or its function or alias with it
            await self.registry.event_invoke.delete(request.ctx, name, qualifier)


def register(providers: Providers, registry: Registry) -> None:
    providers.add("AWS::Lambda::EventInvokeConfig", EventInvokeConfigProvider(registry))
