"""Parameter mapping of HTTP APIs at request time: the integration's RequestParameters change what reaches the
backend (headers, query string, path), its ResponseParameters what reaches the client (status, headers).

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html

Every value is read from the request (or the backend's response) as it came, before any mapping applies;
then the mappings apply. A header value joins a repeated header's values with ",", a query string value a
repeated parameter's, as the page documents. A value that comes out empty (its source is missing) changes
nothing. A body's JSON path is applied to its first 100 KB, as on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from overcast.apis.deployed import Integration
from overcast.apis.httpapi import mappings
from overcast.gateway.request import GatewayRequest, RouteMatch
from overcast.gateway.responses import GatewayResult

_BODY_LIMIT = 100 * 1024  # "API Gateway truncates the request body at 100 KB" before a JSON path selects

Context = Callable[[], Mapping[str, Any]]  # the request's $context variables, worked out when first asked for


class _Values:
    """Reads a mapping value's sources from one request (and, for response mappings, the backend's answer)."""

    def __init__(
        self,
        match: RouteMatch,
        request: GatewayRequest,
        context: Context,
        response: GatewayResult | None = None,
    ) -> None:
        self.match, self.request, self.response = match, request, response
        self._context = context
        self._variables: Mapping[str, Any] | None = None
        self._bodies: dict[bool, Any] = {}

    def text(self, parts: mappings.Value) -> str:
        return "".join(part if isinstance(part, str) else self._source(part) for part in parts)

    def _source(self, source: mappings.Source) -> str:
        kind, name = source.kind, source.name
        request = self.request
        if kind == "header":
            return request.header(name) or ""
        if kind == "querystring":
            return ",".join(v for k, v in request.query() if k == name)
        if kind == "path":
            return request.path
        if kind == "pathparameter":
            return self.match.path_parameters.get(name, "")
        if kind == "stageVariables":
            return dict(self.match.api.stage_variables).get(name, "")
        if kind == "context":
            if self._variables is None:
                self._variables = self._context()
            found = self._variables.get(name)
            return "" if found is None else str(found)
        if kind == "responseheader" and self.response is not None:
            lowered = name.lower()
            return ",".join(v for k, v in self.response.headers if k.lower() == lowered)
        if kind in ("body", "responsebody"):
            return self._body(kind == "responsebody", name)
        return ""

    def _body(self, response: bool, path: str) -> str:
        raw = (self.response.body if self.response is not None else b"") if response else self.request.body
        steps = mappings.json_path(path) or ()
        if not steps:
            return raw.decode("utf-8", "replace")
        if response not in self._bodies:
            try:
                self._bodies[response] = json.loads(raw[:_BODY_LIMIT])
            except ValueError:
                self._bodies[response] = None
        found = self._bodies[response]
        for step in steps:
            if isinstance(step, int) and isinstance(found, list) and step < len(found):
                found = found[step]
                continue
            if not (isinstance(step, str) and isinstance(found, dict) and step in found):
                return ""
            found = found[step]
        if found is None:
            return ""
        return found if isinstance(found, str) else json.dumps(found, separators=(",", ":"))


def _resolved(
    pairs: Iterable[tuple[str, str]],
    target_of: Callable[[str], mappings.Target | None],
    values: _Values,
    response: bool,
) -> list[tuple[mappings.Target, str]]:
    """Each mapping's target and its value, all read before any applies."""
    out = []
    for key, text in pairs:
        target = target_of(key)
        if target is None:
            continue  # validated when stored; a key that is none is ignored rather than failing the request
        if target.action == "remove":
            out.append((target, ""))
            continue
        parts = mappings.value(text, response=response)
        resolved = values.text(parts) if parts is not None else ""
        if resolved:
            out.append((target, resolved))
    return out


def _headers(headers: Iterable[tuple[str, str]], target: mappings.Target, value: str) -> list[tuple[str, str]]:
    lowered = target.name.lower()
    kept = [(k, v) for k, v in headers if k.lower() != lowered]
    if target.action == "remove":
        return kept
    if target.action == "append":
        existing = [v for k, v in headers if k.lower() == lowered]
        value = ",".join([*existing, value])
    kept.append((target.name, value))
    return kept


def map_request(match: RouteMatch, request: GatewayRequest, context: Context) -> tuple[GatewayRequest, str | None]:
    """The request as the integration's RequestParameters make it, and the path `overwrite:path` sets (or None)."""
    values = _Values(match, request, context)
    headers: list[tuple[str, str]] | None = None
    query: list[tuple[str, str]] | None = None
    path: str | None = None
    for target, value in _resolved(match.route.integration.request_parameters, mappings.request_target, values, False):
        if target.location == "path":
            path = value if value.startswith("/") else "/" + value
        elif target.location == "header":
            headers = _headers(request.headers if headers is None else headers, target, value)
        else:
            query = list(request.query()) if query is None else query
            if target.action != "append":
                query = [(k, v) for k, v in query if k != target.name]
            if target.action != "remove":
                query.append((target.name, value))
    mapped = request
    if headers is not None:
        mapped = replace(mapped, headers=tuple((k.lower(), v) for k, v in headers))
    if query is not None:
        mapped = replace(mapped, raw_query="&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query))
    if path is not None:
        mapped = replace(mapped, path=path)
    return mapped, path


def map_response(
    integration: Integration, match: RouteMatch, request: GatewayRequest, result: GatewayResult, context: Context
) -> GatewayResult:
    """The integration's answer as the ResponseParameters of its status code make it."""
    wanted = str(result.status)
    pairs = next((mapped for status, mapped in integration.response_mappings if status == wanted), None)
    if pairs is None:
        return result
    values = _Values(match, request, context, result)
    status, headers = result.status, list(result.headers)
    for target, value in _resolved(pairs, mappings.response_target, values, True):
        if target.location == "statuscode":
            if value.isdigit() and 200 <= int(value) <= 599:
                status = int(value)
        else:
            headers = _headers(headers, target, value)
    return GatewayResult(status, headers, result.body)
