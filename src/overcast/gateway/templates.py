"""Mapping templates: REST APIs' Velocity templates run by airspeed-ext, with API Gateway's `$input`, `$util`,
`$context` and `$stageVariables`.

The variables are as AWS documents them:
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html
airspeed (Velocity for Python, kept for AWS's templates) is imported on the first template run: ~15 ms that a
server whose APIs are all proxies never spends.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_plus

from overcast.errors import AwsError

if TYPE_CHECKING:
    import airspeed

_CACHE_LIMIT = 1024


class TemplateFailure(AwsError):
    """A template that does not parse or fails while it runs: API Gateway answers 500 for it."""

    code = "InternalServerErrorException"
    status = 500


@functools.lru_cache(maxsize=_CACHE_LIMIT)
def _compiled(text: str) -> airspeed.Template:
    import airspeed

    return airspeed.Template(text)


@functools.lru_cache(maxsize=_CACHE_LIMIT)
def _json_path(path: str) -> Any:
    from jsonpath_ng import parse

    return parse(path)


def _select(document: Any, path: str) -> Any:
    """The JSONPath `path` in `document`: one value, a list of several, or None when nothing matches."""
    if path in ("$", ""):
        return document
    found = [m.value for m in _json_path(path).find(document)]
    if not found:
        return None
    return found[0] if len(found) == 1 else found


class Input:
    """`$input`: the payload (the method request's, or the integration response's) and the request's parameters."""

    def __init__(self, body: bytes, params: Mapping[str, Mapping[str, str]]) -> None:
        self.body = body.decode("utf-8", "replace")
        self._params = params
        self._document: Any = None
        self._parsed = False

    def _value(self) -> Any:
        if not self._parsed:
            self._parsed = True
            text = self.body.strip()
            try:
                # An empty payload is an empty object, as `$input.json('$')` gives `{}` for it on AWS.
                self._document = json.loads(text) if text else {}
            except ValueError:
                self._document = self.body
        return self._document

    def json(self, path: str = "$") -> str:
        """The JSONPath's result as JSON text (`$input.json('$.pets')`)."""
        found = _select(self._value(), path)
        return "" if found is None else json.dumps(found, ensure_ascii=False)

    def path(self, path: str = "$") -> Any:
        """The JSONPath's result as an object a template can walk (`$input.path('$').pets.size()`)."""
        return _select(self._value(), path)

    def params(self, name: str | None = None) -> Any:
        """All parameters by kind (`path`, `querystring`, `header`), or one by name: path first, then the
        query string, then a header."""
        if name is None:
            return {kind: dict(values) for kind, values in self._params.items()}
        for kind in ("path", "querystring"):
            value = self._params.get(kind, {}).get(name)
            if value is not None:
                return value
        headers = self._params.get("header", {})
        lowered = name.lower()
        return next((v for k, v in headers.items() if k.lower() == lowered), "")


_JS_ESCAPES = {'"': '\\"', "'": "\\'", "\\": "\\\\", "/": "\\/", "\n": "\\n", "\t": "\\t", "\r": "\\r",
               "\b": "\\b", "\f": "\\f"}  # fmt: skip


class Util:
    """`$util`: the functions AWS gives templates."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:
        """JavaScript string escaping as Java's StringEscapeUtils does it: quotes (single ones too), backslash,
        slash and control characters, and every character past ASCII as \\uXXXX."""
        out = []
        for c in str(value):
            if c in _JS_ESCAPES:
                out.append(_JS_ESCAPES[c])
            elif ord(c) < 32 or ord(c) > 0x7E:
                out.extend(f"\\u{unit:04X}" for unit in _utf16(c))
            else:
                out.append(c)
        return "".join(out)

    @staticmethod
    def parseJson(value: str) -> Any:
        return json.loads(value)

    @staticmethod
    def urlEncode(value: Any) -> str:
        """application/x-www-form-urlencoded, as Java's URLEncoder: a space is `+`, `~` is encoded."""
        return quote_plus(str(value), safe="*").replace("~", "%7E")

    @staticmethod
    def urlDecode(value: Any) -> str:
        return unquote_plus(str(value))

    @staticmethod
    def base64Encode(value: Any) -> str:
        return base64.b64encode(str(value).encode()).decode()

    @staticmethod
    def base64Decode(value: Any) -> str:
        return base64.b64decode(str(value)).decode("utf-8", "replace")


def _utf16(c: str) -> tuple[int, ...]:
    raw = c.encode("utf-16-be")
    return tuple(int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2))


UTIL = Util()


def render(
    template: str,
    body: bytes,
    params: Mapping[str, Mapping[str, str]],
    context: Callable[[], dict[str, Any]] | dict[str, Any],
    stage_variables: Mapping[str, str],
) -> str:
    """The template's output for this payload. `context` is the template's `$context` (or what makes it,
    called only when the template runs): a template may set `$context.responseOverride` in it.
    TemplateFailure if the template cannot run."""
    namespace = {
        "input": Input(body, params),
        "util": UTIL,
        "context": context() if callable(context) else context,
        "stageVariables": dict(stage_variables),
    }
    try:
        return str(_compiled(template).merge(namespace))
    except Exception as exc:  # airspeed raises its own errors, and a template's calls any of Python's
        raise TemplateFailure(f"Execution failed due to configuration error: {exc}") from exc
