"""The events a WebSocket API's Lambda proxy integrations receive: CONNECT, MESSAGE and DISCONNECT.

Their shape is the one AWS sends to `$connect`, custom / `$default` and `$disconnect` routes
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integrations.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html
for the context variables): a requestContext with the route key, event type, connection id and
times, the connection's handshake headers and query on CONNECT, the message as `body` on MESSAGE.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

from overcast.gateway.events import canonical_header_name, request_time


@dataclass(frozen=True, slots=True)
class Handshake:
    """What the client's opening request told: where it came from and what it sent."""

    domain_name: str  # the Host header's name, as in requestContext.domainName
    source_ip: str
    user_agent: str | None
    headers: tuple[tuple[str, str], ...]  # lowercased names, in order, with API Gateway's X-Forwarded-* added
    query: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Socket:
    """One connection as its events name it."""

    connection_id: str
    api_id: str
    stage: str
    connected_at_ms: int
    handshake: Handshake
    authorizer: dict[str, Any] | None = None  # what $connect's authorizer returned, in every later event


def new_id() -> str:
    """A connection, message or request id in AWS's form: 11 random bytes in base64 ("L0SM9cOFvHcCIhw=")."""
    return base64.b64encode(os.urandom(11)).decode("ascii")


def _context(socket: Socket, route_key: str, event_type: str, request_id: str, now_ms: int) -> dict[str, Any]:
    shake = socket.handshake
    identity = {
        "cognitoIdentityPoolId": None, "cognitoIdentityId": None, "principalOrgId": None,
        "cognitoAuthenticationType": None, "userArn": None, "userAgent": shake.user_agent, "accountId": None,
        "caller": None, "sourceIp": shake.source_ip, "accessKey": None, "cognitoAuthenticationProvider": None,
        "user": None,
    }  # fmt: skip
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(now_ms),
        "messageDirection": "IN",
        "stage": socket.stage,
        "connectedAt": socket.connected_at_ms,
        "requestTimeEpoch": now_ms,
        "identity": identity,
        "requestId": request_id,
        "domainName": shake.domain_name,
        "connectionId": socket.connection_id,
        "apiId": socket.api_id,
    } | ({"authorizer": socket.authorizer} if socket.authorizer is not None else {})


def connect_event(socket: Socket, request_id: str, now_ms: int) -> dict[str, Any]:
    """`$connect`'s event: the handshake's headers and query string, and the context."""
    context = _context(socket, "$connect", "CONNECT", request_id, now_ms)
    context.update({"messageId": None, "disconnectStatusCode": None, "disconnectReason": None})
    return {**_handshake(socket), "requestContext": context, "isBase64Encoded": False}


def authorizer_event(
    socket: Socket, method_arn: str, stage_variables: dict[str, str], request_id: str, now_ms: int
) -> dict[str, Any]:
    """A $connect Lambda REQUEST authorizer's event: the handshake, the stage's variables and `$connect`'s
    context (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html)."""
    context = _context(socket, "$connect", "CONNECT", request_id, now_ms)
    context["messageId"] = None
    return {"type": "REQUEST", "methodArn": method_arn, **_handshake(socket), "stageVariables": stage_variables,
            "requestContext": context}  # fmt: skip


def _handshake(socket: Socket) -> dict[str, Any]:
    event: dict[str, Any] = {}
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in socket.handshake.headers:
        key = canonical_header_name(name)
        headers[key] = value
        multi.setdefault(key, []).append(value)
    event["headers"], event["multiValueHeaders"] = headers, multi
    if socket.handshake.query:
        query: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for name, value in socket.handshake.query:
            query[name] = value
            multi_query.setdefault(name, []).append(value)
        event["queryStringParameters"], event["multiValueQueryStringParameters"] = query, multi_query
    return event


def message_event(socket: Socket, route_key: str, body: str | bytes, request_id: str, now_ms: int) -> dict[str, Any]:
    """A message's event: the message as `body` (a binary frame base64-encoded, `isBase64Encoded` true)."""
    context = _context(socket, route_key, "MESSAGE", request_id, now_ms)
    context["messageId"] = new_id()
    binary = isinstance(body, bytes)
    text = base64.b64encode(body).decode("ascii") if isinstance(body, bytes) else body
    return {"requestContext": context, "body": text, "isBase64Encoded": binary}


def disconnect_event(socket: Socket, code: int, reason: str, request_id: str, now_ms: int) -> dict[str, Any]:
    """`$disconnect`'s event: the close frame's status code and reason."""
    context = _context(socket, "$disconnect", "DISCONNECT", request_id, now_ms)
    context.update({"disconnectStatusCode": code, "disconnectReason": reason})
    host = socket.handshake.domain_name
    headers = {"Host": host, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    multi = {name: [value] for name, value in headers.items()}
    return {"headers": headers, "multiValueHeaders": multi, "requestContext": context, "isBase64Encoded": False}
