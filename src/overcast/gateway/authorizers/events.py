"""The events API Gateway sends to Lambda authorizers: TOKEN, REQUEST (REST and HTTP payload 1.0) and HTTP payload 2.0.

Shapes follow AWS's documented and recorded events (../shared/conformance/events/apiGatewayAuthorizer*.json):
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html#http-api-lambda-authorizer.payload-format
"""

from __future__ import annotations

from typing import Any

from overcast.gateway.authorizers.identity import route_key
from overcast.gateway.events import (
    CALLER_FIELDS,
    domain_name,
    domain_prefix,
    headers_v1,
    headers_v2,
    query_v1,
    query_v2,
    request_time,
)
from overcast.gateway.request import GatewayRequest, RouteMatch

__all__ = ["http_v1_event", "http_v2_event", "request_time", "rest_request_event", "token_event"]


def _domain(request: GatewayRequest) -> tuple[str, str]:
    domain = domain_name(request.host)
    return domain, domain_prefix(domain)


def _v1_request_context(match: RouteMatch, request: GatewayRequest, resource_id: str | None) -> dict[str, Any]:
    api = match.api
    domain, prefix = _domain(request)
    return {
        "accountId": api.account_id,
        "apiId": api.api_id,
        "domainName": domain,
        "domainPrefix": prefix,
        "extendedRequestId": request.request_id,
        "httpMethod": request.method.upper(),
        "identity": {
            **dict.fromkeys(CALLER_FIELDS),
            "cognitoAmr": None,
            "apiKey": request.header("x-api-key"),
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent"),
        },
        "path": request.stage_prefix + request.path,
        "protocol": "HTTP/1.1",
        "requestId": request.request_id,
        "requestTime": request_time(request.time_epoch_ms),
        "requestTimeEpoch": request.time_epoch_ms,
        "resourceId": resource_id,
        "resourcePath": match.route.path,
        "stage": api.stage,
    }


def _v1_body(match: RouteMatch, request: GatewayRequest) -> dict[str, Any]:
    headers, multi_headers, _, _ = headers_v1(request)
    query, multi_query = query_v1(request)
    return {
        "resource": match.route.path,
        "path": request.path,
        "httpMethod": request.method.upper(),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(match.path_parameters),
        "stageVariables": dict(match.api.stage_variables) or None,
    }


def token_event(token: str, arn: str) -> dict[str, Any]:
    """A REST TOKEN authorizer's event: the token and the method ARN, nothing else."""
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}


def rest_request_event(match: RouteMatch, request: GatewayRequest, arn: str) -> dict[str, Any]:
    """A REST REQUEST authorizer's event: the proxy event's request half, with the method ARN."""
    event: dict[str, Any] = {"type": "REQUEST", "methodArn": arn}
    event.update(_v1_body(match, request))
    event["requestContext"] = _v1_request_context(match, request, match.route.resource_id or None)
    return event


def http_v1_event(match: RouteMatch, request: GatewayRequest, arn: str, identity: list[str]) -> dict[str, Any]:
    """An HTTP API REQUEST authorizer's event in payload format 1.0 (REST-compatible, plus version and identity)."""
    joined = ",".join(identity)
    event: dict[str, Any] = {
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": arn,
        "identitySource": joined,
        "authorizationToken": joined,
    }
    event.update(_v1_body(match, request))
    event["requestContext"] = _v1_request_context(match, request, route_key(match.route))
    return event


def http_v2_event(match: RouteMatch, request: GatewayRequest, arn: str, identity: list[str]) -> dict[str, Any]:
    """An HTTP API REQUEST authorizer's event in payload format 2.0."""
    api = match.api
    domain, prefix = _domain(request)
    key = route_key(match.route)
    headers, cookies, _ = headers_v2(request)  # payload 2.0 moves cookies out of the headers
    query = query_v2(request)
    path = request.stage_prefix + request.path
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": arn,
        "identitySource": list(identity),
        "routeKey": key,
        "rawPath": path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": api.account_id,
        "apiId": api.api_id,
        "domainName": domain,
        "domainPrefix": prefix,
        "http": {
            "method": request.method.upper(),
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": request.request_id,
        "routeKey": key,
        "stage": api.stage,
        "time": request_time(request.time_epoch_ms),
        "timeEpoch": request.time_epoch_ms,
    }
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    if api.stage_variables:
        event["stageVariables"] = dict(api.stage_variables)
    return event
