"""Pollers: for each Enabled mapping, tasks that receive its queue's messages in batches and invoke its function.

As Lambda's pollers do (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html and
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html), a mapping starts with one poller, long-polling
(20 s receives, so an idle mapping costs one waiting task and no CPU); a poller whose receive comes back full adds
another while the mapping is under its cap (ScalingConfig.MaximumConcurrency, else the server's), one whose
receive comes back empty leaves if it is not the last, and a throttled invocation makes its poller back off
(1 s, doubling to 60 s on the injected clock) and leave. A batch gathers up to BatchSize messages for up to
MaximumBatchingWindowInSeconds (on the injected clock) or 6 MB; messages no filter keeps are deleted without
invoking; the function is invoked synchronously; a success deletes the batch, a failure leaves it to come back
after its visibility timeout, and ReportBatchItemFailures leaves only the messages the answer names.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.events.mappings.batches import QueueMessage, kept, outcome, record
from overcast.events.mappings.records import Mapping, State
from overcast.events.patterns import compile_pattern
from overcast.functions.concurrency import TooManyRequests

if TYPE_CHECKING:
    from overcast.functions.invoke import InvokeService

log = logging.getLogger("overcast.mappings")

LONG_POLL_SECONDS = 20  # SQS's longest receive wait
RECEIVE_MOST = 10  # SQS's most messages a receive returns
PAYLOAD_LIMIT = 6 * 1024 * 1024  # a synchronous invocation's payload (a batch stops gathering there)
BACKOFF_FIRST, BACKOFF_MOST = 1.0, 60.0
STOP_RECHECK = 0.1  # seconds a stopping worker has before it is cancelled again
RECORD_OVERHEAD = 1024  # a record's keys, ids, receipt handle and message attributes, roughly


def _size(batch: Sequence[QueueMessage]) -> int:
    """About what the messages take in an event: their bodies and attributes, and each record's keys."""
    return sum(len(m.body) + sum(len(k) + len(v) for k, v in m.attributes.items()) + RECORD_OVERHEAD for m in batch)


def fit(batch: list[QueueMessage]) -> tuple[list[QueueMessage], list[QueueMessage]]:
    """The batch cut to what fits in one invocation's payload (at least one message), and the rest."""
    size = 0
    for n, message in enumerate(batch):
        size += _size([message])
        if size > PAYLOAD_LIMIT and n:
            return batch[:n], batch[n:]
    return batch, []


class QueueClient(Protocol):
    """What pollers need of the queues service (events/queues' Queues, in the mapping's account)."""

    async def receive(
        self,
        ctx: RequestContext,
        queue: str,
        *,
        max_messages: int = 1,
        wait_seconds: float | None = None,
        visibility_timeout: int | None = None,
    ) -> Sequence[QueueMessage]: ...

    async def delete(self, ctx: RequestContext, queue: str, receipt_handle: str) -> None: ...


Report = Callable[[Mapping, str], Awaitable[None]]  # LastProcessingResult: "OK" or "PROBLEM: ..."


async def _unreported(mapping: Mapping, result: str) -> None:
    """Where results go until the mappings' catalog listens."""


class SqsPollers:
    """Every Enabled mapping's pollers; `apply` starts, restarts or stops a mapping's on each change."""

    def __init__(self, queues: QueueClient, invoker: InvokeService, clock: Clock, *, most: int = 10) -> None:
        self.queues = queues
        self.invoker = invoker
        self.clock = clock
        self.report: Report = _unreported
        self.most = most  # a mapping's most concurrent batches when it sets no MaximumConcurrency
        self._polling: dict[str, Poller] = {}

    async def apply(self, mapping: Mapping) -> None:
        running = self._polling.pop(mapping.uuid, None)
        if running is not None:
            await running.stop()
        if mapping.enabled and mapping.state is not State.DELETING:
            poller = self._polling[mapping.uuid] = Poller(mapping, self)
            poller.start()

    def polling(self, uuid: str) -> int:
        """How many pollers a mapping runs now (0 when it is not polled)."""
        poller = self._polling.get(uuid)
        return 0 if poller is None else len(poller.workers)

    async def close(self) -> None:
        polling, self._polling = list(self._polling.values()), {}
        for poller in polling:
            await poller.stop()


