"""HTTP API parameter mapping: the keys and values of an integration's RequestParameters and ResponseParameters.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html

A request key is `append|overwrite|remove:header.<name>`, `append|overwrite|remove:querystring.<name>` or
`overwrite:path`; a response key (under a status code 200..599) is `append|overwrite|remove:header.<name>`
or `overwrite:statuscode`. A value is a static string, one expression (`$request.header.name`), or text
mixing static parts with expressions in braces (`${request.path.id}-${context.requestId}`). Both the
control plane (validation) and the data plane (`gateway/parameter_mapping.py`) read them here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

ACTIONS = ("append", "overwrite", "remove")
# Expressions without braces run to the end of the value or the next space; in braces, to the brace.
_EXPRESSION = re.compile(r"\$\{([^}]*)\}|\$((?:request|response|context|stageVariables)\.[^\s$]*)")
_CONTEXT_NAME = re.compile(r"^[A-Za-z0-9_.]+$")  # "Only special characters . and _ are supported."
_STAGE_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html#http-api-mapping-reserved-headers
_RESERVED = frozenset(
    {
        "authorization", "connection", "content-encoding", "content-length", "content-location", "forwarded",
        "keep-alive", "origin", "proxy-authenticate", "proxy-authorization", "te", "trailers",
        "transfer-encoding", "upgrade", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "via",
    }
)  # fmt: skip
_RESERVED_PREFIXES = ("access-control-", "apigw-", "x-amz-", "x-amzn-")


@dataclass(frozen=True, slots=True)
class Target:
    """What a key changes: `action` ("append" | "overwrite" | "remove") on a `location` ("header",
    "querystring", "path" or "statuscode") named `name` (a header or query string name; "" otherwise)."""

    action: str
    location: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    """One expression of a value: `kind` ("header", "querystring", "body", "path", "pathparameter",
    "context", "stageVariables", "responseheader", "responsebody") and the name or JSON path it selects."""

    kind: str
    name: str = ""


# A value: static text and expressions in order.
Value = tuple[str | Source, ...]


def is_reserved(header: str) -> bool:
    name = header.lower()
    return name in _RESERVED or name.startswith(_RESERVED_PREFIXES)


@lru_cache(maxsize=4096)
def request_target(key: str) -> Target | None:
    """The key's target, or None when it is no request parameter key."""
    if key == "overwrite:path":
        return Target("overwrite", "path")
    return _named_target(key, ("header", "querystring"))


@lru_cache(maxsize=4096)
def response_target(key: str) -> Target | None:
    if key == "overwrite:statuscode":
        return Target("overwrite", "statuscode")
    return _named_target(key, ("header",))


def _named_target(key: str, locations: tuple[str, ...]) -> Target | None:
    action, sep, rest = key.partition(":")
    location, dot, name = rest.partition(".")
    if not sep or not dot or action not in ACTIONS or location not in locations or not name:
        return None
    return Target(action, location, name)


@lru_cache(maxsize=4096)
def value(text: str, *, response: bool) -> Value | None:
    """The value's parts, or None when an expression in it is none a request (or response) value may use."""
    parts: list[str | Source] = []
    at = 0
    for found in _EXPRESSION.finditer(text):
        if found.start() > at:
            parts.append(text[at : found.start()])
        source = _source(found.group(1) if found.group(1) is not None else found.group(2), response=response)
        if source is None:
            return None
        parts.append(source)
        at = found.end()
    if at < len(text):
        parts.append(text[at:])
    return tuple(parts)


def _source(expression: str, *, response: bool) -> Source | None:
    scope, _, rest = expression.partition(".")
    if scope == "context":
        return Source("context", rest) if _CONTEXT_NAME.match(rest) else None
    if scope == "stageVariables":
        return Source("stageVariables", rest) if _STAGE_VARIABLE_NAME.match(rest) else None
    part, dot, name = rest.partition(".")
    if scope == "request" and not response:
        if part == "path":
            return Source("pathparameter", name) if dot else Source("path")
        if part == "body":
            return Source("body", name) if json_path(name) is not None else None
        if part in ("header", "querystring") and name:
            return Source(part, name)
    if scope == "response" and response:
        if part == "header" and name:
            return Source("responseheader", name)
        if part == "body":
            return Source("responsebody", name) if json_path(name) is not None else None
    return None


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]")


@lru_cache(maxsize=4096)
def json_path(path: str) -> tuple[str | int, ...] | None:
    """The steps of a body's JSON path ("a.b[0]" -> ("a", "b", 0)); () for the whole body; None when it
    uses what AWS does not support, recursive descent (`..`) or filters (`?(...)`), or is not a path."""
    if not path:
        return ()
    if ".." in path or "?(" in path or path.startswith(".") or path.endswith("."):
        return None
    steps: list[str | int] = []
    at = 0
    while at < len(path):
        if path[at] == "." and steps:
            at += 1
        found = _STEP.match(path, at)
        if found is None:
            return None
        name, index, quoted = found.groups()
        steps.append(int(index) if index is not None else (quoted if quoted is not None else name))
        at = found.end()
    return tuple(steps)
