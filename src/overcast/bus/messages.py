"""The records the bus hands out: stored and delivered messages, stream and consumer state, replies.

A delivered `Message` is settled through its `ack_subject` (JetStream's reply subject for that
delivery). The subject is plain text, so a service can give it out as a receipt handle and settle
the message later, from any node, with `Bus.ack(ack_subject)` and friends.

SQS-style work queues map onto these fields: the visibility timeout is the consumer's ack_wait
(changed per message with `nak(delay)`; extended to a full ack_wait with `in_progress()`), the
receive count is `num_delivered`, and a dead-letter move is "publish a copy, then ack" once
`num_delivered` passes maxReceiveCount.

Durability of settling (measured with nats-server 2.15.1, kill -9 right after a confirmed ack):
on a "workqueue" (or "interest") stream an ack deletes the message, a stream write fsynced like a
publish, so it survives a crash. On a "limits" stream only the consumer's state records the ack,
and the server writes that state about once a second: acks from the last second before a crash
are lost and those messages are delivered again (at-least-once). Queues whose deletes must stick
(SQS DeleteMessage) therefore use workqueue retention. Kinesis-style reads use `StoredMessage.sequence` (ordered
per stream) and `time` (arrival time).
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nats.js import api

from overcast.bus.errors import translated
from overcast.errors import InvalidParameterValue

ACK = b"+ACK"
NAK = b"-NAK"
TERM = b"+TERM"
IN_PROGRESS = b"+WPI"
SETTLE_TIMEOUT = 5.0

# Headers nats-server adds to messages it returns from storage; not part of what was published.
_SERVER_HEADERS = frozenset(
    {"Nats-Stream", "Nats-Subject", "Nats-Sequence", "Nats-Time-Stamp", "Nats-Num-Pending", "Nats-Last-Sequence"}
)


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as a stream stores it."""

    stream: str
    subject: str
    data: bytes
    headers: Mapping[str, str]
    sequence: int
    time_ns: int  # nanoseconds since the epoch when the stream stored it

    @property
    def time(self) -> float:
        """Seconds since the epoch when the stream stored it (Kinesis's ApproximateArrivalTimestamp)."""
        return self.time_ns / 1e9


@dataclass(frozen=True, slots=True)
class Message:
    """A message a pull consumer delivered; it awaits ack, nak, term or in_progress."""

    stream: str
    consumer: str
    subject: str
    data: bytes
    headers: Mapping[str, str]
    sequence: int  # stream sequence
    consumer_sequence: int
    num_delivered: int  # 1 on first delivery: SQS's ApproximateReceiveCount
    num_pending: int  # messages left for this consumer after this one
    time_ns: int  # nanoseconds since the epoch when the stream stored it
    ack_subject: str
    client: Any = field(default=None, repr=False, compare=False)  # nats.aio.client.Client

    @property
    def time(self) -> float:
        return self.time_ns / 1e9

    async def ack(self) -> None:
        """Done: never deliver again (and remove it, on a work-queue stream). Waits for the server."""
        await settle(self.client, self.ack_subject, ACK)

    async def nak(self, delay: float = 0.0) -> None:
        """Deliver again after `delay` seconds (0: as soon as possible)."""
        await settle(self.client, self.ack_subject, nak_payload(delay))

    async def term(self) -> None:
        """Never deliver again, without processing it."""
        await settle(self.client, self.ack_subject, TERM)

    async def in_progress(self) -> None:
        """Still working: restart this delivery's ack_wait."""
        await settle(self.client, self.ack_subject, IN_PROGRESS)


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to a core request/reply, or what a request handler returns."""

    data: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A core (not persisted) message received by a subscription."""

    subject: str
    data: bytes
    headers: Mapping[str, str]
    reply_to: str  # empty unless the sender waits for a Reply


@dataclass(frozen=True, slots=True)
class BusHealth:
    """What `overcast status` and the health endpoint show about the bus."""

    connected: bool
    url: str | None
    server_version: str | None
    server_name: str | None
    reconnects: int
    last_error: str | None
    jetstream: bool
    storage_bytes: int | None  # JetStream file storage used by this account
    memory_bytes: int | None
    streams: int | None
    consumers: int | None
    rtt_ms: float | None


@dataclass(frozen=True, slots=True)
class StreamState:
    name: str
    subjects: tuple[str, ...]
    retention: str
    messages: int
    bytes: int
    max_bytes: int  # the most `bytes` may reach; -1: unlimited
    first_sequence: int
    last_sequence: int
    consumer_count: int


@dataclass(frozen=True, slots=True)
class ConsumerState:
    stream: str
    name: str
    num_pending: int  # matching messages not yet delivered
    num_ack_pending: int  # delivered, not yet acked ("in flight")
    num_redelivered: int
    num_waiting: int  # pull requests waiting for messages
    delivered_sequence: int  # last stream sequence delivered
    ack_floor_sequence: int  # every stream sequence up to this one is acked


