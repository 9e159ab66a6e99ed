"""Frames: the lean channel's wire format, a length-prefixed JSON header plus raw body bytes."""

from __future__ import annotations

import array
import json
import re
import socket
import struct
from collections.abc import Sequence
from typing import Any

PREFIX = struct.Struct("!II")  # header length, body length
MAX_FDS = 8
# Made once: json.dumps and json.loads build or check their arguments on every call (~1 us each, and
# every invoke encodes and decodes a header at both ends).
_ENCODER = json.JSONEncoder(separators=(",", ":"))
_DECODER = json.JSONDecoder()


def encode(header: dict[str, Any], body: bytes = b"") -> bytes:
    head = _ENCODER.encode(header).encode()
    return PREFIX.pack(len(head), len(body)) + head + body


# The two frames of every warm invoke are written from templates when their values need no escaping
# (printable ASCII without quotes or backslashes, as request ids and ARNs are): the JSON encoder
# cost ~2-3 us a frame, at each end of the hop.
_PLAIN = re.compile(r"[ !#-\[\]-~]*")
_INVOKE = (
    '{"op":"invoke","request_id":"%s","deadline_ms":%d,"invoked_function_arn":"%s",'
    '"trace_id":null,"client_context":null,"cognito_identity":null}'
)
_RESULT = '{"op":"result","error_type":null,"log":[],"maxrss":%d}'


def encode_invoke(
    request_id: str,
    deadline_ms: int,
    invoked_function_arn: str,
    trace_id: str | None,
    client_context: str | None,
    cognito_identity: str | None,
    body: bytes,
) -> bytes:
    """An invocation's frame, as `encode` would write it."""
    if (
        trace_id is None
        and client_context is None
        and cognito_identity is None
        and _PLAIN.fullmatch(request_id)
        and _PLAIN.fullmatch(invoked_function_arn)
    ):
        head = (_INVOKE % (request_id, deadline_ms, invoked_function_arn)).encode()
        return PREFIX.pack(len(head), len(body)) + head + body
    header = {
        "op": "invoke",
        "request_id": request_id,
        "deadline_ms": deadline_ms,
        "invoked_function_arn": invoked_function_arn,
        "trace_id": trace_id,
        "client_context": client_context,
        "cognito_identity": cognito_identity,
    }
    return encode(header, body)


def encode_result(
    error_type: str | None, log: Sequence[Any], maxrss: int, body: bytes, dropped_lines: int = 0, dropped_bytes: int = 0
) -> bytes:
    """An invocation's result frame (log: its [timestamp ms, line] pairs; dropped: the lines the log budget
    dropped and their bytes, when there are), as `encode` would write it."""
    if error_type is None and not log and not dropped_lines:
        head = (_RESULT % maxrss).encode()
        return PREFIX.pack(len(head), len(body)) + head + body
    header = {"op": "result", "error_type": error_type, "log": log, "maxrss": maxrss}
    if dropped_lines:
        header["dropped"] = [dropped_lines, dropped_bytes]
    return encode(header, body)


def decode_header(head: bytes | bytearray) -> dict[str, Any]:
    document: dict[str, Any] = _DECODER.decode(head.decode())
    return document


def decode_prefix(prefix: bytes) -> tuple[int, int]:
    head_len, body_len = PREFIX.unpack(prefix)
    return head_len, body_len


def send(sock: socket.socket, header: dict[str, Any], body: bytes = b"", fds: Sequence[int] = ()) -> None:
    data = encode(header, body)
    if fds:
        sent = sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        data = data[sent:]
    if data:
        sock.sendall(data)


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv(sock: socket.socket, *, cloexec: bool = False) -> tuple[dict[str, Any], bytes, list[int]]:
    """One frame (blocking); the file descriptors that came with its first bytes, if any. `cloexec`: they are
    closed on exec from the moment they arrive (received descriptors are otherwise inheritable, unlike those
    Python opens, and a process the receiver spawns would hold them too)."""
    fds: list[int] = []
    flags = socket.MSG_CMSG_CLOEXEC if cloexec else 0
    prefix, ancdata, _flags, _addr = sock.recvmsg(PREFIX.size, socket.CMSG_SPACE(MAX_FDS * 4), flags)
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.extend(array.array("i", data[: len(data) - len(data) % 4]))
    if not prefix:
        raise EOFError("channel closed")
    if len(prefix) < PREFIX.size:
        prefix += _recv_exactly(sock, PREFIX.size - len(prefix))
    head_len, body_len = decode_prefix(prefix)
    head = _recv_exactly(sock, head_len)
    body = _recv_exactly(sock, body_len) if body_len else b""
    return decode_header(head), body, fds


class Reader:
    """Frames from one socket through a buffer: one recv per frame as a rule, where `recv` makes three
    (and a recvmsg). The runtime loop reads every invocation with it: inside a 128 MB instance each
    syscall comes out of a CPU quota of 7.2 ms per 100 ms. Frames read this way carry no fds."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def next(self) -> tuple[dict[str, Any], bytes]:
        """The next frame (blocking); EOFError when the other end has closed the channel."""
        while True:
            if len(self.buffer) >= PREFIX.size:
                head_len, body_len = PREFIX.unpack_from(self.buffer)
                head_end = PREFIX.size + head_len
                end = head_end + body_len
                if len(self.buffer) >= end:
                    head = self.buffer[PREFIX.size : head_end]
                    body = bytes(self.buffer[head_end:end])
                    del self.buffer[:end]
                    return decode_header(head), body
                wanted = end - len(self.buffer)
            else:
                wanted = PREFIX.size - len(self.buffer)
            chunk = self.sock.recv(max(wanted, 1 << 16))
            if not chunk:
                raise EOFError("channel closed")
            self.buffer += chunk
