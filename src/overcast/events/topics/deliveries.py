"""Deliveries: one per (message, subscription), on the bus before Publish answers, tried until done.

Contract 1 of issue 14: one stream for SNS ("SNS_DELIVERY", workqueue retention, file storage, every write
synced), one durable pull consumer whose ack_wait (12 h) never runs out in practice: Overcast keeps each
delivery in flight, waits between tries on the injected clock (`retries.delays`), and acks it once it is
delivered, or has failed for good (then sent to the subscription's dead-letter queue, if it has one). After a
crash the consumer hands every unacked delivery out again: at least once, never lost. Each finished delivery
is recorded (`sns_deliveries`): email, email-json and sms deliveries are only recorded, since nothing is sent,
and `/_overcast/sns/deliveries/...` shows them. The record keeps an account's newest KEPT_RECORDS deliveries
(pruned every PRUNE_EVERY records it writes), so it cannot grow without bound.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from overcast.arn import parse_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import AwsError, NotImplementedOperation
from overcast.events.topics import envelopes, retries
from overcast.events.topics.records import Subscription
from overcast.events.topics.signing import Signer
from overcast.events.topics.targets import Targets
from overcast.store import Store

if TYPE_CHECKING:
    from overcast.bus.connection import Bus
    from overcast.bus.messages import Message
    from overcast.bus.on_demand import OnDemandBus

log = logging.getLogger("overcast.sns")

STREAM, SUBJECT, CONSUMER = "SNS_DELIVERY", "sns.deliveries", "sns-deliveries"
ACK_WAIT = 12 * 3600.0
HTTP_TIMEOUT = 15.0  # SNS waits 15 seconds for an HTTP/S endpoint
DEDUP_WINDOW = 300.0
RECORDED = frozenset({"email", "email-json", "sms"})
AGENT = "Amazon Simple Notification Service Agent"
KEPT_RECORDS = 1000  # finished deliveries kept per account (the newest)
PRUNE_EVERY = 100  # records an account writes between two prunings: it holds at most KEPT_RECORDS + PRUNE_EVERY
HTTP_CONCURRENCY = 64  # requests in flight to HTTP/S endpoints at once (the rest wait their turn, not a retry)
PLAIN_TEXT = "text/plain; charset=UTF-8"  # what SNS posts unless the delivery policy's requestPolicy says otherwise
MOST_PACED = 10_000  # subscriptions whose next throttled slot is kept at once (those past are dropped beyond it)

Outcome = tuple[bool, str] | None  # None: delivered; else (worth retrying, why not)


class Deliveries:
    def __init__(
        self, bus: OnDemandBus, store: Store, clock: Clock, signer: Signer, base_url: str, targets: Targets
    ) -> None:
        self._written: Counter[str] = Counter()  # records written per account since its last pruning
        self.bus = bus
        self.store = store
        self.clock = clock
        self.signer = signer
        self.base_url = base_url.rstrip("/")
        self.targets = targets
        self._bus: Bus | None = None
        self._lock = asyncio.Lock()
        self._loop: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._http: Any = None
        self._posting = asyncio.Semaphore(HTTP_CONCURRENCY)
        self._slots: dict[str, float] = {}  # a throttled subscription's next free slot, on the clock

    async def _ready(self) -> Bus:
        if self._bus is not None:
            return self._bus
        async with self._lock:
            if self._bus is None:
                bus = await self.bus.get()
                await bus.ensure_stream(
                    STREAM, [SUBJECT], retention="workqueue", duplicate_window=DEDUP_WINDOW,
                    max_bytes=bus.message_stream_bytes,
                )  # fmt: skip
                # Deliveries an earlier process held in flight wait out the consumer's 12-hour ack_wait: a new
                # consumer (the stream keeps every unacked message) hands them all out again now. One node
                # delivers; several would share the consumer instead, each keeping the others' in flight.
                await bus.delete_consumer(STREAM, CONSUMER)
                await bus.ensure_consumer(
                    STREAM, CONSUMER, filter_subject=SUBJECT, ack_wait=ACK_WAIT, max_ack_pending=-1
                )
                await self.store.execute("INSERT INTO sns_bus (name) VALUES (?) ON CONFLICT (name) DO NOTHING", STREAM)
                self._bus = bus
                self.start()
        return self._bus

    async def resume(self) -> None:
        """At start: deliver what an earlier run left on the bus (only if SNS ever used it)."""
        if await self.store.fetch_one("SELECT name FROM sns_bus WHERE name = ?", STREAM) is not None:
            await self._ready()

    def start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        tasks = [t for t in (self._loop, *self._in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    async def enqueue(self, record: Mapping[str, Any]) -> None:
        """Stored on disk when this returns (the bus syncs every write)."""
        bus = await self._ready()
        await bus.publish(SUBJECT, json.dumps(record).encode(), msg_id=record["id"])

    async def announce(self, subscription: Subscription, signature_version: str) -> None:
        """A pending subscription's SubscriptionConfirmation, to its endpoint (or recorded, for email)."""
        await self.enqueue(
            {
                "kind": "confirmation",
                "id": f"confirm:{subscription.arn}",
                "message_id": str(uuid.uuid4()),
                "topic_arn": subscription.topic_arn,
                "subscription_arn": subscription.arn,
                "account": subscription.account,
                "region": _region_of(subscription.topic_arn),
                "protocol": subscription.protocol,
                "endpoint": subscription.endpoint,
                "token": subscription.token,
                "time": self.clock.now(),
                "signature_version": signature_version,
                "retry": retries.DEFAULT_CUSTOMER,
            }
        )

    async def _run(self) -> None:
        bus = await self._ready()
        while True:
            try:
                messages = await bus.fetch(STREAM, CONSUMER, batch=256, timeout=1.0)
            except AwsError:
                log.exception("fetching SNS deliveries from the bus")
                await asyncio.sleep(1.0)  # the bus is down: try again, not in a tight loop
                continue
            for message in messages:
                task = asyncio.get_running_loop().create_task(self._deliver(message))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)

    async def _deliver(self, message: Message) -> None:
        try:
            record = json.loads(message.data)
        except ValueError:
            log.error("dropping an unreadable SNS delivery (stream sequence %s)", message.sequence)
            await message.term()
            return
        policy = record.get("retry") or (retries.MANAGED if record["protocol"] in ("sqs", "lambda") else {})
        waits = retries.delays(policy or retries.DEFAULT_CUSTOMER)
        attempts = 0
        while True:
            attempts += 1
            try:
                outcome = await self._attempt(record)
            except Exception as exc:  # a bug here must not lose the delivery silently: retried, logged
                log.exception("SNS delivery %s", record.get("id"))
                outcome = (True, f"{type(exc).__name__}: {exc}")
            if outcome is None:
                await self.record(record, "delivered", "", attempts)
                await message.ack()
                return
            retryable, reason = outcome
            wait = next(waits, None) if retryable else None
            if wait is None:
                await self._give_up(record, reason, attempts)
                await message.ack()
                return
            await self.clock.sleep(wait)

    async def _give_up(self, record: Mapping[str, Any], reason: str, attempts: int) -> None:
        log.warning("SNS gave up delivering %s to %s: %s", record["message_id"], record["endpoint"], reason)
        dead_letter = record.get("dead_letter_arn")
        if dead_letter:
            try:
                await self.targets.to_queue(
                    _ctx(record), dead_letter, self._queue_body(record), self._queue_attributes(record),
                    record.get("group_id"), record.get("deduplication_id"), record["topic_arn"],
                )  # fmt: skip
                reason += f" (moved to the dead-letter queue {dead_letter})"
            except AwsError as exc:
                reason += f" (and the dead-letter queue {dead_letter} refused it: {exc.message})"
                log.error("SNS could not move %s to its dead-letter queue: %s", record["message_id"], exc.message)
        await self.record(record, "failed", reason, attempts)

    async def _attempt(self, record: Mapping[str, Any]) -> Outcome:
        protocol = record["protocol"]
        if protocol in RECORDED:
            return None
        if protocol in ("http", "https"):
            return await self._post(record)
        if record["kind"] != "notification":
            return None
        try:
            if protocol == "sqs":
                await self.targets.to_queue(
                    _ctx(record), record["endpoint"], self._queue_body(record), self._queue_attributes(record),
                    record.get("group_id"), record.get("deduplication_id"), record["topic_arn"],
                )  # fmt: skip
            elif protocol == "lambda":
                event = envelopes.lambda_event(record, self.signer, self.base_url)
                await self.targets.to_function(
                    _ctx(record), record["endpoint"], json.dumps(event).encode(), record["topic_arn"]
                )
            else:
                return False, f"SNS delivery over {protocol} is not implemented by Overcast"
        except NotImplementedOperation as exc:
            return False, exc.message
        except AwsError as exc:
            return True, f"{exc.code}: {exc.message}"
        return None

    def _envelope(self, record: Mapping[str, Any]) -> dict[str, Any]:
        if record["kind"] == "confirmation":
            return envelopes.confirmation(record, self.signer, self.base_url)
        return envelopes.notification(record, self.signer, self.base_url)

    def _queue_body(self, record: Mapping[str, Any]) -> str:
        return record["message"] if record.get("raw") else envelopes.sqs_body(self._envelope(record))

    def _queue_attributes(self, record: Mapping[str, Any]) -> envelopes.RawAttributes:
        return envelopes.raw_attributes(record.get("attributes") or {}) if record.get("raw") else {}

    def body(self, record: Mapping[str, Any]) -> str:
        """What the endpoint is sent (and what the record of a delivery shows)."""
        if record["kind"] == "notification" and (record.get("raw") or record["protocol"] in ("email", "sms")):
            return str(record["message"])
        return json.dumps(self._envelope(record), indent=2 if record["protocol"] != "sms" else None)

    async def _post(self, record: Mapping[str, Any]) -> Outcome:
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False)
        kind = "Notification" if record["kind"] == "notification" else "SubscriptionConfirmation"
        headers = {
            "x-amz-sns-message-type": kind,
            "x-amz-sns-message-id": record["message_id"],
            "x-amz-sns-topic-arn": record["topic_arn"],
            "content-type": record.get("content_type") or PLAIN_TEXT,
            "user-agent": AGENT,
        }
        if kind == "Notification":
            headers["x-amz-sns-subscription-arn"] = record["subscription_arn"]
            if record.get("raw"):
                headers["x-amz-sns-rawdelivery"] = "true"
        body = self.body(record).encode()
        if record.get("per_second"):
            await self._throttle(record["subscription_arn"], int(record["per_second"]))
        try:
            async with self._posting:
                response = await self._http.post(record["endpoint"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return True, f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return None
        # 429 and server errors are retried; other client errors are not (sns-message-delivery-retries.html)
        retryable = response.status_code == 429 or response.status_code >= 500
        return retryable, f"the endpoint answered HTTP {response.status_code}"

    async def _throttle(self, subscription: str, per_second: int) -> None:
        """Wait for the subscription's next slot: its throttle policy's maxReceivesPerSecond deliveries a second at
        most, tries again included (https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html)."""
        now = self.clock.now()
        if len(self._slots) >= MOST_PACED:
            self._slots = {arn: at for arn, at in self._slots.items() if at > now}
        slot = max(now, self._slots.get(subscription, now))
        self._slots[subscription] = slot + 1.0 / per_second
        if slot > now:
            await self.clock.sleep(slot - now)

    async def record(self, record: Mapping[str, Any], status: str, detail: str, attempts: int) -> None:
        await self.store.execute(
            "INSERT INTO sns_deliveries (id, account, region, topic_arn, subscription_arn, protocol, endpoint, "
            "message_id, kind, body, status, detail, attempts, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET status = excluded.status, detail = excluded.detail, "
            "attempts = excluded.attempts, time = excluded.time",
            record["id"],
            record["account"],
            record["region"],
            record["topic_arn"],
            record["subscription_arn"],
            record["protocol"],
            record["endpoint"],
            record["message_id"],
            record["kind"],
            self.body(record),
            status,
            detail,
            attempts,
            self.clock.now(),
        )
        self._written[record["account"]] += 1
        if self._written[record["account"]] >= PRUNE_EVERY:
            self._written[record["account"]] = 0
            await self.store.execute(
                "DELETE FROM sns_deliveries WHERE account = ? AND id NOT IN (SELECT id FROM sns_deliveries "
                f"WHERE account = ? ORDER BY time DESC, id DESC LIMIT {KEPT_RECORDS})",
                record["account"],
                record["account"],
            )

    async def recorded(self, account: str, arn: str | None) -> list[dict[str, Any]]:
        """The finished deliveries of an account (its newest KEPT_RECORDS at most), of one topic or subscription if
        `arn` names one, oldest first."""
        where, params = "account = ?", [account]
        if arn:
            where += " AND (topic_arn = ? OR subscription_arn = ?)"
            params += [arn, arn]
        rows = await self.store.fetch_all(
            f"SELECT * FROM (SELECT * FROM sns_deliveries WHERE {where} ORDER BY time DESC, id DESC "
            f"LIMIT {KEPT_RECORDS}) AS newest ORDER BY time, id",
            *params,
        )
        return [dict(row) for row in rows]


def _region_of(topic_arn: str) -> str:
    parsed = parse_arn(topic_arn)
    return parsed.region if parsed is not None else ""


def _ctx(record: Mapping[str, Any]) -> RequestContext:
    return RequestContext(record["account"], record["region"])
