"""Identity sources (where an authorizer reads the caller's identity) and the ARNs policies are checked against."""

from __future__ import annotations

from overcast.apis.deployed import ApiKind, Authorizer, Route
from overcast.arn import format_arn
from overcast.gateway.request import GatewayRequest, RouteMatch


def route_key(route: Route) -> str:
    """An HTTP API route's key: "GET /pets/{id}", or "$default"."""
    return "$default" if route.path == "$default" else f"{route.method} {route.path}"


def method_arn(match: RouteMatch, request: GatewayRequest) -> str:
    """The ARN of the method being called: `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>`.

    The path is the request's own (path parameters filled in), without its leading slash, so the root
    resource ends in "/GET/"; REST calls it methodArn, HTTP APIs routeArn.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
    """
    api = match.api
    resource = f"{api.api_id}/{api.stage}/{request.method.upper()}/{request.path.lstrip('/')}"
    return format_arn("execute-api", api.region, api.account_id, resource)


def source_arn(match: RouteMatch, request: GatewayRequest) -> str:
    """The ARN API Gateway invokes an integration's function for (the policy's aws:SourceArn): the method's
    ARN, or `<apiId>/<stage>/$default` for an HTTP API's default route
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html)."""
    api = match.api
    if api.kind is ApiKind.HTTP and match.route.path == "$default":
        return format_arn("execute-api", api.region, api.account_id, f"{api.api_id}/{api.stage}/$default")
    return method_arn(match, request)


def authorizer_arn(match: RouteMatch, authorizer: Authorizer) -> str:
    """The ARN API Gateway invokes a Lambda authorizer for:
    `arn:aws:execute-api:<region>:<account>:<apiId>/authorizers/<id>`
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization-with-console.html)."""
    api = match.api
    return format_arn("execute-api", api.region, api.account_id, f"{api.api_id}/authorizers/{authorizer.id}")


def _last(values: list[str]) -> str | None:
    return values[-1] if values else None


def _context_variable(name: str, match: RouteMatch, request: GatewayRequest) -> str | None:
    """The few $context variables an identity source can name that exist before authorization."""
    api = match.api
    known = {
        "accountId": api.account_id,
        "apiId": api.api_id,
        "stage": api.stage,
        "requestId": request.request_id,
        "httpMethod": request.method.upper(),
        "http.method": request.method.upper(),
        "path": request.stage_prefix + request.path,
        "http.path": request.path,
        "resourcePath": match.route.path,
        "resourceId": match.route.resource_id or None,
        "routeKey": route_key(match.route),
        "identity.sourceIp": request.source_ip,
        "http.sourceIp": request.source_ip,
        "domainName": request.host.split(":")[0],
    }
    return known.get(name)


def source_value(source: str, match: RouteMatch, request: GatewayRequest) -> str | None:
    """One identity source's value, or None if the request lacks it.

    REST names sources `method.request.header.X`, `method.request.querystring.X`, `stageVariables.X`,
    `context.X`; HTTP APIs `$request.header.X`, `$request.querystring.X`, `$stageVariables.X`, `$context.X`.
    Header names are case-insensitive, query string names case-sensitive.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html#http-api-lambda-authorizer.identity-sources
    """
    http = match.api.kind is ApiKind.HTTP
    source = source.strip()
    for prefix in ("method.request.header.", "$request.header."):
        if source.startswith(prefix):
            name = source[len(prefix) :]
            return request.header(name) if http else _last(request.header_values(name))
    for prefix in ("method.request.querystring.", "$request.querystring."):
        if source.startswith(prefix):
            name = source[len(prefix) :]
            values = [v for k, v in request.query() if k == name]
            if not values:
                return None
            return ",".join(values) if http else values[-1]
    for prefix in ("stageVariables.", "$stageVariables."):
        if source.startswith(prefix):
            return dict(match.api.stage_variables).get(source[len(prefix) :])
    for prefix in ("context.", "$context."):
        if source.startswith(prefix):
            return _context_variable(source[len(prefix) :], match, request)
    return None


def identity_values(authorizer: Authorizer, match: RouteMatch, request: GatewayRequest) -> list[str] | None:
    """Every identity source's value in order, or None when one is missing or empty (API Gateway then answers
    401 without invoking the authorizer)."""
    values: list[str] = []
    for source in authorizer.identity_sources:
        for one in source.split(","):  # REST keeps several sources in one comma-separated string
            if not one.strip():
                continue
            value = source_value(one, match, request)
            if not value:
                return None
            values.append(value)
    return values
