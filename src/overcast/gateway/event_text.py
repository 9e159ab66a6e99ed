"""Event text: a Lambda proxy event's JSON written straight from the request, what the route fixes pre-encoded.

`proxy_event_v1` / `proxy_event_v2` (events.py) say what an event holds; encoding that dict costs more
than building it, and about half of it never changes for a route (the resource, the stage, the API
and account ids, REST's identity nulls). `event_json_v1` / `event_json_v2` write the very same text
as encoding those dicts with `event_json` — byte for byte, tests/gateway/test_event_text.py checks it
— from fragments encoded once per route and the request's own values. Requests with an authorizer's
output, an API key or an identity overlay take the dict and encode it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from overcast.apis.deployed import ApiKind, DeployedApi, Route
from overcast.gateway.events import (
    CALLER_FIELDS,
    domain_name,
    domain_prefix,
    event_body,
    extended_request_id,
    headers_v1,
    headers_v2,
    path_prefix,
    proxy_event_v1,
    proxy_event_v2,
    query_v1,
    query_v2,
    request_time,
    rest_event_path,
    route_key,
)
from overcast.gateway.request import GatewayRequest, RouteMatch

__all__ = ["RouteText", "event_json", "event_json_v1", "event_json_v2"]

# A REST event's identity up to its source IP: the caller fields' nulls, as identity_v1 orders them.
_REST_IDENTITY_START = ',"identity":{' + "".join(f'"{name}":null,' for name in CALLER_FIELDS) + '"sourceIp":'


def _not_serializable(value: object) -> object:
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


# json's C encoder made once (JSONEncoder.encode makes one per call), compact, without the circular
# reference check (an event is a tree built here); otherwise as json.dumps writes.
_encoder = (
    c_make_encoder(None, _not_serializable, encode_basestring_ascii, None, ":", ",", False, False, True)
    if c_make_encoder is not None
    else None  # an interpreter without json's C accelerator
)
_compact = json.JSONEncoder(separators=(",", ":"))


def event_json(value: Any) -> str:
    """Compact JSON text, as `json.dumps(value, separators=(",", ":"))` writes it."""
    if value is None:
        return "null"
    return "".join(_encoder(value, 0)) if _encoder is not None else _compact.encode(value)


_text = encode_basestring_ascii  # a str as JSON text


def _optional(value: str | None) -> str:
    return "null" if value is None else _text(value)


class RouteText:
    """What one route of one snapshot writes the same way into every event (the gateway keeps one per
    route with the snapshot's prepared data, prepared.py)."""

    __slots__ = ("api", "context_tail", "head", "key", "route", "stage_variables", "v2_context_head", "v2_stage")

    def __init__(self, api: DeployedApi, route: Route) -> None:
        self.api, self.route = api, route
        rest = api.kind is ApiKind.REST
        self.key = _text(route_key(route))
        self.head = ('{"version":"1.0",' if not rest else "{") + '"resource":' + _text(route.path)
        self.context_tail = (
            ',"accountId":' + _text(api.account_id) + ',"protocol":"HTTP/1.1","stage":' + _text(api.stage)
        )
        self.stage_variables = event_json(dict(api.stage_variables) or None)
        ids = _text(api.account_id) + ',"apiId":' + _text(api.api_id)
        self.v2_context_head = '"requestContext":{"accountId":' + ids
        self.v2_stage = '"stage":' + _text(api.stage)


def event_json_v1(
    match: RouteMatch,
    request: GatewayRequest,
    *,
    authorizer: Mapping[str, Any] | None,
    api_key_id: str | None = None,
    api_key: str | None = None,
    text: RouteText | None = None,
) -> str:
    """`event_json(proxy_event_v1(...))`, the same text (`text`: the route's, when the caller keeps it)."""
    api, route = match.api, match.route
    if authorizer is not None or api_key_id is not None or api.kind is not ApiKind.REST:
        event = proxy_event_v1(match, request, authorizer=authorizer, api_key_id=api_key_id, api_key=api_key)
        return event_json(event)
    parts = text if text is not None else RouteText(api, route)
    prefix = path_prefix(api, request)
    headers, multi_headers, content_type, user_agent = headers_v1(request)
    query, multi_query = query_v1(request)
    body, is_base64 = event_body(api, request, content_type)
    domain = domain_name(request.host)
    method = _text(request.method)
    epoch = str(request.time_epoch_ms)
    request_id = _text(request.request_id)
    return "".join(
        (
            parts.head,
            ',"path":',
            _text(rest_event_path(request)),
            ',"httpMethod":',
            method,
            ',"headers":',
            event_json(headers),
            ',"multiValueHeaders":',
            event_json(multi_headers),
            ',"queryStringParameters":',
            event_json(query),
            ',"multiValueQueryStringParameters":',
            event_json(multi_query),
            ',"requestContext":{"resourceId":',
            _text(route.resource_id),
            ',"resourcePath":',
            _text(route.path),
            ',"httpMethod":',
            method,
            ',"extendedRequestId":',
            _text(extended_request_id(request.request_id)),
            ',"requestTime":',
            _text(request_time(request.time_epoch_ms)),
            ',"path":',
            _text(prefix + request.path),
            parts.context_tail,
            ',"domainPrefix":',
            _text(domain_prefix(domain)),
            ',"requestTimeEpoch":',
            epoch,
            ',"requestId":',
            request_id,
            _REST_IDENTITY_START,
            _text(request.source_ip),
            ',"userAgent":',
            _optional(user_agent),
            ',"clientCert":null},"domainName":',
            _text(domain),
            ',"apiId":',
            _text(api.api_id),
            '},"pathParameters":',
            event_json(match.path_parameters) if match.path_parameters else "null",
            ',"stageVariables":',
            parts.stage_variables,
            ',"body":',
            _optional(body),
            ',"isBase64Encoded":',
            "true" if is_base64 else "false",
            "}",
        )
    )


def event_json_v2(
    match: RouteMatch, request: GatewayRequest, *, authorizer: Mapping[str, Any] | None, text: RouteText | None = None
) -> str:
    """`event_json(proxy_event_v2(...))`, the same text (`text`: the route's, when the caller keeps it)."""
    api, route = match.api, match.route
    if authorizer is not None:
        return event_json(proxy_event_v2(match, request, authorizer=authorizer))
    parts = text if text is not None else RouteText(api, route)
    path = _text(path_prefix(api, request) + request.path)
    domain = domain_name(request.host)
    headers, cookies, content_type = headers_v2(request)
    body, is_base64 = event_body(api, request, content_type)
    query = query_v2(request)
    out = ['{"version":"2.0","routeKey":', parts.key, ',"rawPath":', path, ',"rawQueryString":']
    out.append(_text(request.raw_query))
    if cookies:
        out.append(',"cookies":')
        out.append(event_json(cookies))
    out.append(',"headers":')
    out.append(event_json(headers))
    if query:
        out.append(',"queryStringParameters":')
        out.append(event_json(query))
    out.append(",")
    out.append(parts.v2_context_head)
    out.extend(
        (
            ',"domainName":',
            _text(domain),
            ',"domainPrefix":',
            _text(domain_prefix(domain)),
            ',"http":{"method":',
            _text(request.method),
            ',"path":',
            path,
            ',"protocol":"HTTP/1.1","sourceIp":',
            _text(request.source_ip),
            ',"userAgent":',
            _text(headers.get("user-agent") or ""),
            '},"requestId":',
            _text(request.request_id),
            ',"routeKey":',
            parts.key,
            ",",
            parts.v2_stage,
            ',"time":',
            _text(request_time(request.time_epoch_ms)),
            ',"timeEpoch":',
            str(request.time_epoch_ms),
            "}",
        )
    )
    if body is not None:
        out.append(',"body":')
        out.append(_text(body))
    if match.path_parameters:
        out.append(',"pathParameters":')
        out.append(event_json(dict(match.path_parameters)))
    out.append(',"isBase64Encoded":')
    out.append("true" if is_base64 else "false")
    if api.stage_variables:
        out.append(',"stageVariables":')
        out.append(parts.stage_variables)
    out.append("}")
    return "".join(out)
