"""Lambda proxy events: the event API Gateway hands a function for one request, in payload formats 1.0 and 2.0.

Format 1.0 is what REST APIs always send and what HTTP APIs send for integrations with
payloadFormatVersion "1.0"; format 2.0 is HTTP APIs' own. Both are built from the matched route and
the request alone (pure functions); the authorizer's output arrives already shaped as it appears
under requestContext.authorizer (REST Lambda authorizer: principalId, integrationLatency and the
context; HTTP API: {"jwt": {...}}, {"lambda": {...}} or {"iam": {...}} in 2.0).

https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterable, Mapping
from typing import Any

from overcast.apis.deployed import ApiKind, DeployedApi, Route
from overcast.gateway.binary import encode_body, is_http_api_text, matches_binary_media_types
from overcast.gateway.request import GatewayRequest, RouteMatch

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PROTOCOL = "HTTP/1.1"


_last_time: tuple[int, str] = (-1, "")  # the last second formatted: requests come many to a second


def request_time(epoch_ms: int) -> str:
    """API Gateway's CLF request time, "09/Apr/2015:12:34:56 +0000" (English months whatever the locale)."""
    global _last_time
    second = epoch_ms // 1000
    if _last_time[0] == second:
        return _last_time[1]
    t = time.gmtime(second)
    day = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year:04d}"
    text = f"{day}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    _last_time = (second, text)
    return text


_domains: dict[str, str] = {}  # Host header -> domain name: an API is called under few hosts
_MEMO_LIMIT = 4096


def domain_name(host: str) -> str:
    """requestContext.domainName: the Host header's name without its port (AWS is always on 443)."""
    found = _domains.get(host)
    if found is None:
        if len(_domains) >= _MEMO_LIMIT:
            _domains.clear()
        found = _domains[host] = _domain_name(host)
    return found


def _domain_name(host: str) -> str:
    host = host.strip()
    if host.startswith("["):  # an IPv6 literal, "[::1]:4566"
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if ":" in host else host


def domain_prefix(domain: str) -> str:
    """requestContext.domainPrefix: the domain's first label (the API id on execute-api hosts)."""
    return domain.split(".", 1)[0]


def route_key(route: Route) -> str:
    """An HTTP API route's key: "GET /pets/{id}", "ANY /{proxy+}" or "$default"."""
    return "$default" if route.path == "$default" else f"{route.method} {route.path}"


def stage_path_prefix(api: DeployedApi) -> str:
    """The path segment naming the stage in a request URL: "/prod", or "" for an HTTP API's $default stage."""
    return "" if api.stage == "$default" else f"/{api.stage}"


def path_prefix(api: DeployedApi, request: GatewayRequest) -> str:
    """What the request's path held before the API's own path: the stage segment, or through a custom domain
    the mapping's base path (and a stage the path named), which events show as sent."""
    return request.stage_prefix if request.custom_domain else stage_path_prefix(api)


def rest_event_path(request: GatewayRequest) -> str:
    """A REST event's top-level `path`: the path after the stage; through a custom domain the whole path
    with its base path, as API Gateway sends it (the base path is stripped only to select the resource:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html)."""
    return request.stage_prefix + request.path if request.custom_domain else request.path


_last_extended: tuple[str, str] = ("", "")  # a request's extended id is asked for up to three times in a row


def extended_request_id(request_id: str) -> str:
    """A REST API's extendedRequestId: a short base64 id of the request (e.g. "BQGojGkQjoEFZ8Q=")."""
    global _last_extended
    if _last_extended[0] == request_id:
        return _last_extended[1]
    extended = base64.b64encode(hashlib.sha256(request_id.encode()).digest()[:11]).decode("ascii")
    _last_extended = (request_id, extended)
    return extended


def _single_and_multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    # Format 1.0: the single-value map keeps the last value of a repeated name, the multi-value map all of
    # them in order; both are null when the request had none.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#apigateway-multivalue-headers-and-parameters
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return (single or None), (multi or None)


def canonical_header_name(name: str) -> str:
    """A header name as clients commonly write it: each dash-separated word capitalised ("X-Api-Key").

    Payload 1.0 events carry header names as the client sent them, but the ASGI server hands us
    lowercased names (HTTP/1.1 names are case-insensitive, RFC 9110 section 5.1), so the original case
    is lost; the common capitalisation is the best approximation of what a client (curl, browsers,
    SDKs) sent. Payload 2.0 events carry lowercased names, as AWS sends them.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    """
    found = _canonical.get(name)
    if found is None:
        if len(_canonical) >= _MEMO_LIMIT:
            _canonical.clear()
        found = _canonical[name] = "-".join(word[:1].upper() + word[1:] for word in name.split("-"))
    return found


