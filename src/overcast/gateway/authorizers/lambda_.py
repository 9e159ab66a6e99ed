"""Lambda authorizers: REST TOKEN and REQUEST, HTTP API REQUEST (payload 1.0 and 2.0), with their result cache.

https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from overcast.apis.deployed import ApiKind, Authorizer, DeployedApi
from overcast.clock import Clock
from overcast.functions.invoke import InvokeOutput
from overcast.gateway.authorizers import events
from overcast.gateway.authorizers.cache import ResultCache
from overcast.gateway.authorizers.identity import authorizer_arn, identity_values, method_arn, source_value
from overcast.gateway.authorizers.policy import Decision, InvalidPolicy, evaluate, validate
from overcast.gateway.authorizers.result import (
    AuthResult,
    access_denied,
    authorizer_error,
    unauthorized,
)
from overcast.gateway.request import GatewayRequest, RouteMatch

# (function ARN, payload, the API, the ARN it invokes for) -> the invocation's output (Integrations.invoke_function)
InvokeFunction = Callable[[str, bytes, DeployedApi, Callable[[], str]], Awaitable[InvokeOutput]]


class InvalidAnswer(ValueError):
    """The authorizer function answered something API Gateway cannot use."""


@dataclass(frozen=True, slots=True)
class LambdaAnswer:
    """An authorizer function's answer, parsed once and cached as is (a cached policy is re-evaluated per request)."""

    principal_id: str | None = None
    statements: tuple[dict[str, Any], ...] | None = None  # a policy's statements; None for a simple response
    is_authorized: bool | None = None  # a simple response (HTTP APIs, payload 2.0)
    context: dict[str, Any] | None = None
    usage_identifier_key: str | None = None


