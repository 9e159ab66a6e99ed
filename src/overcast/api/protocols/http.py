"""HttpRequest and HttpResponse: the wire layer's view of one HTTP exchange, free of any server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str  # raw (still percent-encoded) path, without the query string
    query_string: str = ""  # raw query string, without '?'
    # Header names lower-cased; a repeated header's values joined with ", " as HTTP allows.
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # A streamed body (an event stream): its parts are sent as they come, after `body`.
    stream: AsyncIterator[bytes] | None = None