_canonical: dict[str, str] = {}  # header name -> its common capitalisation: clients send few distinct names


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    # Format 2.0 has no multi-value maps: repeats are joined with commas, in order.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    lists: dict[str, list[str]] = {}
    for name, value in pairs:
        lists.setdefault(name, []).append(value)
    return {name: ",".join(values) for name, values in lists.items()}


def event_body(api: DeployedApi, request: GatewayRequest, content_type: str | None) -> tuple[str | None, bool]:
    """The event's (body, isBase64Encoded) for a request whose first Content-Type is `content_type`."""
    if api.kind is ApiKind.REST:
        # REST APIs base64-encode only bodies whose Content-Type is one of the API's binaryMediaTypes.
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings-workflow.html
        binary = matches_binary_media_types(content_type, api.binary_media_types)
    else:
        binary = not is_http_api_text(content_type)
    return encode_body(request.body, binary=binary)


def _query(request: GatewayRequest) -> list[tuple[str, str]]:
    return request.query() if request.raw_query else []


def headers_v1(
    request: GatewayRequest,
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None, str | None, str | None]:
    """Format 1.0's header maps (single: the last value of a name; multi: all of them) under the names'
    common capitalisation, both None without headers; the first Content-Type; the User-Agent (joined)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    content_type: str | None = None
    agents: list[str] = []
    for name, value in request.headers:
        canonical = _canonical.get(name) or canonical_header_name(name)
        headers[canonical] = value
        values = multi_headers.get(canonical)
        if values is None:
            multi_headers[canonical] = [value]
        else:
            values.append(value)
        if name == "content-type":
            if content_type is None:
                content_type = value
        elif name == "user-agent":
            agents.append(value)
    return headers or None, multi_headers or None, content_type, ",".join(agents) if agents else None


def headers_v2(request: GatewayRequest) -> tuple[dict[str, str], list[str], str | None]:
    """Format 2.0's headers (repeats joined with commas, Cookie headers apart), its cookies, the first Content-Type."""
    headers: dict[str, str] = {}
    cookie_values: list[str] = []
    content_type: str | None = None
    for name, value in request.headers:
        if name == "cookie":
            cookie_values.append(value)
            continue
        previous = headers.get(name)
        headers[name] = value if previous is None else f"{previous},{value}"
        if name == "content-type" and content_type is None:
            content_type = value
    return headers, _cookies(cookie_values) if cookie_values else [], content_type


def query_v1(request: GatewayRequest) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """Format 1.0's query string maps (single and multi-value), both None without a query."""
    return _single_and_multi(_query(request))


def query_v2(request: GatewayRequest) -> dict[str, str]:
    """Format 2.0's query string parameters (repeats joined with commas)."""
    return _joined(_query(request))


# requestContext.identity's caller fields: null unless AWS_IAM or Cognito fill them.
CALLER_FIELDS = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
    "user",
    "userArn",
)


def identity_v1(
    api: DeployedApi,
    request: GatewayRequest,
    identity: Mapping[str, Any] | None,
    api_key_id: str | None,
    api_key: str | None,
    user_agent: str | None,
) -> dict[str, Any]:
    """requestContext.identity of a format 1.0 event."""
    fields: dict[str, Any] = dict.fromkeys(CALLER_FIELDS)
    fields["sourceIp"] = request.source_ip
    if api.kind is ApiKind.REST:
        fields["userAgent"] = user_agent
        fields["clientCert"] = None  # only with mutual TLS, which local endpoints do not offer
        if api_key_id is not None:
            # $context.identity.apiKey / apiKeyId: present when the method required an API key.
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#context-variable-reference
            fields["apiKey"] = api_key if api_key is not None else request.header("x-api-key")
            fields["apiKeyId"] = api_key_id
    else:
        # HTTP APIs' 1.0 identity as AWS sends it (cognitoAmr, no API keys, an empty user agent when none).
        fields["cognitoAmr"] = None
        fields["userAgent"] = user_agent or ""
    if identity:
        # AWS_IAM and Cognito fill the caller's fields; the authorizer module passes them in.
        fields.update(identity)
    return fields


