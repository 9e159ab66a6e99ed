"""AuthResult: what an authorizer decided, and AWS's default answers for each way of saying no."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from overcast.apis.deployed import ApiKind


@dataclass(frozen=True, slots=True)
class AuthResult:
    """The outcome of authorizing one request.

    A denial carries AWS's default status, body and headers; `gateway_response_type` names the REST
    GatewayResponse type a customised gateway response may replace them with (None where no
    customisation applies: HTTP APIs, or Overcast's own "not implemented" answer).
    `request_context_authorizer` is exactly what goes into the proxy event's
    `requestContext.authorizer` (None: the event carries none of its own).
    """

    allowed: bool
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    gateway_response_type: str | None = None
    principal_id: str | None = None
    request_context_authorizer: dict[str, Any] | None = None
    usage_identifier_key: str | None = None
    latency_ms: int = 0
    error: str = ""  # why it failed, for $context.authorizer.error in access logs


def _body(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


# REST APIs answer with x-amzn-ErrorType naming the error, and bodies from the default gateway
# response templates ({"message":$context.error.messageString}); the two policy denials are
# answered with a capitalised "Message", as AWS sends them.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html


def unauthorized(kind: ApiKind, error: str, headers: tuple[tuple[str, str], ...] = ()) -> AuthResult:
    """401: no identity, a token failing its validation expression, an authorizer saying "Unauthorized", a bad JWT."""
    if kind is ApiKind.REST:
        headers = (*headers, ("x-amzn-ErrorType", "UnauthorizedException"))
    return AuthResult(
        allowed=False,
        status=401,
        body=_body({"message": "Unauthorized"}),
        headers=headers,
        gateway_response_type="UNAUTHORIZED",
        error=error,
    )


def access_denied(kind: ApiKind, *, explicit: bool, error: str = "") -> AuthResult:
    """403: a Lambda authorizer's policy denies the method (explicitly, or by allowing something else)."""
    if kind is ApiKind.HTTP:
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
        return AuthResult(allowed=False, status=403, body=_body({"message": "Forbidden"}), error=error)
    message = "User is not authorized to access this resource"
    if explicit:
        message += " with an explicit deny"
    return AuthResult(
        allowed=False,
        status=403,
        body=_body({"Message": message}),
        headers=(("x-amzn-ErrorType", "AccessDeniedException"),),
        gateway_response_type="ACCESS_DENIED",
        error=error,
    )


def forbidden_scopes(headers: tuple[tuple[str, str], ...], error: str) -> AuthResult:
    """403: a valid JWT without any of the route's scopes."""
    return AuthResult(allowed=False, status=403, body=_body({"message": "Forbidden"}), headers=headers, error=error)


def authorizer_error(kind: ApiKind, error: str) -> AuthResult:
    """500: the authorizer function failed, could not be invoked, or answered something unusable.

    REST answers `{"message":null}` (the error's messageString is null) with
    x-amzn-ErrorType AuthorizerConfigurationException, the AUTHORIZER_CONFIGURATION_ERROR gateway
    response; HTTP APIs answer 500 Internal Server Error.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html#http-api-lambda-authorizer.troubleshooting
    """
    if kind is ApiKind.HTTP:
        return AuthResult(allowed=False, status=500, body=_body({"message": "Internal Server Error"}), error=error)
    return AuthResult(
        allowed=False,
        status=500,
        body=_body({"message": None}),
        headers=(("x-amzn-ErrorType", "AuthorizerConfigurationException"),),
        gateway_response_type="AUTHORIZER_CONFIGURATION_ERROR",
        error=error,
    )


def not_implemented(what: str) -> AuthResult:
    """500: an authorization type Overcast does not enforce yet; never a silent allow."""
    message = f"Overcast does not implement {what} authorization yet; the request is refused rather than let through"
    return AuthResult(
        allowed=False,
        status=500,
        body=_body({"message": message}),
        headers=(("x-amzn-ErrorType", "NotImplemented"),),
        error=message,
    )


ALLOWED = AuthResult(allowed=True)
