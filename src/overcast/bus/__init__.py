"""The bus: NATS JetStream (streams, consumers, KV, request/reply) and the embedded nats-server.

`Bus` is the connection every service uses; `EmbeddedNats` is the single-node server the
composition root starts when no `nats_url` is configured (ARCHITECTURE decision 6).
"""

from overcast.bus.connection import Bus, BusHealth, Subscription, max_deliveries_subject
from overcast.bus.errors import RemoteError
from overcast.bus.kv import KeyValue, KvEntry, KvWatch
from overcast.bus.messages import ConsumerState, Envelope, Message, Reply, StoredMessage, StreamState
from overcast.bus.server import EmbeddedNats, EmbeddedNatsError, binary_version, nats_server_binary

__all__ = [
    "Bus",
    "BusHealth",
    "ConsumerState",
    "EmbeddedNats",
    "EmbeddedNatsError",
    "Envelope",
    "KeyValue",
    "KvEntry",
    "KvWatch",
    "Message",
    "RemoteError",
    "Reply",
    "StoredMessage",
    "StreamState",
    "Subscription",
    "binary_version",
    "max_deliveries_subject",
    "nats_server_binary",
]
