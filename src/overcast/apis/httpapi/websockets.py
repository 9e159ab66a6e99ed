"""WebSocket APIs: their rules, the stage the data plane serves, and route selection over a message.

A WebSocket API is an apigatewayv2 API with ProtocolType WEBSOCKET: routes keyed by `$connect`,
`$disconnect`, `$default` or a custom key, chosen for each message by the API's route selection
expression (https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html).
Overcast serves Lambda proxy (AWS_PROXY) integrations; the other integration types are refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from overcast.apis import deployed as d
from overcast.apis.httpapi import records as rec
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


def integration(i: rec.Integration) -> None:
    if i.integration_type != "AWS_PROXY":
        raise BadRequest(
            f"Integration type {i.integration_type} is not supported by Overcast yet for WebSocket APIs (AWS_PROXY is)."
        )
    if not (_MIN_TIMEOUT_MS <= i.timeout_in_millis <= MAX_TIMEOUT_MS):
        raise BadRequest("Timeout must be between 50 milliseconds and 29 seconds.")
    if not i.integration_uri or parse_arn(i.integration_uri) is None:
        raise BadRequest(f"Invalid integration URI specified {i.integration_uri}")
    if i.payload_format_version != "1.0":
        raise BadRequest("PayloadFormatVersion 1.0 is the only supported value for WebSocket APIs.")


# -- the data plane's shape -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SocketRoute:
    route_key: str
    integration: d.Integration  # the Lambda proxy integration (uri: the function)
    two_way: bool = False  # it has a route response: the integration's answer goes back to the client
    authorizer: d.Authorizer | None = None  # $connect's Lambda REQUEST authorizer


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
        target = d.Integration(type=i.integration_type, uri=function_in_uri(i.integration_uri or ""),
                               http_method="POST", timeout_ms=i.timeout_in_millis)  # fmt: skip
        two_way = r.route_response_selection_expression is not None and bool(r.route_responses)
        authorizer = authorizers.get(r.authorizer_id or "") if r.authorization_type == "CUSTOM" else None
        routes.append(SocketRoute(r.route_key, target, two_way, authorizer))
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
    if _EXPRESSION.match(expression):
        return _stringified(_lookup(body, expression[len("$request.body.") :]))
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found = _stringified(_lookup(body, match.group(1)[len("request.body.") :]))
        missing = missing or found is None
        return found or ""

    key = _TEMPLATE.sub(value, expression)
    return None if missing else key


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