def proxy_event_v1(
    match: RouteMatch,
    request: GatewayRequest,
    *,
    authorizer: Mapping[str, Any] | None,
    api_key_id: str | None = None,
    api_key: str | None = None,
    identity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload format 1.0 event: a REST API's Lambda proxy event, or an HTTP API's with payload 1.0.

    `api_key` is the key's value for identity.apiKey (defaults to the x-api-key header when `api_key_id`
    is given); `identity` overlays identity fields (AWS_IAM callers, Cognito).
    """
    api, route = match.api, match.route
    rest = api.kind is ApiKind.REST
    prefix = path_prefix(api, request)
    headers, multi_headers, content_type, user_agent = headers_v1(request)
    query, multi_query = _single_and_multi(_query(request))
    body, is_base64 = event_body(api, request, content_type)
    domain = domain_name(request.host)

    context: dict[str, Any] = {
        # HTTP APIs name the route in resourceId ("ANY /pets/{id}", "$default"); REST the resource's id.
        "resourceId": route.resource_id if rest else route_key(route),
        "resourcePath": route.path,
        "httpMethod": request.method,
        # HTTP APIs use one id for both; REST's extended id is a second, shorter one.
        "extendedRequestId": extended_request_id(request.request_id) if rest else request.request_id,
        "requestTime": request_time(request.time_epoch_ms),
        # requestContext.path includes the stage ("/prod/pets/1"); REST's top-level path does not.
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
        "path": prefix + request.path,
        "accountId": api.account_id,
        "protocol": _PROTOCOL,
        "stage": api.stage,
        "domainPrefix": domain_prefix(domain),
        "requestTimeEpoch": request.time_epoch_ms,
        "requestId": request.request_id,
        "identity": identity_v1(api, request, identity, api_key_id, api_key, user_agent),
        "domainName": domain,
        "apiId": api.api_id,
    }
    if authorizer is not None:
        # Present only when the route has an authorizer ($context.authorizer.*).
        context["authorizer"] = dict(authorizer)

    event: dict[str, Any] = {}
    if not rest:
        # HTTP APIs mark the format; REST events carry no version key.
        event["version"] = "1.0"
    event.update(
        {
            "resource": route.path,
            # REST: the path after the stage; HTTP APIs' 1.0 path keeps the stage segment.
            "path": rest_event_path(request) if rest else prefix + request.path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "requestContext": context,
            "pathParameters": dict(match.path_parameters) or None,
            "stageVariables": dict(api.stage_variables) or None,
            "body": body,
            "isBase64Encoded": is_base64,
        }
    )
    return event


def _cookies(values: list[str]) -> list[str]:
    # Format 2.0 moves Cookie headers out of `headers` into `cookies`, one entry per cookie.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    cookies: list[str] = []
    for value in values:
        cookies.extend(part.strip() for part in value.split(";") if part.strip())
    return cookies


def proxy_event_v2(
    match: RouteMatch, request: GatewayRequest, *, authorizer: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The payload format 2.0 event an HTTP API sends a Lambda proxy integration.

    Optional parts (cookies, queryStringParameters, pathParameters, stageVariables, body,
    requestContext.authorizer) are left out when empty, as AWS does.
    """
    api, route = match.api, match.route
    # rawPath and http.path keep the stage segment of a named stage ("/prod/pets"), as AWS sends them.
    path = path_prefix(api, request) + request.path
    key = route_key(route)
    domain = domain_name(request.host)
    headers, cookies, content_type = headers_v2(request)
    body, is_base64 = event_body(api, request, content_type)
    query = _joined(_query(request))

    context: dict[str, Any] = {
        "accountId": api.account_id,
        "apiId": api.api_id,
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    context.update(
        {
            "domainName": domain,
            "domainPrefix": domain_prefix(domain),
            "http": {
                "method": request.method,
                "path": path,
                "protocol": _PROTOCOL,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent") or "",
            },
            "requestId": request.request_id,
            "routeKey": key,
            "stage": api.stage,
            "time": request_time(request.time_epoch_ms),
            "timeEpoch": request.time_epoch_ms,
        }
    )

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": key,
        "rawPath": path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if body is not None:
        event["body"] = body
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    event["isBase64Encoded"] = is_base64
    if api.stage_variables:
        event["stageVariables"] = dict(api.stage_variables)
    return event