class Poller:
    """One mapping's pollers: one to several workers, each gathering a batch and invoking the function with it."""

    def __init__(self, mapping: Mapping, pollers: SqsPollers) -> None:
        self.mapping = mapping
        self.pollers = pollers
        self.ctx = RequestContext(mapping.account, mapping.region, service="lambda", operation="EventSourceMapping")
        self.filters = [compile_pattern(text) for text in mapping.settings.filters]
        self.cap = mapping.settings.maximum_concurrency or pollers.most
        self.workers: set[asyncio.Task[None]] = set()
        self.last_result = mapping.last_processing_result
        self.stopped = False

    def start(self) -> None:
        self._add()

    def _add(self) -> None:
        if self.stopped:
            return
        task = asyncio.get_running_loop().create_task(self._work(), name=f"mapping {self.mapping.uuid}")
        self.workers.add(task)
        task.add_done_callback(self.workers.discard)

    async def stop(self) -> None:
        """Stop every worker. A cancellation can be lost (Python 3.11's wait_for drops one that meets its inner
        future's result, as nats-py's fetch does), so the workers also check `stopped`, and a worker still running
        after a moment is cancelled again rather than waited for through its long poll."""
        self.stopped = True
        while self.workers:
            workers = list(self.workers)
            for task in workers:
                task.cancel()
            await asyncio.wait(workers, timeout=STOP_RECHECK)

    async def _work(self) -> None:
        backoff = BACKOFF_FIRST
        rest: list[QueueMessage] = []
        while not self.stopped:
            try:
                batch, rest = await self.gather(rest)
                if self.stopped:
                    return  # what it received comes back after its visibility timeout
                if not batch:
                    if len(self.workers) > 1:
                        return  # the backlog is gone: one poller stays
                    continue
                if len(batch) >= min(self.mapping.settings.batch_size, RECEIVE_MOST) and len(self.workers) < self.cap:
                    self._add()  # a full batch: there is a backlog, so one more poller
                await self._process(batch)
                backoff = BACKOFF_FIRST
            except asyncio.CancelledError:
                raise
            except TooManyRequests:
                await self._result("PROBLEM: Function call throttled")
                await self.pollers.clock.sleep(backoff)
                if len(self.workers) > 1:
                    return
                backoff = min(backoff * 2, BACKOFF_MOST)
            except Exception as e:
                if not isinstance(e, AwsError):
                    log.exception("event source mapping %s: its poller failed", self.mapping.uuid)
                await self._result(f"PROBLEM: {getattr(e, 'message', None) or type(e).__name__}")
                await self.pollers.clock.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MOST)

    async def gather(self, carried: list[QueueMessage]) -> tuple[list[QueueMessage], list[QueueMessage]]:
        """A batch and what did not fit in it: up to BatchSize messages (`carried` first), gathered for up to the
        batching window from the first one, and no more than fit in a 6 MB event."""
        settings, queues, clock = self.mapping.settings, self.pollers.queues, self.pollers.clock
        arn, wanted = self.mapping.event_source_arn, settings.batch_size
        batch = list(carried)
        if not batch:
            batch += await queues.receive(
                self.ctx, arn, max_messages=min(wanted, RECEIVE_MOST), wait_seconds=LONG_POLL_SECONDS
            )
        deadline = clock.monotonic() + settings.maximum_batching_window
        while batch and len(batch) < wanted and _size(batch) < PAYLOAD_LIMIT:
            remaining = deadline - clock.monotonic()
            if remaining <= 0:
                break
            batch += await queues.receive(
                self.ctx, arn, max_messages=min(wanted - len(batch), RECEIVE_MOST),
                wait_seconds=min(remaining, LONG_POLL_SECONDS),
            )  # fmt: skip
        return fit(batch)

    async def _process(self, batch: list[QueueMessage]) -> None:
        mapping, queues = self.mapping, self.pollers.queues
        records = [record(m, mapping.event_source_arn, mapping.region) for m in batch]
        keep = kept(records, self.filters)
        for message, passes in zip(batch, keep, strict=True):
            if not passes:  # filtered out: deleted without invoking
                await queues.delete(self.ctx, mapping.event_source_arn, message.receipt_handle)
        chosen = [r for r, passes in zip(records, keep, strict=True) if passes]
        if not chosen:
            return
        payload = json.dumps({"Records": chosen}).encode()
        answer = await self.pollers.invoker.invoke(self.ctx, mapping.function_arn, payload, json_payload=True)
        ids = [r["messageId"] for r in chosen]
        result = outcome(ids, answer.payload, answer.function_error, mapping.settings.report_batch_item_failures)
        for r in chosen:
            if r["messageId"] not in result.failed:
                await queues.delete(self.ctx, mapping.event_source_arn, r["receiptHandle"])
        await self._result(result.reason or "OK")

    async def _result(self, text: str) -> None:
        if text != self.last_result:
            self.last_result = text
            await self.pollers.report(self.mapping, text)