def nak_payload(delay: float) -> bytes:
    if delay <= 0:
        return NAK
    return NAK + b' {"delay": %d}' % int(delay * 1_000_000_000)


async def settle(client: Any, ack_subject: str, payload: bytes, timeout: float = SETTLE_TIMEOUT) -> None:
    """Send an ack/nak/term/in-progress and wait until the server has recorded it.

    The server answers every such request, also for a delivery that is no longer pending (already
    acked, or redelivered since), so a stale receipt is not an error, as in SQS.
    """
    if not ack_subject.startswith("$JS.ACK."):
        raise InvalidParameterValue(f"{ack_subject!r} is not a JetStream delivery")
    with translated("settling a message"):
        await client.request(ack_subject, payload, timeout=timeout)


def parse_ack_subject(ack_subject: str) -> dict[str, Any]:
    """Delivery metadata from `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>`.

    Servers with domains add `<domain>.<account hash>` after `$JS.ACK.` and a random token at the end.
    """
    tokens = ack_subject.split(".")
    if tokens[:2] != ["$JS", "ACK"] or len(tokens) not in (9, 11, 12):
        raise ValueError(f"not a JetStream ack subject: {ack_subject!r}")
    at = 2 if len(tokens) == 9 else 4
    stream, consumer, delivered, sseq, cseq, nanos, pending = tokens[at : at + 7]
    return {
        "stream": stream,
        "consumer": consumer,
        "num_delivered": int(delivered),
        "sequence": int(sseq),
        "consumer_sequence": int(cseq),
        "time_ns": int(nanos),
        "num_pending": int(pending),
    }


def delivered(msg: Any) -> Message:
    """A nats-py Msg delivered by a pull consumer, as a Message."""
    meta = parse_ack_subject(msg.reply)
    return Message(
        subject=msg.subject,
        data=bytes(msg.data),
        headers=dict(msg.headers or {}),
        ack_subject=msg.reply,
        client=msg._client,
        **meta,
    )


def stored(stream: str, msg: Any) -> StoredMessage:
    """A nats-py Msg answered by a direct get (server headers describe it), as a StoredMessage."""
    headers = dict(msg.headers or {})
    return StoredMessage(
        stream=headers.get("Nats-Stream", stream),
        subject=headers["Nats-Subject"],
        data=bytes(msg.data),
        headers={k: v for k, v in headers.items() if k not in _SERVER_HEADERS},
        sequence=int(headers["Nats-Sequence"]),
        time_ns=parse_time_ns(headers["Nats-Time-Stamp"]),
    )


def parse_time_ns(text: str) -> int:
    """Nanoseconds since the epoch from nats-server's RFC 3339 timestamps (with up to 9 fraction digits)."""
    main, _, rest = text.rstrip("Z").partition(".")
    fraction = "".join(itertools.takewhile(str.isdigit, rest))
    offset = rest[len(fraction) :]
    when = datetime.datetime.fromisoformat(main + (offset or "+00:00"))
    return int(when.timestamp()) * 1_000_000_000 + int(fraction.ljust(9, "0")[:9])


def format_time(epoch: float) -> str:
    """An RFC 3339 UTC timestamp for JetStream requests, floored to the microsecond (a float of
    epoch seconds holds no more); for an exact message time, read from its sequence instead."""
    micros = math.floor(epoch * 1_000_000)
    seconds, fraction = divmod(micros, 1_000_000)
    base = datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{fraction:06d}Z"


def stream_state(info: api.StreamInfo) -> StreamState:
    """A stream's state from the server's StreamInfo."""
    config, state = info.config, info.state
    retention = config.retention.value if isinstance(config.retention, api.RetentionPolicy) else config.retention
    return StreamState(
        name=str(config.name),
        subjects=tuple(config.subjects or ()),
        retention=str(retention),
        messages=state.messages,
        bytes=state.bytes,
        max_bytes=-1 if config.max_bytes is None else int(config.max_bytes),
        first_sequence=state.first_seq,
        last_sequence=state.last_seq,
        consumer_count=state.consumer_count,
    )


def consumer_state(info: api.ConsumerInfo) -> ConsumerState:
    """A durable consumer's state from the server's ConsumerInfo."""
    return ConsumerState(
        stream=info.stream_name,
        name=info.name,
        num_pending=info.num_pending or 0,
        num_ack_pending=info.num_ack_pending or 0,
        num_redelivered=info.num_redelivered or 0,
        num_waiting=info.num_waiting or 0,
        delivered_sequence=info.delivered.stream_seq if info.delivered else 0,
        ack_floor_sequence=info.ack_floor.stream_seq if info.ack_floor else 0,
    )
