"""PullConsumers: the JetStream durable pull consumers part of `Bus` (bus/connection.py), which SQS-style queues,
asynchronous invocations and deliveries are read through.

A consumer delivers a stream's messages (those its filter subject selects) with explicit acks: each delivery is
settled by its ack subject (ack, nak with a delay, term, in progress) or redelivered after the consumer's
ack_wait. `fetch` is a pull: it waits up to a timeout for the first message and answers what is there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any, Literal

import nats.errors
import nats.js.api as api
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.client import JetStreamContext

from overcast.bus.errors import translated
from overcast.bus.messages import ConsumerState, Message, consumer_state, delivered, format_time, nak_payload, settle
from overcast.errors import InvalidParameterValue, ResourceNotFound, ServiceUnavailable

DeliverPolicy = Literal["all", "last", "new", "last_per_subject"]
_STATUS = "Status"
SHORT_POLL = 0.02  # seconds a fetch with timeout=0 still waits for a message


class PullConsumers:
    """Durable pull consumers over the connection's JetStream context (set by `Bus`)."""

    _nc: Client
    _js: JetStreamContext
    _timeout: float

    async def ensure_consumer(
        self,
        stream: str,
        durable: str,
        *,
        filter_subject: str | None = None,
        ack_wait: float = 30.0,
        max_deliver: int = -1,
        max_ack_pending: int | None = None,
        backoff: Sequence[float] | None = None,
        deliver_policy: DeliverPolicy = "all",
        start_sequence: int | None = None,
        start_time: float | None = None,
        inactive_threshold: float | None = None,
    ) -> ConsumerState:
        """Create the durable pull consumer, or update the settings that may change. Idempotent.

        ack_wait: seconds a delivery stays unacknowledged before redelivery (a visibility timeout);
        max_deliver: deliveries before the server gives up (-1: never), announcing it on
        `max_deliveries_subject(stream, durable)`; backoff: per-redelivery ack_wait values;
        start_sequence / start_time (epoch seconds) override deliver_policy.
        """
        policy = api.DeliverPolicy(deliver_policy)
        if start_sequence is not None:
            policy = api.DeliverPolicy.BY_START_SEQUENCE
        elif start_time is not None:
            policy = api.DeliverPolicy.BY_START_TIME
        config = api.ConsumerConfig(
            name=durable,
            durable_name=durable,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=ack_wait,
            max_deliver=max_deliver,
            max_ack_pending=max_ack_pending,
            backoff=list(backoff) if backoff else None,
            filter_subject=filter_subject,
            deliver_policy=policy,
            opt_start_seq=start_sequence,
            opt_start_time=format_time(start_time) if start_time is not None else None,  # type: ignore[arg-type]
            inactive_threshold=inactive_threshold,
        )
        with translated(f"creating consumer {durable} on stream {stream}"):
            return consumer_state(await self._js.add_consumer(stream, config))

    async def consumer_state(self, stream: str, durable: str) -> ConsumerState:
        with translated(f"reading consumer {durable} on stream {stream}"):
            return consumer_state(await self._js.consumer_info(stream, durable))

    async def consumers(self, stream: str) -> list[ConsumerState]:
        """Every consumer of the stream, with its state (empty if the stream does not exist)."""
        with translated(f"listing the consumers of stream {stream}"):
            found: list[ConsumerState] = []
            while True:  # the server answers 256 at a time
                try:
                    page = await self._js.consumers_info(stream, offset=len(found))
                except nats.js.errors.NotFoundError:
                    return found
                found.extend(consumer_state(info) for info in page)
                if len(page) < 256:
                    return found

    async def delete_consumer(self, stream: str, durable: str) -> bool:
        with translated(f"deleting consumer {durable} on stream {stream}"):
            try:
                return bool(await self._js.delete_consumer(stream, durable))
            except nats.js.errors.NotFoundError:
                return False

    async def fetch(self, stream: str, durable: str, batch: int = 1, timeout: float = 0.0) -> list[Message]:
        """Up to `batch` messages for the consumer; waits up to `timeout` seconds for the first one.

        Returns as soon as at least one message is available (what is available then, up to
        `batch`), or an empty list when `timeout` (at least SHORT_POLL) passes: SQS's long polling.
        Each message must be settled (ack, nak, term) or it is redelivered after the ack_wait.
        """
        if batch < 1:
            raise InvalidParameterValue(f"batch must be at least 1, got {batch}")
        # no_wait with expires: the server waits up to `expires` for the first message, then
        # returns at once with what is available (measured with v2.15.1). A plain no_wait request can
        # miss a message acknowledged a moment earlier, so even a short poll waits SHORT_POLL.
        wait = max(timeout, SHORT_POLL)
        request = {"batch": batch, "no_wait": True, "expires": int(wait * 1e9)}
        messages, status = await self._exchange(f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}", request, batch, wait)
        if status == "503":
            raise ResourceNotFound(f"consumer {durable} on stream {stream} does not exist")
        if status not in ("", "404", "408"):  # 404: no (more) messages; 408: the pull request expired
            raise ServiceUnavailable(f"fetching from consumer {durable} on stream {stream}: status {status}")
        return [delivered(msg) for msg in messages]

    async def _exchange(self, subject: str, request: dict[str, Any], limit: int, wait: float) -> tuple[list[Msg], str]:
        """Send a JetStream request answered by several messages; collect them until `limit` or a
        status message (returned as the status code, "" if none came)."""
        messages: list[Msg] = []
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def collect(msg: Msg) -> None:  # a callback: ~10x cheaper per message than next_msg()
            if done.done():
                return
            status = (msg.headers or {}).get(_STATUS, "") if not msg.data else ""
            if status:
                done.set_result(status)
                return
            messages.append(msg)
            if len(messages) >= limit:
                done.set_result("")

        with translated(f"requesting {subject}"):
            sub = await self._nc.subscribe(self._nc.new_inbox(), cb=collect)
            try:
                await self._nc.publish(subject, json.dumps(request).encode(), reply=sub.subject)
                status = await asyncio.wait_for(done, wait + self._timeout)
            finally:
                with contextlib.suppress(nats.errors.Error):
                    await sub.unsubscribe()
        return messages, status

    async def ack(self, ack_subject: str) -> None:
        """Acknowledge a delivery by its `Message.ack_subject` (a receipt handle)."""
        await settle(self._nc, ack_subject, b"+ACK")

    async def nak(self, ack_subject: str, delay: float = 0.0) -> None:
        """Redeliver after `delay` seconds: SQS's ChangeMessageVisibility."""
        await settle(self._nc, ack_subject, nak_payload(delay))

    async def term(self, ack_subject: str) -> None:
        await settle(self._nc, ack_subject, b"+TERM")

    async def in_progress(self, ack_subject: str) -> None:
        await settle(self._nc, ack_subject, b"+WPI")


def max_deliveries_subject(stream: str, durable: str) -> str:
    """Where the server announces a message that reached the consumer's max_deliver (JSON, `stream_seq`)."""
    return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{durable}"
