"""WebSocket APIs: their rules, the stage the data plane serves, and route selection over a message.

A WebSocket API is an apigatewayv2 API with ProtocolType WEBSOCKET: routes keyed by `$connect`,
`$disconnect`, `$default` or a custom key, chosen for each message by the API's route selection
expression (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html).
Integrations are Lambda functions (AWS_PROXY, or AWS with mapping templates), HTTP endpoints (HTTP_PROXY,
or HTTP with mapping templates) and MOCKs; the non-proxy ones answer through integration responses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overcast.apis import deployed as d
from overcast.apis.httpapi import records as rec
from overcast.apis.restapi import selection
from overcast.arn import function_in_uri, parse_arn
from overcast.errors import BadRequest

WEBSOCKET = "WEBSOCKET"
PREDEFINED_ROUTES = (rec.CONNECT_ROUTE, rec.DISCONNECT_ROUTE, rec.DEFAULT_ROUTE)
# "$request.body.action", or the ${...} form that may be mixed with static text ("${request.body.a}/x").
_BODY = r"request\.body\.[A-Za-z0-9_$@-]+(?:\.[A-Za-z0-9_$@-]+)*"
_EXPRESSION = re.compile(rf"^\${_BODY}$")
_TEMPLATE = re.compile(rf"\$\{{({_BODY})\}}")
# Every WebSocket integration's timeout bounds (the most is the default), as the quotas page lists them:
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
_MIN_TIMEOUT_MS, MAX_TIMEOUT_MS = 50, 29_000
_ROUTE_RESPONSE_KEYS = ("$default",)
_IDENTITY_SOURCE = re.compile(
    r"^(route\.request\.(header|querystring)\.[^\s]+|stageVariables\.[A-Za-z0-9_]+|context\.[A-Za-z0-9_.]+)$"
)


def route_selection_expression(expression: str | None) -> str:
    """A WebSocket API's route selection expression: `$request.body.{path}` (or `${request.body.{path}}`
    templates), as https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
    describes for WebSocket APIs."""
    if not expression:
        raise BadRequest("RouteSelectionExpression is required for WEBSOCKET protocol.")
    if not (_EXPRESSION.match(expression) or _TEMPLATE.search(expression)):
        raise BadRequest(
            f"Invalid RouteSelectionExpression {expression}. For WebSocket APIs it must be of the form "
            "$request.body.{path_to_body_element}"
        )
    return expression


def route_key(key: str) -> None:
    """A custom route key is any text; `$`-keys are the predefined routes only."""
    if not key or len(key) > 128:
        raise BadRequest(f"Invalid route key {key}. A route key must be 1 to 128 characters.")
    if key.startswith("$") and key not in PREDEFINED_ROUTES:
        raise BadRequest(
            f"Invalid route key {key}. Route keys starting with $ are reserved: {', '.join(PREDEFINED_ROUTES)}."
        )


def route(r: rec.Route, integration_ids: list[str], authorizer_ids: list[str]) -> None:
    route_key(r.route_key)
    if r.target is not None and (r.integration_id is None or r.integration_id not in integration_ids):
        raise BadRequest(f"Invalid target {r.target}. A target must be of the form integrations/<integrationId>.")
    if r.authorization_type not in ("NONE", "AWS_IAM", "CUSTOM"):
        raise BadRequest(f"Invalid authorization type {r.authorization_type}. Must be one of [NONE, AWS_IAM, CUSTOM]")
    if r.authorization_type != "NONE" and r.route_key != rec.CONNECT_ROUTE:
        # Only $connect authorizes: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
        raise BadRequest("Authorization is supported only on the $connect route of a WebSocket API.")
    if r.authorization_type == "CUSTOM":
        if r.authorizer_id is None:
            raise BadRequest("An AuthorizerId is required for authorization type CUSTOM.")
        if r.authorizer_id not in authorizer_ids:
            raise BadRequest(f"Invalid Authorizer identifier specified {r.authorizer_id}")
    elif r.authorizer_id is not None:
        raise BadRequest(f"AuthorizerId may only be set for authorization type CUSTOM, not {r.authorization_type}.")
    if r.api_key_required:
        raise BadRequest("ApiKeyRequired is not supported by Overcast yet for WebSocket APIs.")
    if r.route_response_selection_expression not in (None, "$default"):
        raise BadRequest(
            f"Invalid RouteResponseSelectionExpression {r.route_response_selection_expression}. Must be $default"
        )


def route_response(response: rec.RouteResponse) -> None:
    if response.route_response_key not in _ROUTE_RESPONSE_KEYS:
        # Lambda proxy integrations answer one response: AWS's key for it is $default.
        raise BadRequest(
            f"Invalid RouteResponseKey {response.route_response_key}. Overcast supports $default route responses."
        )


def authorizer(a: rec.Authorizer) -> None:
    """A WebSocket API's Lambda REQUEST authorizer, for its $connect route
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html)."""
    if a.authorizer_type != "REQUEST":
        raise BadRequest(f"Invalid authorizer type {a.authorizer_type} for WebSocket APIs. Must be REQUEST")
    if not (1 <= len(a.name) <= 128):
        raise BadRequest("Authorizer name must be between 1 and 128 characters.")
    if not a.authorizer_uri or parse_arn(a.authorizer_uri) is None:
        raise BadRequest(f"Invalid authorizer URI specified {a.authorizer_uri}")
    for source in a.identity_source:
        if not _IDENTITY_SOURCE.match(source):
            raise BadRequest(f"Invalid identity source {source}")
    http_only = {
        "AuthorizerPayloadFormatVersion": a.payload_format_version,
        "EnableSimpleResponses": a.enable_simple_responses,
        "AuthorizerResultTtlInSeconds": a.result_ttl_seconds,
        "JwtConfiguration": a.jwt_issuer or a.jwt_audience,
    }
    for name, value in http_only.items():
        if value is not None:
            raise BadRequest(f"{name} is supported only for HTTP APIs.")


_TYPES = ("AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK")
_PASSTHROUGH = ("WHEN_NO_MATCH", "NEVER", "WHEN_NO_TEMPLATES")
_CONTENT_HANDLING = ("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")
_HTTP_METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Request parameter mapping (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-mapping.html):
# into the integration request's headers, query string or path, from the route request, context, stage variables
# or a 'static' value.
_PARAMETER = re.compile(r"^integration\.request\.(header|querystring|path)\.[a-zA-Z0-9._$-]+$")
_SOURCE = re.compile(
    r"^(route\.request\.(header|querystring|multivalueheader|multivaluequerystring)\.[a-zA-Z0-9._$-]+"
    r"|route\.request\.body\.\S+|stageVariables\.[A-Za-z0-9_]+|context\.[A-Za-z0-9_.]+|'[^']*')$"
)


def integration(i: rec.Integration) -> None:
    """A WebSocket API's integration: Lambda (proxy, or non-proxy AWS), HTTP (proxy or not) or MOCK
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html).
    The texts of the messages below are Overcast's where AWS documents none."""
    if i.integration_type not in _TYPES:
        raise BadRequest(f"Invalid integration type {i.integration_type}. Must be one of [{', '.join(_TYPES)}]")
    if not (_MIN_TIMEOUT_MS <= i.timeout_in_millis <= MAX_TIMEOUT_MS):
        raise BadRequest("Timeout must be between 50 milliseconds and 29 seconds.")
    if i.integration_type in ("AWS", "AWS_PROXY"):
        if not i.integration_uri or parse_arn(i.integration_uri) is None:
            raise BadRequest(f"Invalid integration URI specified {i.integration_uri}")
        target = parse_arn(function_in_uri(i.integration_uri))
        if i.integration_type == "AWS" and (target is None or target.service != "lambda"):
            raise BadRequest("AWS integrations with services other than Lambda are not supported by Overcast yet.")
    elif i.integration_type in ("HTTP", "HTTP_PROXY"):
        if not i.integration_uri or not re.match(r"^https?://[^\s/]+", i.integration_uri):
            raise BadRequest(f"Invalid HTTP endpoint specified for URI {i.integration_uri}")
        if i.integration_method is None:
            raise BadRequest(f"IntegrationMethod is required for integration type {i.integration_type}.")
        if i.integration_method not in _HTTP_METHODS:
            raise BadRequest(f"Invalid IntegrationMethod {i.integration_method}")
    if i.payload_format_version != "1.0":
        raise BadRequest("PayloadFormatVersion 1.0 is the only supported value for WebSocket APIs.")
    if i.passthrough_behavior is not None and i.passthrough_behavior not in _PASSTHROUGH:
        raise BadRequest(
            f"Invalid PassthroughBehavior {i.passthrough_behavior}. Must be one of [{', '.join(_PASSTHROUGH)}]"
        )
    _content_handling(i.content_handling_strategy)
    for key, source in (i.request_parameters or {}).items():
        if not _PARAMETER.match(key) or not isinstance(source, str) or not _SOURCE.match(source):
            raise BadRequest(f"Invalid mapping expression specified: {key}={source}")


