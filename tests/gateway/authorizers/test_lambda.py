"""Lambda authorizers through an InvokeFunction test double: policies, simple responses, errors, the result cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from overcast.apis.deployed import ApiKind, Authorizer, DeployedApi
from overcast.clock import FakeClock
from overcast.functions.invoke import InvokeOutput
from overcast.gateway.authorizers import Authorizers

from .apis import FUNCTION, match, request, route

Handler = Callable[[dict[str, Any]], Any]


class Function:
    """The seam to Lambda: answers each invocation with its handler's result; raising becomes a function error."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.events: list[dict[str, Any]] = []

    async def __call__(
        self, function_arn: str, payload: bytes, api: DeployedApi, source: Callable[[], str]
    ) -> InvokeOutput:
        assert function_arn == FUNCTION
        # the ARN API Gateway invokes an authorizer for: the authorizer's own
        assert source().startswith(f"arn:aws:execute-api:{api.region}:{api.account_id}:{api.api_id}/authorizers/")
        event = json.loads(payload)
        self.events.append(event)
        try:
            result = self.handler(event)
        except Exception as e:
            error = {"errorMessage": str(e), "errorType": type(e).__name__, "stackTrace": []}
            return InvokeOutput(200, json.dumps(error).encode(), "Unhandled", "$LATEST", None)
        raw = result if isinstance(result, bytes) else json.dumps(result).encode()
        return InvokeOutput(200, raw, None, "$LATEST", None)


def policy(effect: str, resource: str, **extra: Any) -> dict[str, Any]:
    return {
        "principalId": "user-7",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        **extra,
    }


def token_authorizer(ttl: int = 300, expression: str = "") -> Authorizer:
    return Authorizer(
        id="tok1",
        name="token",
        type="TOKEN",
        function_arn=FUNCTION,
        identity_sources=("method.request.header.Authorization",),
        result_ttl_seconds=ttl,
        identity_validation_expression=expression,
    )


def rest(authorizer: Authorizer, stage: str = "prod", **kwargs: Any) -> Any:
    the_route = route(authorization_type="CUSTOM", authorizer=authorizer, payload="1.0", **kwargs)
    return match(the_route, kind=ApiKind.REST, stage=stage)


