"""Destinations: where asynchronous invocation sends its records (OnSuccess, OnFailure) and dead letters.

`Destinations` is the seam (issue 14's contract 4): the functions package sends through it and
the composition root wires what reaches queues, topics and event buses. `FunctionDestinations`
delivers to Lambda functions itself (an asynchronous invoke of the destination with the record
as its event, https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)
and hands every other ARN to the implementation wired for it; with none wired, the send fails
with `Undeliverable`, which the caller logs and counts (DestinationDeliveryFailures,
DeadLetterErrors) as Lambda counts a destination it cannot reach, and never pretends delivered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from overcast.arn import parse_arn
from overcast.context import RequestContext


class Undeliverable(Exception):
    """A destination could not be reached (no service wired for it, or it refused the send)."""


class Destinations(Protocol):
    async def send(self, ctx: RequestContext, arn: str, body: str, attributes: Mapping[str, str] = {}) -> None:
        """Deliver `body` (with String message `attributes`, for a dead-letter queue) to the resource `arn`
        names: an SQS queue, SNS topic, Lambda function or EventBridge bus. Raises on failure."""


# Queue an event for a function (its ARN) in the context's account: InvokeService's asynchronous invoke.
InvokeEvent = Callable[[RequestContext, str, bytes], Awaitable[object]]


class FunctionDestinations:
    """Lambda functions here; anything else through `others` (the composition root's), if wired."""

    def __init__(self, invoke_event: InvokeEvent, others: Destinations | None = None) -> None:
        self.invoke_event = invoke_event
        self.others = others

    async def send(self, ctx: RequestContext, arn: str, body: str, attributes: Mapping[str, str] = {}) -> None:
        parsed = parse_arn(arn)
        service = parsed.service if parsed is not None else ""
        if service == "lambda":
            try:
                await self.invoke_event(ctx, arn, body.encode())
            except Exception as exc:
                raise Undeliverable(f"{arn}: {exc}") from exc
            return
        if self.others is None:
            raise Undeliverable(f"{arn}: no {service or 'such'} service is wired to deliver to it yet")
        await self.others.send(ctx, arn, body, attributes)
