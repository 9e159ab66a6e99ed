"""Gateway responses: the answers API Gateway itself gives (no route, no key, throttled, timed out...).

REST APIs answer each failure with a typed gateway response — a default status and
`{"message": $context.error.messageString}` — that a customised GatewayResponse of that type, or
else of DEFAULT_4XX / DEFAULT_5XX, may override (status, headers, body template).
https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
HTTP APIs have no customisation and answer `{"message": "..."}` with the same status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from overcast.apis.deployed import ApiKind, DeployedApi, GatewayResponse


@dataclass(frozen=True, slots=True)
class Failure:
    """A gateway-made answer before customisation."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    response_type: str | None = None  # the REST gateway response type that may customise it
    message: str = ""  # $context.error.message
    validation_error: str = ""  # $context.error.validationErrorString (request validation's details)


# type -> (status, message, REST's x-amzn-ErrorType)
DEFAULTS: dict[str, tuple[int, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token", "MissingAuthenticationTokenException"),
    "INVALID_API_KEY": (403, "Forbidden", "ForbiddenException"),
    "THROTTLED": (429, "Too Many Requests", "TooManyRequestsException"),
    "QUOTA_EXCEEDED": (429, "Limit Exceeded", "LimitExceededException"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out", "InternalServerErrorException"),
    "INTEGRATION_FAILURE": (504, "Internal server error", "InternalServerErrorException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", "RequestTooLongException"),
    # a body no mapping template takes, under passthrough behavior NEVER or WHEN_NO_TEMPLATES:
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-passthrough-behaviors.html
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type", "UnsupportedMediaTypeException"),
    "RESOURCE_NOT_FOUND": (404, "Not Found", "NotFoundException"),
    "API_CONFIGURATION_ERROR": (500, "Internal server error", "InternalServerErrorException"),
    "DEFAULT_5XX": (500, "Internal server error", "InternalServerErrorException"),
    "DEFAULT_4XX": (400, "Bad Request", "BadRequestException"),
    # request validation: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html
    "BAD_REQUEST_BODY": (400, "Invalid request body", "BadRequestException"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters", "BadRequestException"),
}

# HTTP APIs' wording for the same situations.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html
HTTP_DEFAULTS: dict[str, tuple[int, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "Not Found"),
    "RESOURCE_NOT_FOUND": (404, "Not Found"),
    "INVALID_API_KEY": (403, "Forbidden"),
    "THROTTLED": (429, "Too Many Requests"),
    "QUOTA_EXCEEDED": (429, "Too Many Requests"),
    # An HTTP API whose integration does not answer in time returns 503.
    "INTEGRATION_TIMEOUT": (503, "Service Unavailable"),
    "INTEGRATION_FAILURE": (500, "Internal Server Error"),
    "REQUEST_TOO_LARGE": (413, "Request Entity Too Large"),
    "API_CONFIGURATION_ERROR": (500, "Internal Server Error"),
    "DEFAULT_5XX": (500, "Internal Server Error"),
    "DEFAULT_4XX": (400, "Bad Request"),
}


def _json(value: dict[str, str]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def failure(kind: ApiKind, response_type: str, message: str | None = None, validation_error: str = "") -> Failure:
    """The default answer of `response_type` for an API of `kind` (`message`: its own instead of the type's)."""
    if kind is ApiKind.HTTP:
        status, default = HTTP_DEFAULTS.get(response_type, HTTP_DEFAULTS["DEFAULT_5XX"])
        message = message or default
        return Failure(status, _json({"message": message}), (), None, message)
    status, default, error_type = DEFAULTS.get(response_type, DEFAULTS["DEFAULT_5XX"])
    message = message or default
    headers = (("x-amzn-ErrorType", error_type),)
    return Failure(status, _json({"message": message}), headers, response_type, message, validation_error)


def customise(
    api: DeployedApi | None, answer: Failure, request_id: str
) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    """Apply a REST API's customised gateway response (its own type, else DEFAULT_4XX/DEFAULT_5XX)."""
    if api is None or api.kind is not ApiKind.REST or not api.gateway_responses or answer.response_type is None:
        return answer.status, answer.headers, answer.body
    by_type = {r.type: r for r in api.gateway_responses}
    fallback = "DEFAULT_4XX" if answer.status < 500 else "DEFAULT_5XX"
    custom = by_type.get(answer.response_type) or by_type.get(fallback)
    if custom is None:
        return answer.status, answer.headers, answer.body
    status = custom.status_code or answer.status
    headers = answer.headers + _static_headers(custom)
    body = answer.body
    template = _template(custom)
    if template is not None:
        body = render(template, api, answer, request_id).encode()
    return status, headers, body


def _static_headers(custom: GatewayResponse) -> tuple[tuple[str, str], ...]:
    """responseParameters' static values: "gatewayresponse.header.Name" -> "'value'"."""
    out: list[tuple[str, str]] = []
    for name, value in custom.headers:
        name = name.removeprefix("gatewayresponse.header.")
        if len(value) >= 2 and value[0] == value[-1] == "'":
            out.append((name, value[1:-1]))
    return tuple(out)


def _template(custom: GatewayResponse) -> str | None:
    templates = dict(custom.templates)
    if "application/json" in templates:
        return templates["application/json"]
    return next(iter(templates.values()), None)


def render(template: str, api: DeployedApi, answer: Failure, request_id: str) -> str:
    """The `$context` variables a gateway response template may use (no full VTL)."""
    values = {
        "$context.error.messageString": json.dumps(answer.message),
        "$context.error.message": answer.message,
        "$context.error.responseType": answer.response_type or "",
        "$context.error.validationErrorString": answer.validation_error,
        "$context.requestId": request_id,
        "$context.apiId": api.api_id,
        "$context.stage": api.stage,
        "$context.accountId": api.account_id,
    }
    out = template
    for name in sorted(values, key=len, reverse=True):  # longest first: messageString before message
        out = out.replace(name, values[name]).replace("${" + name[1:] + "}", values[name])
    return out