def token(value: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", value),)


def setup(handler: Handler) -> tuple[Authorizers, Function, FakeClock]:
    clock = FakeClock()
    function = Function(handler)
    return Authorizers(function, clock), function, clock


def by_token(event: dict[str, Any]) -> Any:
    """AWS's example TOKEN authorizer: allow, deny, unauthorized, anything else fails."""
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
    match event["authorizationToken"]:
        case "allow":
            return policy("Allow", event["methodArn"], context={"stringKey": "v", "numberKey": 1, "booleanKey": True})
        case "deny":
            return policy("Deny", event["methodArn"])
        case "unauthorized":
            raise Exception("Unauthorized")
        case _:
            raise ValueError("Error: Invalid token")


async def test_allow_passes_principal_and_context_through() -> None:
    subject, function, _ = setup(by_token)
    result = await subject.authorize(rest(token_authorizer()), request(headers=token("allow")))
    assert result.allowed
    assert result.principal_id == "user-7"
    context = result.request_context_authorizer
    assert context == {
        "stringKey": "v",
        "numberKey": "1",
        "booleanKey": "true",
        "principalId": "user-7",
        "integrationLatency": result.latency_ms,
    }
    assert function.events == [
        {
            "type": "TOKEN",
            "authorizationToken": "allow",
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/42",
        }
    ]


async def test_explicit_deny_is_403_access_denied() -> None:
    subject, _, _ = setup(by_token)
    result = await subject.authorize(rest(token_authorizer()), request(headers=token("deny")))
    assert not result.allowed
    assert result.status == 403
    assert result.body == b'{"Message":"User is not authorized to access this resource with an explicit deny"}'
    assert result.gateway_response_type == "ACCESS_DENIED"
    assert ("x-amzn-ErrorType", "AccessDeniedException") in result.headers


async def test_no_matching_allow_is_an_implicit_deny() -> None:
    subject, _, _ = setup(lambda event: policy("Allow", event["methodArn"].replace("/GET/", "/POST/")))
    result = await subject.authorize(rest(token_authorizer()), request(headers=token("x")))
    assert (result.allowed, result.status) == (False, 403)
    assert result.body == b'{"Message":"User is not authorized to access this resource"}'


async def test_unauthorized_error_is_401() -> None:
    subject, _, _ = setup(by_token)
    result = await subject.authorize(rest(token_authorizer()), request(headers=token("unauthorized")))
    assert (result.allowed, result.status, result.body) == (False, 401, b'{"message":"Unauthorized"}')
    assert result.gateway_response_type == "UNAUTHORIZED"


async def test_a_throwing_authorizer_is_500() -> None:
    subject, _, _ = setup(by_token)
    result = await subject.authorize(rest(token_authorizer()), request(headers=token("boom")))
    assert (result.allowed, result.status, result.body) == (False, 500, b'{"message":null}')
    assert result.gateway_response_type == "AUTHORIZER_CONFIGURATION_ERROR"
    assert ("x-amzn-ErrorType", "AuthorizerConfigurationException") in result.headers
    assert "Invalid token" in result.error


@pytest.mark.parametrize(
    "answer",
    [
        b"not json",
        [],
        {"principalId": "u"},
        policy("Maybe", "*"),
        policy("Allow", "*", context={"nested": {"a": 1}}),
        policy("Allow", "*", context={"list": [1]}),
        policy("Allow", "*", context="text"),
    ],
)
async def test_an_invalid_answer_is_500(answer: Any) -> None:
    subject, _, _ = setup(lambda event: answer)
    result = await subject.authorize(rest(token_authorizer()), request(headers=token("x")))
    assert (result.allowed, result.status, result.body) == (False, 500, b'{"message":null}')


async def test_an_invoke_that_fails_is_500() -> None:
    clock = FakeClock()

    async def unreachable(
        function_arn: str, payload: bytes, api: DeployedApi, source: Callable[[], str]
    ) -> InvokeOutput:
        raise RuntimeError("function not found")

    result = await Authorizers(unreachable, clock).authorize(rest(token_authorizer()), request(headers=token("x")))
    assert (result.allowed, result.status) == (False, 500)


async def test_a_missing_token_is_401_without_invoking() -> None:
    subject, function, _ = setup(by_token)
    for headers in ((), token("")):
        result = await subject.authorize(rest(token_authorizer()), request(headers=headers))
        assert (result.allowed, result.status, result.body) == (False, 401, b'{"message":"Unauthorized"}')
    assert function.events == []


async def test_a_token_failing_the_validation_expression_is_401_without_invoking() -> None:
    subject, function, _ = setup(by_token)
    authorizer = token_authorizer(expression="^Bearer [a-z]+$")
    assert (await subject.authorize(rest(authorizer), request(headers=token("allow")))).status == 401
    assert function.events == []
    assert (await subject.authorize(rest(authorizer), request(headers=token("Bearer abc")))).status == 500


async def test_usage_identifier_key_is_passed_on() -> None:
    subject, _, _ = setup(lambda event: policy("Allow", "*", usageIdentifierKey="key-value-123"))
    result = await subject.authorize(rest(token_authorizer()), request(headers=token("x")))
    assert result.usage_identifier_key == "key-value-123"


async def test_results_are_cached_for_the_ttl() -> None:
    subject, function, clock = setup(by_token)
    the_match = rest(token_authorizer(ttl=60))
    for _ in range(3):
        assert (await subject.authorize(the_match, request(headers=token("allow")))).allowed
    assert len(function.events) == 1
    cached = await subject.authorize(the_match, request(headers=token("allow")))
    assert cached.request_context_authorizer is not None
    assert cached.request_context_authorizer["principalId"] == "user-7"
    await clock.advance(59)
    await subject.authorize(the_match, request(headers=token("allow")))
    assert len(function.events) == 1
    await clock.advance(1)
    assert (await subject.authorize(the_match, request(headers=token("allow")))).allowed
    assert len(function.events) == 2


async def test_flushing_a_stage_forgets_its_answers_and_no_other_stage_s() -> None:
    subject, function, _ = setup(by_token)
    prod, beta = rest(token_authorizer()), rest(token_authorizer(), stage="beta")
    for the_match in (prod, beta, prod, beta):
        assert (await subject.authorize(the_match, request(headers=token("allow")))).allowed
    assert len(function.events) == 2
    subject.flush("a1b2c3d4e5", "prod")  # FlushStageAuthorizersCache
    assert (await subject.authorize(prod, request(headers=token("allow")))).allowed
    assert (await subject.authorize(beta, request(headers=token("allow")))).allowed
    assert len(function.events) == 3  # prod asked its authorizer again; beta still answered from its cache


async def test_each_identity_has_its_own_cache_entry() -> None:
    subject, function, _ = setup(by_token)
    the_match = rest(token_authorizer())
    assert (await subject.authorize(the_match, request(headers=token("allow")))).allowed
    assert (await subject.authorize(the_match, request(headers=token("deny")))).status == 403
    assert (await subject.authorize(the_match, request(headers=token("deny")))).status == 403
    assert len(function.events) == 2


async def test_a_ttl_of_zero_disables_the_cache() -> None:
    subject, function, _ = setup(by_token)
    for _ in range(3):
        await subject.authorize(rest(token_authorizer(ttl=0)), request(headers=token("allow")))
    assert len(function.events) == 3


async def test_errors_are_not_cached() -> None:
    subject, function, _ = setup(by_token)
    for _ in range(2):
        assert (await subject.authorize(rest(token_authorizer()), request(headers=token("unauthorized")))).status == 401
    assert len(function.events) == 2


async def test_a_cached_policy_is_evaluated_against_each_new_method() -> None:
    # The cached policy allows only the method it was issued for: another method with the same token is
    # denied from the cache, without invoking again.
    subject, function, _ = setup(by_token)
    authorizer = token_authorizer()
    assert (await subject.authorize(rest(authorizer), request(headers=token("allow")))).allowed
    other = rest(authorizer, method="DELETE")
    result = await subject.authorize(other, request(method="DELETE", headers=token("allow")))
    assert (result.allowed, result.status) == (False, 403)
    assert result.body == b'{"Message":"User is not authorized to access this resource"}'
    assert len(function.events) == 1


# REST REQUEST authorizers


def request_authorizer(*sources: str, ttl: int = 300) -> Authorizer:
    return Authorizer(
        id="req1",
        name="request",
        type="REQUEST",
        function_arn=FUNCTION,
        identity_sources=sources,
        result_ttl_seconds=ttl,
    )


async def test_rest_request_authorizer_needs_every_identity_source() -> None:
    subject, function, _ = setup(lambda event: policy("Allow", "*"))
    authorizer = request_authorizer("method.request.header.HeaderAuth1", "method.request.querystring.QueryString1")
    result = await subject.authorize(rest(authorizer), request(headers=(("headerauth1", "h"),)))
    assert (result.allowed, result.status) == (False, 401)
    assert function.events == []
    both = request(headers=(("headerauth1", "h"),), query="QueryString1=q")
    assert (await subject.authorize(rest(authorizer), both)).allowed
    assert function.events[0]["type"] == "REQUEST"
    # Query string names are case-sensitive.
    wrong_case = request(headers=(("headerauth1", "h"),), query="querystring1=q")
    assert (await subject.authorize(rest(authorizer), wrong_case)).status == 401


async def test_rest_request_cache_keys_on_identity_values() -> None:
    subject, function, _ = setup(lambda event: policy("Allow", "*"))
    the_match = rest(request_authorizer("method.request.header.X-User"))
    for user in ("a", "a", "b", "a"):
        assert (await subject.authorize(the_match, request(headers=(("x-user", user),)))).allowed
    assert len(function.events) == 2


# HTTP APIs


def http_authorizer(*, version: str = "2.0", simple: bool = True, ttl: int = 0) -> Authorizer:
    return Authorizer(
        id="lam1",
        name="lambda",
        type="REQUEST",
        function_arn=FUNCTION,
        identity_sources=("$request.header.Authorization",),
        result_ttl_seconds=ttl,
        payload_format_version=version,
        simple_responses=simple,
    )


def http(authorizer: Authorizer, payload: str = "2.0") -> Any:
    return match(route(authorization_type="CUSTOM", authorizer=authorizer, payload=payload))


async def test_http_simple_response_allows_with_context_passthrough() -> None:
    context = {"tenant": "t-1", "n": 1, "flag": True, "list": ["a", "b"], "map": {"k": "v"}}
    subject, function, _ = setup(lambda event: {"isAuthorized": True, "context": context})
    result = await subject.authorize(http(http_authorizer()), request(headers=token("secret")))
    assert result.allowed
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    assert result.request_context_authorizer == {"lambda": context}
    assert function.events[0]["identitySource"] == ["secret"]


async def test_http_simple_response_denies_with_403_forbidden() -> None:
    subject, _, _ = setup(lambda event: {"isAuthorized": False})
    result = await subject.authorize(http(http_authorizer()), request(headers=token("secret")))
    assert (result.allowed, result.status, result.body) == (False, 403, b'{"message":"Forbidden"}')


async def test_http_policy_response() -> None:
    subject, _, _ = setup(lambda event: policy("Allow", event["routeArn"], context={"a": "b"}))
    result = await subject.authorize(http(http_authorizer(simple=False)), request(headers=token("secret")))
    assert result.allowed
    assert result.request_context_authorizer == {"lambda": {"a": "b"}}
    subject, _, _ = setup(lambda event: policy("Deny", "*"))
    denied = await subject.authorize(http(http_authorizer(simple=False)), request(headers=token("secret")))
    assert (denied.status, denied.body) == (403, b'{"message":"Forbidden"}')


async def test_http_payload_1_0_authorizer_with_payload_1_0_integration() -> None:
    subject, function, _ = setup(lambda event: policy("Allow", event["methodArn"], context={"a": 1}))
    the_match = http(http_authorizer(version="1.0", simple=False), payload="1.0")
    result = await subject.authorize(the_match, request(headers=token("secret")))
    assert result.allowed
    assert result.request_context_authorizer == {"a": "1", "principalId": "user-7", "integrationLatency": 0}
    assert function.events[0]["identitySource"] == "secret"


async def test_http_missing_identity_is_401_and_errors_are_500() -> None:
    subject, function, _ = setup(lambda event: {"isAuthorized": "yes"})
    missing = await subject.authorize(http(http_authorizer()), request())
    assert (missing.status, missing.body) == (401, b'{"message":"Unauthorized"}')
    assert function.events == []
    invalid = await subject.authorize(http(http_authorizer()), request(headers=token("secret")))
    assert (invalid.status, invalid.body) == (500, b'{"message":"Internal Server Error"}')


async def test_http_throwing_authorizer_is_500() -> None:
    def fail(event: dict[str, Any]) -> Any:
        raise RuntimeError("database down")

    subject, _, _ = setup(fail)
    result = await subject.authorize(http(http_authorizer()), request(headers=token("secret")))
    assert (result.allowed, result.status, result.body) == (False, 500, b'{"message":"Internal Server Error"}')


async def test_http_simple_responses_are_cached_for_every_route() -> None:
    subject, function, _ = setup(lambda event: {"isAuthorized": True})
    authorizer = http_authorizer(ttl=300)
    await subject.authorize(http(authorizer), request(headers=token("secret")))
    await subject.authorize(http(authorizer), request(method="POST", headers=token("secret")))
    assert len(function.events) == 1


# Authorization types Overcast does not implement never let a request through.


@pytest.mark.parametrize("kind", ["AWS_IAM", "COGNITO_USER_POOLS"])
async def test_unimplemented_authorization_is_refused(kind: str) -> None:
    subject, _, _ = setup(by_token)
    result = await subject.authorize(match(route(authorization_type=kind)), request())
    assert (result.allowed, result.status) == (False, 500)
    assert kind in json.loads(result.body)["message"]


async def test_none_allows() -> None:
    subject, _, _ = setup(by_token)
    result = await subject.authorize(match(route()), request())
    assert result.allowed
    assert result.request_context_authorizer is None


async def test_custom_without_an_authorizer_is_refused() -> None:
    subject, _, _ = setup(by_token)
    result = await subject.authorize(match(route(authorization_type="CUSTOM")), request())
    assert (result.allowed, result.status) == (False, 500)
