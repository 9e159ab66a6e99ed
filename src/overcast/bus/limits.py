"""JetStreamLimits: how much the bus may hold, in all and per stream, so no tenant can fill the disk through it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from overcast.config import Settings

MiB = 1024 * 1024
GiB = 1024 * MiB
DEFAULT_STORE_BYTES = 4 * GiB  # file storage of every stream together (enforced even beyond the disk's free space)
DEFAULT_MEMORY_BYTES = 256 * MiB  # memory storage of every memory stream together
DEFAULT_STREAM_BYTES = 64 * MiB  # one stream or KV bucket: the default max_bytes
DEFAULT_MESSAGE_BYTES = 512 * MiB  # a stream of accepted work (SQS messages, async events, SNS deliveries)


@dataclass(frozen=True, slots=True)
class JetStreamLimits:
    """Ceilings on JetStream storage (Settings `nats_max_store_bytes`, `nats_max_memory_bytes`,
    `nats_stream_max_bytes`, `nats_message_stream_max_bytes`).

    The embedded nats-server enforces them on Overcast's account and refuses a stream that
    declares no `max_bytes`; `Bus` gives every stream and KV bucket it creates `stream_bytes`
    unless the caller asks for less, and the three streams of accepted work (SQS's messages, queued
    asynchronous invocations, SNS's deliveries: one each, whatever the number of queues, functions
    and topics) ask for `message_bytes` (`Bus.message_stream_bytes`). nats-server *reserves* each
    stream's max_bytes against the account's total (measured with v2.15.1: with 10 MB for the account
    and 8 MB reserved, a 3 MB stream is refused with JetStream error 10047, whatever the streams really
    hold), so the defaults leave room for 40 full-size streams beside the three of accepted work.
    """

    store_bytes: int = DEFAULT_STORE_BYTES
    memory_bytes: int = DEFAULT_MEMORY_BYTES
    stream_bytes: int = DEFAULT_STREAM_BYTES
    message_bytes: int = DEFAULT_MESSAGE_BYTES  # each stream of accepted work (`Bus.message_stream_bytes`)

    @property
    def largest_stream(self) -> int:
        """The most one file stream may ask for: a stream of accepted work, or any other."""
        return max(self.stream_bytes, self.message_bytes)

    @classmethod
    def of(cls, settings: Settings) -> JetStreamLimits:
        return cls(
            settings.nats_max_store_bytes, settings.nats_max_memory_bytes, settings.nats_stream_max_bytes,
            settings.nats_message_stream_max_bytes,
        )  # fmt: skip


DEFAULT_LIMITS = JetStreamLimits()
