"""A small CBOR codec (RFC 8949) for smithy-rpc-v2-cbor bodies: the subset AWS models use.

Encodes and decodes maps, arrays, text and byte strings, integers (big ones as tag 2/3 bignums),
floats, booleans, null, and tag 1 epoch timestamps (as timezone-aware UTC datetimes). Decoding
also accepts indefinite-length strings, arrays and maps, half-precision floats, and unknown tags
(their content is returned as is).
https://www.rfc-editor.org/rfc/rfc8949.html
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BREAK = object()


class CborDecodeError(ValueError):
    """The bytes are not well-formed CBOR."""


# -- encode ---------------------------------------------------------------------------------------


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes(((major << 5) | n,))
    if n < 0x100:
        return bytes(((major << 5) | 24, n))
    if n < 0x10000:
        return bytes(((major << 5) | 25,)) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes(((major << 5) | 26,)) + n.to_bytes(4, "big")
    return bytes(((major << 5) | 27,)) + n.to_bytes(8, "big")


def _encode_into(out: bytearray, value: Any) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        if value >= 0:
            if value < 1 << 64:
                out += _head(0, value)
            else:
                payload = value.to_bytes((value.bit_length() + 7) // 8, "big")
                out += _head(6, 2) + _head(2, len(payload)) + payload
        else:
            n = -1 - value
            if n < 1 << 64:
                out += _head(1, n)
            else:
                payload = n.to_bytes((n.bit_length() + 7) // 8, "big")
                out += _head(6, 3) + _head(2, len(payload)) + payload
    elif isinstance(value, float):
        out.append(0xFB)
        out += struct.pack(">d", value)
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        out += _head(3, len(raw))
        out += raw
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        out += _head(2, len(raw))
        out += raw
    elif isinstance(value, dict):
        out += _head(5, len(value))
        for key, item in value.items():
            _encode_into(out, key)
            _encode_into(out, item)
    elif isinstance(value, list | tuple):
        out += _head(4, len(value))
        for item in value:
            _encode_into(out, item)
    elif isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        delta = aware - _EPOCH
        out += _head(6, 1)
        if delta.microseconds:
            _encode_into(out, delta / timedelta(seconds=1))
        else:
            _encode_into(out, delta.days * 86400 + delta.seconds)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def encode(value: Any) -> bytes:
    """`value` as one CBOR data item. Datetimes become tag 1 epoch seconds (naive ones read as UTC)."""
    out = bytearray()
    _encode_into(out, value)
    return bytes(out)


# -- decode ---------------------------------------------------------------------------------------


def _half(bits: int) -> float:
    exp = (bits >> 10) & 0x1F
    mant = bits & 0x3FF
    if exp == 0:
        val = mant * 2.0**-24
    elif exp == 0x1F:
        val = float("nan") if mant else float("inf")
    else:
        val = (mant + 1024) * 2.0 ** (exp - 25)
    return -val if bits & 0x8000 else val


class _Decoder:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise CborDecodeError("unexpected end of CBOR data")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def _argument(self, info: int) -> int | None:
        """The head's argument; None for the indefinite-length marker (info 31)."""
        if info < 24:
            return info
        if info == 24:
            return self._take(1)[0]
        if info == 25:
            return int.from_bytes(self._take(2), "big")
        if info == 26:
            return int.from_bytes(self._take(4), "big")
        if info == 27:
            return int.from_bytes(self._take(8), "big")
        if info == 31:
            return None
        raise CborDecodeError(f"reserved additional information {info}")

    def item(self) -> Any:
        if self.pos >= len(self.data):
            raise CborDecodeError("unexpected end of CBOR data")
        initial = self.data[self.pos]
        self.pos += 1
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            return self._simple(info)
        arg = self._argument(info)
        if major == 0:
            if arg is None:
                raise CborDecodeError("indefinite length integer")
            return arg
        if major == 1:
            if arg is None:
                raise CborDecodeError("indefinite length integer")
            return -1 - arg
        if major == 2:
            return self._string(arg, 2)
        if major == 3:
            return self._string(arg, 3).decode("utf-8")
        if major == 4:
            if arg is None:
                items = []
                while (element := self.item()) is not _BREAK:
                    items.append(element)
                return items
            return [self._value() for _ in range(arg)]
        if major == 5:
            result: dict[Any, Any] = {}
            if arg is None:
                while (key := self.item()) is not _BREAK:
                    result[key] = self._value()
            else:
                for _ in range(arg):
                    key = self._value()
                    result[key] = self._value()
            return result
        # major 6: a tag
        if arg is None:
            raise CborDecodeError("indefinite length tag")
        content = self._value()
        if arg == 1:
            if isinstance(content, bool) or not isinstance(content, int | float):
                raise CborDecodeError("tag 1 needs a number")
            return _EPOCH + timedelta(seconds=content)
        if arg in (2, 3) and isinstance(content, bytes):
            n = int.from_bytes(content, "big")
            return n if arg == 2 else -1 - n
        return content

    def _value(self) -> Any:
        value = self.item()
        if value is _BREAK:
            raise CborDecodeError("unexpected break")
        return value

    def _string(self, arg: int | None, major: int) -> bytes:
        if arg is not None:
            return self._take(arg)
        chunks: list[bytes] = []
        while True:
            if self.pos >= len(self.data):
                raise CborDecodeError("unexpected end of CBOR data")
            initial = self.data[self.pos]
            self.pos += 1
            if initial == 0xFF:
                return b"".join(chunks)
            if initial >> 5 != major:
                raise CborDecodeError("bad chunk in indefinite length string")
            length = self._argument(initial & 0x1F)
            if length is None:
                raise CborDecodeError("nested indefinite length string")
            chunks.append(self._take(length))

    def _simple(self, info: int) -> Any:
        if info == 20:
            return False
        if info == 21:
            return True
        if info in (22, 23):
            return None  # null and undefined
        if info == 25:
            return _half(int.from_bytes(self._take(2), "big"))
        if info == 26:
            return struct.unpack(">f", self._take(4))[0]
        if info == 27:
            return struct.unpack(">d", self._take(8))[0]
        if info == 31:
            return _BREAK
        if info < 24:
            return info  # unassigned simple value
        if info == 24:
            return self._take(1)[0]
        raise CborDecodeError(f"reserved simple value {info}")


def decode(data: bytes) -> Any:
    """The single CBOR data item in `data`; raises CborDecodeError if malformed or followed by junk."""
    decoder = _Decoder(bytes(data))
    try:
        value = decoder._value()
    except (UnicodeDecodeError, OverflowError) as exc:
        raise CborDecodeError(str(exc)) from exc
    if decoder.pos != len(decoder.data):
        raise CborDecodeError("trailing bytes after CBOR data item")
    return value
