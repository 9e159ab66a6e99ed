"""Where deliveries go outside SNS: queues (SQS, through the queues service) and functions (asynchronous Invoke).

`Targets` is what the composition root gives SNS: the invoke service, and a way to the queues service (built
on its first use, so SNS's first delivery to a queue may build it). Without one, a delivery there fails,
logged and recorded as failed naming why: never pretended delivered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from overcast.context import RequestContext, service
from overcast.errors import NotImplementedOperation

if TYPE_CHECKING:
    from overcast.events.queues import Queues
    from overcast.functions.invoke import InvokeService

Attributes = Mapping[str, tuple[str, str | bytes]]  # name -> (DataType, value)


@dataclass(frozen=True, slots=True)
class Targets:
    invoker: InvokeService | None = None
    queues: Callable[[], Awaitable[Queues]] | None = None  # the queues service, built if it is not yet

    async def to_queue(
        self,
        ctx: RequestContext,
        queue_arn: str,
        body: str,
        attributes: Attributes,
        group_id: str | None,
        deduplication_id: str | None,
        topic_arn: str,
    ) -> None:
        """SendMessage as SNS makes it, for `topic_arn` (the aws:SourceArn a queue policy may name)."""
        if self.queues is None:
            raise NotImplementedOperation("SNS cannot deliver to SQS queues here: this Overcast has no SQS")
        from overcast.events.queues.records import MessageAttribute

        made = {
            name: MessageAttribute(t, None, v) if isinstance(v, bytes) else MessageAttribute(t, v)
            for name, (t, v) in attributes.items()
        }
        queues = await self.queues()
        await queues.send(
            ctx,
            queue_arn,
            body,
            attributes=made,
            group_id=group_id,
            deduplication_id=deduplication_id,
            source_arn=topic_arn,
        )

    async def to_function(self, ctx: RequestContext, function_arn: str, event: bytes, topic_arn: str) -> None:
        """An asynchronous invocation as SNS makes it: the sns.amazonaws.com principal, for the topic."""
        if self.invoker is None:
            raise NotImplementedOperation("SNS cannot deliver to Lambda functions: Overcast runs no functions")
        caller = service("sns.amazonaws.com", ctx.account_id, topic_arn)
        await self.invoker.invoke(ctx, function_arn, event, invocation_type="Event", json_payload=True, caller=caller)
