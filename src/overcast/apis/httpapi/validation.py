"""The rules an HTTP API's parts must follow, checked before anything is stored.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html (route keys)
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html (limits)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from overcast.apis.httpapi import mappings
from overcast.apis.httpapi.records import (
    DEFAULT_ROUTE,
    DEFAULT_STAGE,
    AccessLog,
    Authorizer,
    CorsConfig,
    Integration,
    Route,
    RouteSettings,
)
from overcast.arn import log_group_of, parse_arn
from overcast.errors import BadRequest

METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
AUTHORIZATION_TYPES = ("NONE", "JWT", "CUSTOM", "AWS_IAM")
_SEGMENT = re.compile(r"^(\{[A-Za-z0-9._-]+\}|\{[A-Za-z0-9._-]+\+\}|[A-Za-z0-9._~:@!$&'()*+,;=%-]+)$")
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_STAGE_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_STAGE_VARIABLE_VALUE = re.compile(r"^[A-Za-z0-9\-._~:/?#&=,]{0,2048}$")
_IDENTITY_SOURCE = re.compile(
    r"^\$(request\.(header|querystring)\.[^\s]+|context\.[A-Za-z0-9_.]+|stageVariables\.[A-Za-z0-9_]+)$"
)
_MIN_TIMEOUT_MS, _MAX_TIMEOUT_MS = 50, 30_000


def split_route_key(route_key: str) -> tuple[str, str]:
    """(method, path) of a valid route key; ("ANY", "$default") for the default route."""
    if route_key == DEFAULT_ROUTE:
        return "ANY", DEFAULT_ROUTE
    method, _, path = route_key.partition(" ")
    return method, path


def route_key(key: str) -> None:
    bad = BadRequest(
        f'The provided route key "{key}" is not formatted properly for HTTP protocol. '
        'Format should be "<HTTP METHOD> /<RESOURCE PATH>" or "$default"'
    )
    if key == DEFAULT_ROUTE:
        return
    method, sep, path = key.partition(" ")
    if not sep or method not in METHODS or not path.startswith("/") or " " in path:
        raise bad
    if path == "/":
        return
    segments = path[1:].split("/")
    if not all(_SEGMENT.match(s) for s in segments):
        raise bad
    for segment in segments[:-1]:
        if segment.endswith("+}"):
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html#http-api-develop-routes.greedy
            raise BadRequest(f'The greedy path variable {segment} of route key "{key}" must be the last path segment.')
    names = [s.strip("{}+") for s in segments if s.startswith("{")]
    if len(names) != len(set(names)):
        raise BadRequest(f'The route key "{key}" repeats a path parameter name.')


def route(r: Route, authorizers: dict[str, Authorizer], integration_ids: Iterable[str]) -> None:
    route_key(r.route_key)
    if r.api_key_required:
        # https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-routes.html:
        # ApiKeyRequired is "supported only for WebSocket APIs".
        raise BadRequest("ApiKeyRequired is supported only for WebSocket APIs.")
    if r.target is not None:
        integration = r.integration_id
        if integration is None:
            raise BadRequest(f"Invalid target {r.target}. A target must be of the form integrations/<integrationId>.")
        if integration not in set(integration_ids):
            raise BadRequest(f"Invalid Integration identifier specified {integration} in target {r.target}")
    if r.authorization_type not in AUTHORIZATION_TYPES:
        raise BadRequest(
            f"Invalid authorization type {r.authorization_type}. Must be one of [{', '.join(AUTHORIZATION_TYPES)}]"
        )
    wanted = {"JWT": "JWT", "CUSTOM": "REQUEST"}.get(r.authorization_type)
    if wanted is None:
        if r.authorizer_id is not None:
            raise BadRequest(
                f"AuthorizerId may only be set for authorization type JWT or CUSTOM, not {r.authorization_type}."
            )
    else:
        if r.authorizer_id is None:
            raise BadRequest(f"An AuthorizerId is required for authorization type {r.authorization_type}.")
        found = authorizers.get(r.authorizer_id)
        if found is None:
            raise BadRequest(f"Invalid Authorizer identifier specified {r.authorizer_id}")
        if found.authorizer_type != wanted:
            raise BadRequest(
                f"Authorizer {r.authorizer_id} is of type {found.authorizer_type}; "
                f"authorization type {r.authorization_type} needs a {wanted} authorizer."
            )
    if r.authorization_scopes and r.authorization_type != "JWT":
        raise BadRequest("AuthorizationScopes are supported only for JWT authorizers.")


def integration(i: Integration) -> None:
    if i.integration_type not in ("AWS_PROXY", "HTTP_PROXY"):
        # HTTP APIs support Lambda proxy, HTTP proxy and AWS service (subtype) integrations only.
        raise BadRequest(f"Integration type {i.integration_type} is not supported for HTTP APIs.")
    if i.integration_subtype is not None:
        raise BadRequest("AWS service integrations (IntegrationSubtype) are not supported by Overcast yet.")
    if not (_MIN_TIMEOUT_MS <= i.timeout_in_millis <= _MAX_TIMEOUT_MS):
        raise BadRequest("Timeout must be between 50 milliseconds and 30 seconds.")
    if not i.integration_uri:
        raise BadRequest("IntegrationUri is required for integration type " + i.integration_type)
    if i.integration_type == "AWS_PROXY":
        if i.payload_format_version not in ("1.0", "2.0"):
            raise BadRequest("PayloadFormatVersion must be 1.0 or 2.0 for Lambda proxy integrations.")
        if parse_arn(i.integration_uri) is None:
            raise BadRequest(f"Invalid integration URI specified {i.integration_uri}")
    else:
        if not re.match(r"^https?://[^\s/]+", i.integration_uri):
            raise BadRequest(f"Invalid HTTP endpoint specified for URI {i.integration_uri}")
        if i.payload_format_version != "1.0":
            raise BadRequest("PayloadFormatVersion 1.0 is the only supported value for HTTP proxy integrations.")
        if i.integration_method is None:
            raise BadRequest("IntegrationMethod is required for integration type HTTP_PROXY.")
        if i.integration_method not in METHODS:
            raise BadRequest(f"Invalid IntegrationMethod {i.integration_method}")
    parameter_mappings(i)


def _invalid_mapping(error: str) -> BadRequest:
    # API Gateway words a refused mapping as REST APIs' mapping errors are worded, e.g. (terraform-provider-aws#17997)
    # "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid Response ...]".
    return BadRequest(f"Invalid mapping expression specified: Validation Result: warnings : [], errors : [{error}]")


def parameter_mappings(i: Integration) -> None:
    """RequestParameters and ResponseParameters as HTTP APIs take them: the keys of the parameter mapping
    page, no reserved header, values made of the sources each side may use, status codes 200..599.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html"""
    for key, text in (i.request_parameters or {}).items():
        target = mappings.request_target(key)
        if target is None:
            raise _invalid_mapping(f"Invalid Request Actioned Parameter: {key}")
        _mapping(target, text, response=False)
    for status, parameters in (i.response_parameters or {}).items():
        _status_code(status)
        if not isinstance(parameters, dict):
            raise _invalid_mapping(f"Invalid response parameters for status code {status}")
        for key, text in parameters.items():
            target = mappings.response_target(key)
            if target is None:
                raise _invalid_mapping(f"Invalid Response Actioned Parameter: {key}")
            _mapping(target, text, response=True)


def _mapping(target: mappings.Target, text: str, *, response: bool) -> None:
    if target.location == "header" and mappings.is_reserved(target.name):
        raise _invalid_mapping(f"Operations on header {target.name} are restricted")
    if target.action == "remove":
        return  # the value of a removal is not read ("''" in AWS's examples)
    parts = mappings.value(text, response=response) if isinstance(text, str) else None
    if parts is None or not text:
        raise _invalid_mapping(f"Invalid mapping expression specified: {text}")
    if target.location == "statuscode" and all(isinstance(p, str) for p in parts):
        _status_code(text)


def _status_code(text: str) -> None:
    if not (isinstance(text, str) and text.isdigit() and 200 <= int(text) <= 599):
        raise _invalid_mapping(f"Invalid status code: {text}. Status code must be between 200 and 599")


def authorizer(a: Authorizer) -> None:
    if not (1 <= len(a.name) <= 128):
        raise BadRequest("Authorizer name must be between 1 and 128 characters.")
    for source in a.identity_source:
        if not _IDENTITY_SOURCE.match(source):
            raise BadRequest(f"Invalid identity source {source}")
    if a.authorizer_type == "JWT":
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
        if not a.jwt_issuer:
            raise BadRequest("JwtConfiguration with an Issuer is required for JWT authorizers.")
        if len(a.identity_source) != 1:
            raise BadRequest("A JWT authorizer requires exactly one identity source.")
        if a.authorizer_uri is not None or a.enable_simple_responses is not None:
            raise BadRequest("AuthorizerUri and EnableSimpleResponses are not supported for JWT authorizers.")
    elif a.authorizer_type == "REQUEST":
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
        if not a.authorizer_uri:
            raise BadRequest("AuthorizerUri is required for REQUEST authorizers.")
        if a.payload_format_version not in ("1.0", "2.0"):
            raise BadRequest("AuthorizerPayloadFormatVersion must be 1.0 or 2.0 for REQUEST authorizers of HTTP APIs.")
        if a.enable_simple_responses and a.payload_format_version != "2.0":
            raise BadRequest("Simple responses are supported only for payload format version 2.0.")
        if a.jwt_issuer is not None or a.jwt_audience is not None:
            raise BadRequest("JwtConfiguration is supported only for JWT authorizers.")
        ttl = a.result_ttl_seconds or 0
        if not (0 <= ttl <= 3600):
            raise BadRequest("AuthorizerResultTtlInSeconds must be between 0 and 3600.")
        if ttl > 0 and not a.identity_source:
            raise BadRequest("Identity source is required when authorizer caching is enabled.")
    else:
        raise BadRequest(f"Invalid authorizer type {a.authorizer_type} for HTTP APIs. Must be one of [JWT, REQUEST]")


def stage_name(name: str) -> None:
    if name != DEFAULT_STAGE and not _STAGE_NAME.match(name):
        raise BadRequest(
            f"Stage name {name} is invalid. A stage name may contain only alphanumeric characters, "
            "hyphens and underscores, up to 128 characters, or be $default."
        )


def stage_variables(variables: dict[str, str] | None) -> None:
    for name, value in (variables or {}).items():
        if not _STAGE_VARIABLE_NAME.match(name):
            raise BadRequest(
                f"Stage variable name {name} is invalid: use only alphanumeric characters and underscores."
            )
        if not _STAGE_VARIABLE_VALUE.match(value):
            raise BadRequest(f"Stage variable value {value} for name {name} contains invalid characters.")


def route_settings(settings: RouteSettings) -> None:
    if settings.throttling_rate_limit is not None and settings.throttling_rate_limit < 0:
        raise BadRequest("ThrottlingRateLimit must be a non-negative number.")
    if settings.throttling_burst_limit is not None and settings.throttling_burst_limit < 0:
        raise BadRequest("ThrottlingBurstLimit must be a non-negative integer.")
    if settings.logging_level not in (None, "ERROR", "INFO", "OFF"):
        raise BadRequest(f"Invalid logging level {settings.logging_level}")


def access_log(log: AccessLog | None) -> None:
    if log is None:
        return
    if log.destination_arn is not None and log_group_of(log.destination_arn) is None:
        raise BadRequest(f"Invalid ARN specified in the request. ARN: {log.destination_arn}")
    if (log.destination_arn is None) != (log.format is None):
        raise BadRequest("AccessLogSettings needs both DestinationArn and Format.")


def cors(config: CorsConfig | None) -> None:
    if config is None:
        return
    if config.max_age is not None and not (-1 <= config.max_age <= 86_400):
        raise BadRequest("MaxAge must be between -1 and 86400 seconds.")
    if config.allow_credentials and "*" in (config.allow_origins or ()):
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
        raise BadRequest("allow-credentials is not supported when allow-origins is *.")
    for method in config.allow_methods or ():
        if method != "*" and method.upper() not in METHODS[1:]:
            raise BadRequest(f"Invalid CORS method {method}")
