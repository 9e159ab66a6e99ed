"""The AWS event stream wire format (application/vnd.amazon.eventstream): the messages of a streamed response.

Each message is a prelude (total length, headers length, the prelude's CRC32), headers (a name,
a type byte, a value; here only strings, type 7), the payload, and the message's CRC32, all
big-endian. An event's headers are `:message-type` "event", `:event-type` its member name and
`:content-type`: the member marked `eventpayload` is the payload as it is (a blob), or, when an event
has none, its members are a JSON body
(https://smithy.io/2.0/spec/streaming.html#event-streams; the binary format is what botocore's
eventstream parser reads).
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from botocore.model import Shape

_PRELUDE = struct.Struct("!II")
_CRC = struct.Struct("!I")
_STRING = 7
CONTENT_TYPE = "application/vnd.amazon.eventstream"


def _header(name: str, value: str) -> bytes:
    encoded_name, encoded_value = name.encode(), value.encode()
    return (
        bytes([len(encoded_name)])
        + encoded_name
        + bytes([_STRING])
        + struct.pack("!H", len(encoded_value))
        + encoded_value
    )


def message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event stream message."""
    encoded = b"".join(_header(name, value) for name, value in headers.items())
    total = _PRELUDE.size + _CRC.size + len(encoded) + len(payload) + _CRC.size
    prelude = _PRELUDE.pack(total, len(encoded))
    head = prelude + _CRC.pack(zlib.crc32(prelude)) + encoded + payload
    return head + _CRC.pack(zlib.crc32(head))


def event(stream_shape: Shape, event_type: str, fields: dict[str, Any]) -> bytes:
    """The message of one event of `stream_shape` (an eventstream union) with `fields`."""
    shape = stream_shape.members[event_type]
    payload_member = next(
        (name for name, member in shape.members.items() if member.serialization.get("eventpayload")), None
    )
    if payload_member is not None:
        value = fields.get(payload_member) or b""
        body = value if isinstance(value, bytes) else str(value).encode()
        content_type = "application/octet-stream"
    else:
        body = json.dumps({k: v for k, v in fields.items() if v is not None}, separators=(",", ":")).encode()
        content_type = "application/json"
    headers = {":event-type": event_type, ":content-type": content_type, ":message-type": "event"}
    return message(headers, body)
