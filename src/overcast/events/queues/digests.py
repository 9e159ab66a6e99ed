"""The MD5 digests SQS answers with, computed as AWS documents them, so SDKs that check them accept ours.

MD5OfMessageAttributes (and MD5OfMessageSystemAttributes) digest the attributes sorted by name, each
encoded as: name length (4 bytes, big-endian) and UTF-8 name, data type length and data type, one
transport byte (1 for String and Number, 2 for Binary), value length and value.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping

from overcast.events.queues.records import MessageAttribute

STRING, BINARY = 1, 2


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()


def _field(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_of_attributes(attributes: Mapping[str, MessageAttribute]) -> str | None:
    """None for no attributes (AWS then leaves the member out)."""
    if not attributes:
        return None
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        attribute = attributes[name]
        digest.update(_field(name.encode()) + _field(attribute.data_type.encode()))
        if attribute.binary_value is not None and attribute.data_type.startswith("Binary"):
            digest.update(bytes([BINARY]) + _field(attribute.binary_value))
        else:
            digest.update(bytes([STRING]) + _field((attribute.string_value or "").encode()))
    return digest.hexdigest()