def _is_primitive(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def parse_answer(payload: bytes, *, simple: bool, primitive_context: bool) -> LambdaAnswer:
    """Parse a function's answer: an IAM policy (principalId, policyDocument, context, usageIdentifierKey)
    or, for HTTP APIs with simple responses, `{"isAuthorized": bool, "context": {...}}`.

    REST context values must be strings, numbers or booleans: "you cannot set a JSON object or array as a
    valid value of any key in the context map"; HTTP payload 2.0 passes any JSON value through.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
    """
    try:
        answer = json.loads(payload)
    except ValueError as e:
        raise InvalidAnswer(f"the authorizer's answer is not JSON: {e}") from None
    if not isinstance(answer, dict):
        raise InvalidAnswer("the authorizer's answer is not a JSON object")
    context = answer.get("context")
    if context is not None:
        if not isinstance(context, dict):
            raise InvalidAnswer("context must be an object")
        if primitive_context and not all(_is_primitive(v) for v in context.values()):
            raise InvalidAnswer("context values must be strings, numbers or booleans")
    if simple:
        if not isinstance(answer.get("isAuthorized"), bool):
            raise InvalidAnswer("a simple response needs a boolean isAuthorized")
        return LambdaAnswer(is_authorized=answer["isAuthorized"], context=context)
    try:
        statements = validate(answer.get("policyDocument"))
    except InvalidPolicy as e:
        raise InvalidAnswer(str(e)) from None
    principal = answer.get("principalId")
    key = answer.get("usageIdentifierKey")
    return LambdaAnswer(
        principal_id=None if principal is None else str(principal),
        statements=tuple(statements),
        context=context,
        usage_identifier_key=key if isinstance(key, str) else None,
    )


def _function_error_message(payload: bytes) -> str:
    try:
        body = json.loads(payload)
    except ValueError:
        return payload.decode(errors="replace")
    if isinstance(body, dict):
        return str(body.get("errorMessage", ""))
    return str(body)


def _stringified(value: Any) -> str:
    # "The returned values are all stringified."
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def request_context_authorizer(match: RouteMatch, answer: LambdaAnswer, latency_ms: int) -> dict[str, Any]:
    """What the integration's event carries in requestContext.authorizer.

    Payload 2.0: `{"lambda": {...context}}`; payload 1.0 (every REST API): principalId, integrationLatency
    and the context's keys (conformance/events/apiGatewayProxyEventPrincipalId.json).
    """
    if match.api.kind is ApiKind.HTTP and match.route.integration.payload_format_version == "2.0":
        return {"lambda": dict(answer.context) if answer.context is not None else None}
    shaped: dict[str, Any] = {k: _stringified(v) for k, v in (answer.context or {}).items()}
    shaped["principalId"] = answer.principal_id
    shaped["integrationLatency"] = latency_ms
    return shaped


class LambdaAuthorizers:
    """Runs a route's Lambda authorizer: identity check, cache, invoke, answer, policy."""

    def __init__(self, invoke: InvokeFunction, clock: Clock, cache_entries: int = 10_000) -> None:
        self._invoke = invoke
        self._clock = clock
        self.cache: ResultCache[LambdaAnswer] = ResultCache(clock, cache_entries)
        self.invocations = 0

    def flush(self, api_id: str, stage: str) -> None:
        """Forget the cached answers of every authorizer of this API stage (FlushStageAuthorizersCache)."""
        self.cache.drop((api_id, stage))

    def _identity(self, authorizer: Authorizer, match: RouteMatch, request: GatewayRequest) -> list[str] | None:
        if match.api.kind is ApiKind.REST and authorizer.type == "TOKEN":
            sources = authorizer.identity_sources or ("method.request.header.Authorization",)
            source = sources[0]
            token = source_value(source, match, request)
            if not token:
                return None
            # A token that fails the validation expression is refused without invoking the function.
            # https://docs.aws.amazon.com/apigateway/latest/api/API_Authorizer.html#apigw-Type-Authorizer-identityValidationExpression
            expression = authorizer.identity_validation_expression
            if expression and re.fullmatch(expression, token) is None:
                return None
            return [token]
        return identity_values(authorizer, match, request)

    def _event(
        self, authorizer: Authorizer, match: RouteMatch, request: GatewayRequest, arn: str, identity: list[str]
    ) -> dict[str, Any]:
        if match.api.kind is ApiKind.REST:
            if authorizer.type == "TOKEN":
                return events.token_event(identity[0], arn)
            return events.rest_request_event(match, request, arn)
        if authorizer.payload_format_version == "2.0":
            return events.http_v2_event(match, request, arn, identity)
        return events.http_v1_event(match, request, arn, identity)

    async def authorize(self, authorizer: Authorizer, match: RouteMatch, request: GatewayRequest) -> AuthResult:
        kind = match.api.kind
        if not authorizer.function_arn:
            return authorizer_error(kind, f"authorizer {authorizer.id} names no Lambda function")
        if authorizer.type not in (("TOKEN", "REQUEST") if kind is ApiKind.REST else ("REQUEST",)):
            return authorizer_error(kind, f"authorizer {authorizer.id} of type {authorizer.type} is not a Lambda one")
        identity = self._identity(authorizer, match, request)
        if identity is None:
            # A missing or empty identity source is refused with 401 before any invocation.
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html#http-api-lambda-authorizer.identity-sources
            return unauthorized(kind, "identity source missing, empty or invalid")
        arn = method_arn(match, request)
        simple = kind is ApiKind.HTTP and authorizer.payload_format_version == "2.0" and authorizer.simple_responses
        # The cache key is the identity sources' values (per authorizer): caching needs at least one.
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html#http-api-lambda-authorizer.caching
        key = (match.api.api_id, match.api.stage, authorizer.id, tuple(identity)) if identity else None
        answer = self.cache.get(key) if key is not None and authorizer.result_ttl_seconds > 0 else None
        latency_ms = 0
        if answer is None:
            started = self._clock.monotonic()
            payload = json.dumps(self._event(authorizer, match, request, arn, identity)).encode()
            try:
                self.invocations += 1
                output = await self._invoke(
                    authorizer.function_arn, payload, match.api, lambda: authorizer_arn(match, authorizer)
                )
            except Exception as e:  # any failure to invoke is the authorizer's 500
                return authorizer_error(kind, f"could not invoke the authorizer: {e}")
            latency_ms = int((self._clock.monotonic() - started) * 1000)
            if output.function_error:
                message = _function_error_message(output.payload)
                if message == "Unauthorized":
                    # An authorizer answers 401 by failing with the message "Unauthorized".
                    # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
                    return unauthorized(kind, "the authorizer answered Unauthorized")
                return authorizer_error(kind, f"the authorizer failed: {message}")
            try:
                answer = parse_answer(
                    output.payload,
                    simple=simple,
                    primitive_context=not (kind is ApiKind.HTTP and authorizer.payload_format_version == "2.0"),
                )
            except InvalidAnswer as e:
                return authorizer_error(kind, str(e))
            if key is not None:
                self.cache.put(key, answer, authorizer.result_ttl_seconds)
        return self._decide(match, arn, answer, latency_ms)

    def _decide(self, match: RouteMatch, arn: str, answer: LambdaAnswer, latency_ms: int) -> AuthResult:
        kind = match.api.kind
        if answer.statements is None:
            decision = Decision.ALLOW if answer.is_authorized else Decision.IMPLICIT_DENY
        else:
            # A cached policy is evaluated against this request's ARN: it may deny another method.
            # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
            decision = evaluate({"Statement": list(answer.statements)}, arn)
        if decision is not Decision.ALLOW:
            explicit = decision is Decision.EXPLICIT_DENY
            denied = access_denied(kind, explicit=explicit, error=f"{decision.value} for {arn}")
            return replace(denied, principal_id=answer.principal_id, latency_ms=latency_ms)
        return AuthResult(
            allowed=True,
            principal_id=answer.principal_id,
            request_context_authorizer=request_context_authorizer(match, answer, latency_ms),
            usage_identifier_key=answer.usage_identifier_key,
            latency_ms=latency_ms,
        )