def integration_response(r: rec.IntegrationResponse) -> None:
    """An integration response's key is `$default` or a Java regular expression in slashes ("/4\\d\\d/")."""
    key = r.integration_response_key
    if key != rec.DEFAULT_ROUTE:
        if len(key) < 3 or not (key.startswith("/") and key.endswith("/")):
            # (Overcast's wording: AWS documents the forms, not the message)
            raise BadRequest(
                f"Invalid IntegrationResponseKey {key}. Must be $default or a regular expression between slashes."
            )
        selection.check(key[1:-1])
    _content_handling(r.content_handling_strategy)


def _content_handling(strategy: str | None) -> None:
    if strategy is not None and strategy not in _CONTENT_HANDLING:
        raise BadRequest(f"Invalid ContentHandlingStrategy {strategy}. Must be one of [{', '.join(_CONTENT_HANDLING)}]")


# -- the data plane's shape -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SocketRoute:
    route_key: str
    integration: d.Integration  # uri: a Lambda integration's function, an HTTP integration's URL
    two_way: bool = False  # it has a route response: the integration's answer goes back to the client
    authorizer: d.Authorizer | None = None  # $connect's Lambda REQUEST authorizer
    # a non-proxy integration's: the key of its request template, its content handling and its responses
    template_selection_expression: str | None = None
    content_handling: str | None = None
    responses: tuple[rec.IntegrationResponse, ...] = ()


