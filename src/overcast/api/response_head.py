"""The head of an HTTP response as ASGI sends it, refused here if the HTTP server would refuse it.

uvicorn checks each header as it writes a response's head, but marks the response started first:
a header it refuses (a line break in a value, a name that is no token) leaves no way to answer
at all, and the client sees its connection closed. Checked here, inside each surface's error
boundary, such a header becomes that surface's own 500 instead. The checks are uvicorn's
(uvicorn/protocols/http/httptools_impl.py), made on all names and all values at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_BAD_NAME = re.compile(b'[\x00-\x1f\x7f()<>@,;:\\[\\]={} \t\\\\"]')
_BAD_VALUE = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
# Header names seen and found good, encoded: responses repeat a few names, checked once each.
_names: dict[str, bytes] = {}
_NAMES_LIMIT = 4096


class UnsendableHeader(ValueError):
    """A response header HTTP cannot carry."""


def response_start(
    status: int, headers: Iterable[tuple[str, Any]], body: bytes, *, streamed: bool = False
) -> dict[str, Any]:
    """The ASGI `http.response.start` message, with the body's own Content-Length (one a function's
    answer carried is replaced, as API Gateway replaces it); none for a `streamed` body, which the
    server then sends chunked.

    Raises UnicodeEncodeError for a header that is not Latin-1, UnsendableHeader for one the
    server would refuse.
    """
    encoded: list[tuple[bytes, bytes]] = []
    values: list[str] = []
    for name, value in headers:
        raw = _names.get(name)
        if raw is None:
            raw = name.encode("latin-1")
            if _BAD_NAME.search(raw):
                raise UnsendableHeader(f"the response header name {name!r} is no HTTP token")
            if raw.lower() == b"content-length":
                continue
            if len(_names) >= _NAMES_LIMIT:
                _names.clear()
            _names[name] = raw
        text = value if type(value) is str else str(value)
        values.append(text)
        encoded.append((raw, text.encode("latin-1")))
    if _BAD_VALUE.search("".join(values)):
        raise UnsendableHeader(f"a response header value has control characters: {encoded}")
    if not streamed:
        encoded.append((b"content-length", str(len(body)).encode()))
    return {"type": "http.response.start", "status": status, "headers": encoded}
