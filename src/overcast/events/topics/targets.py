"""Where deliveries go outside SNS: queues (SQS, through the queues service) and functions (asynchronous Invoke).

`Targets` is what the composition root gives SNS. Until the queues service exists (`queues` None), a
delivery to a queue fails, logged and recorded as failed naming why: never pretended delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from overcast.context import RequestContext, service
from overcast.errors import NotImplementedOperation

Attributes = Mapping[str, tuple[str, str | bytes]]  # name -> (DataType, value)


@dataclass(frozen=True, slots=True)
class Targets:
    invoker: Any = None  # overcast.functions.invoke.InvokeService
    queues: Any = None  # overcast.events.queues.Queues (contract 3 of issue 14), None until it exists
    message_attribute: Any = None  # its MessageAttribute record type

    async def to_queue(
        self,
        ctx: RequestContext,
        queue_arn: str,
        body: str,
        attributes: Attributes,
        group_id: str | None,
        deduplication_id: str | None,
    ) -> None:
        if self.queues is None or self.message_attribute is None:
            raise NotImplementedOperation("SNS cannot deliver to SQS queues yet: Overcast has no SQS service")
        made = {
            name: self.message_attribute(t, None, v) if isinstance(v, bytes) else self.message_attribute(t, v)
            for name, (t, v) in attributes.items()
        }
        await self.queues.send(
            ctx, queue_arn, body, attributes=made, group_id=group_id, deduplication_id=deduplication_id
        )

    async def to_function(self, ctx: RequestContext, function_arn: str, event: bytes, topic_arn: str) -> None:
        """An asynchronous invocation as SNS makes it: the sns.amazonaws.com principal, for the topic."""
        if self.invoker is None:
            raise NotImplementedOperation("SNS cannot deliver to Lambda functions: Overcast runs no functions")
        caller = service("sns.amazonaws.com", ctx.account_id, topic_arn)
        await self.invoker.invoke(ctx, function_arn, event, invocation_type="Event", json_payload=True, caller=caller)