@dataclass(frozen=True, slots=True)
class SocketStage:
    """What one stage of a WebSocket API serves: its deployment's routes and the stage's variables."""

    account_id: str
    region: str
    api_id: str
    stage: str
    deployment_id: str
    route_selection_expression: str
    routes: tuple[SocketRoute, ...]
    stage_variables: tuple[tuple[str, str], ...] = ()

    def route(self, key: str) -> SocketRoute | None:
        for r in self.routes:
            if r.route_key == key:
                return r
        return None

    def select(self, message: str | bytes) -> SocketRoute | None:
        """The route a message takes: the custom route its selection expression names, else `$default`,
        else None (API Gateway then answers the client with an error)."""
        if isinstance(message, str):
            key = selected_key(self.route_selection_expression, message)
            found = self.route(key) if key is not None and key not in PREDEFINED_ROUTES else None
            if found is not None:
                return found
        return self.route(rec.DEFAULT_ROUTE)


def socket_stage(api: rec.Api, stage: rec.Stage, deployment: rec.Deployment) -> SocketStage:
    snap = deployment.snapshot
    integrations = {i.integration_id: i for i in snap.integrations}
    authorizers = {
        a.authorizer_id: d.Authorizer(
            a.authorizer_id, a.name, "REQUEST", function_in_uri(a.authorizer_uri or ""), a.identity_source, 0
        )
        for a in snap.authorizers
    }
    routes = []
    for r in snap.routes:
        i = integrations.get(r.integration_id or "")
        if i is None:
            continue  # a route without an integration is not served
        uri = i.integration_uri or ""
        target = d.Integration(
            type=i.integration_type, uri=function_in_uri(uri) if i.integration_type.startswith("AWS") else uri,
            # (a message has no method of its own: ANY sends POST, Overcast's choice)
            http_method=i.integration_method if i.integration_method not in (None, "ANY") else "POST",
            timeout_ms=i.timeout_in_millis,
            request_parameters=tuple(sorted((i.request_parameters or {}).items())),
            request_templates=tuple((i.request_templates or {}).items()),
            passthrough_behavior=i.passthrough_behavior or "WHEN_NO_MATCH",
        )  # fmt: skip
        two_way = r.route_response_selection_expression is not None and bool(r.route_responses)
        authorizer = authorizers.get(r.authorizer_id or "") if r.authorization_type == "CUSTOM" else None
        routes.append(SocketRoute(r.route_key, target, two_way, authorizer, i.template_selection_expression,
                                  i.content_handling_strategy, i.integration_responses))  # fmt: skip
    return SocketStage(
        api.account, api.region, api.api_id, stage.stage_name, deployment.deployment_id,
        api.route_selection_expression, tuple(routes), tuple(sorted((stage.stage_variables or {}).items())),
    )  # fmt: skip


def selected_key(expression: str, message: str) -> str | None:
    """The route key `expression` evaluates to over a JSON message, or None (not JSON, or a value missing).
    A value that is not a string is stringified, as AWS does."""
    try:
        body = json.loads(message)
    except ValueError:
        return None
    return evaluated(expression, lambda name: body_value(body, name))


# A selection expression's parts: an escaped dollar, a ${variable} or a $variable
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-selection-expressions.html).
_PARTS = re.compile(r"\\\$|\$\{([^}]*)\}|\$([A-Za-z][A-Za-z0-9_.$@-]*)")


def evaluated(expression: str, value: Callable[[str], str | None]) -> str | None:
    """A selection expression's key: its variables replaced by `value(name)` ("request.body.action"), once (no
    recursive evaluation), and `\\$` a dollar sign ("\\$default" is "$default"). None if a variable has no value."""
    missing = False

    def part(match: re.Match[str]) -> str:
        nonlocal missing
        if match.group(0) == "\\$":
            return "$"
        found = value(match.group(1) if match.group(1) is not None else match.group(2))
        missing = missing or found is None
        return found or ""

    key = _PARTS.sub(part, expression)
    return None if missing else key


def body_value(body: Any, name: str) -> str | None:
    """`request.body.<path>` of a JSON body, stringified (None for another variable or a missing value)."""
    if not name.startswith("request.body."):
        return None
    return _stringified(_lookup(body, name.removeprefix("request.body.")))


def _lookup(body: Any, path: str) -> Any:
    for name in path.split("."):
        if not isinstance(body, dict) or name not in body:
            return None
        body = body[name]
    return body


def _stringified(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))
