"""JWT authorizers against a real issuer: accepted tokens and every way AWS refuses one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import jwt
import pytest

from overcast.apis.deployed import Authorizer, DeployedApi
from overcast.clock import FakeClock
from overcast.functions.invoke import InvokeOutput
from overcast.gateway.authorizers import Authorizers
from overcast.gateway.authorizers.jwt import flatten_claim

from .apis import match, request, route
from .conftest import Issuer

AUDIENCE = "my-client"


async def never_invoked(function_arn: str, payload: bytes, api: DeployedApi, source: Callable[[], str]) -> InvokeOutput:
    raise AssertionError("a JWT authorizer invokes no function")


@pytest.fixture
async def authorizers() -> AsyncIterator[tuple[Authorizers, FakeClock]]:
    clock = FakeClock()
    subject = Authorizers(never_invoked, clock)
    yield subject, clock
    await subject.aclose()


def jwt_route(issuer: Issuer, *, scopes: tuple[str, ...] = (), payload: str = "2.0", source: str = "") -> Any:
    authorizer = Authorizer(
        id="jwt1",
        name="jwt",
        type="JWT",
        identity_sources=(source or "$request.header.Authorization",),
        jwt_issuer=issuer.url,
        jwt_audiences=(AUDIENCE, "other-client"),
    )
    return route(authorization_type="JWT", authorizer=authorizer, scopes=scopes, payload=payload)


def claims(issuer: Issuer, clock: FakeClock, **overrides: Any) -> dict[str, Any]:
    now = int(clock.now())
    base: dict[str, Any] = {
        "sub": "user-1",
        "iss": issuer.url,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "scope": "pets.read pets.write",
        "email_verified": True,
        "groups": ["admin", "users"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


async def test_a_valid_token_is_accepted_with_its_claims(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    the_claims = claims(issuer, clock)
    result = await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(issuer.token(the_claims))))
    assert result.allowed, result
    assert result.principal_id == "user-1"
    # Payload 2.0: requestContext.authorizer.jwt, every claim a string (arrays "[a b]"), scopes split.
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    jwt_context = result.request_context_authorizer["jwt"]
    assert jwt_context["scopes"] == ["pets.read", "pets.write"]
    assert jwt_context["claims"]["sub"] == "user-1"
    assert jwt_context["claims"]["exp"] == str(the_claims["exp"])
    assert jwt_context["claims"]["email_verified"] == "true"
    assert jwt_context["claims"]["groups"] == "[admin users]"
    assert issuer.requests == ["/.well-known/openid-configuration", "/keys"]


async def test_keys_are_cached_between_requests(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock))
    for _ in range(3):
        assert (await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token)))).allowed
    assert len(issuer.requests) == 2


async def test_a_token_without_the_bearer_prefix_is_accepted(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock))
    result = await subject.authorize(match(jwt_route(issuer)), request(headers=(("authorization", token),)))
    assert result.allowed


async def test_payload_1_0_carries_claims_and_scopes_at_the_top(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock, scope=None))
    result = await subject.authorize(match(jwt_route(issuer, payload="1.0")), request(headers=bearer(token)))
    assert result.allowed
    assert set(result.request_context_authorizer) == {"claims", "scopes"}
    assert result.request_context_authorizer["scopes"] is None
    assert result.request_context_authorizer["claims"]["aud"] == AUDIENCE


async def test_an_access_token_names_its_audience_in_client_id(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock, aud=None, client_id=AUDIENCE))
    assert (await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token)))).allowed


async def test_any_of_several_audiences_matches(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock, aud=["someone-else", "other-client"]))
    assert (await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token)))).allowed


def assert_unauthorized(result: Any, description: str | None = None) -> None:
    assert not result.allowed
    assert result.status == 401
    assert json.loads(result.body) == {"message": "Unauthorized"}
    assert result.gateway_response_type == "UNAUTHORIZED"
    if description is not None:  # "": a challenge, whatever its description
        challenge = dict(result.headers)["www-authenticate"]
        assert challenge.startswith('Bearer scope="')
        assert 'error="invalid_token"' in challenge
        if description:
            assert f'error_description="{description}"' in challenge


async def test_an_expired_token_is_refused_once_the_clock_passes_exp(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock))
    assert (await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token)))).allowed
    await clock.advance(3600)
    result = await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token)))
    assert_unauthorized(result, "the token has expired")


async def test_a_token_not_yet_valid_is_refused(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock, nbf=int(clock.now()) + 60))
    assert_unauthorized(await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token))), "")


async def test_a_wrong_audience_is_refused(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock, aud="someone-else"))
    result = await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token)))
    assert_unauthorized(result, "the token does not have a valid audience")


async def test_a_wrong_issuer_is_refused(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock, iss="https://evil.example.com"))
    assert_unauthorized(await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token))), "")


async def test_an_unsigned_token_is_refused(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = jwt.encode(claims(issuer, clock), "", algorithm="none", headers={"kid": "key-1"})
    result = await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token)))
    assert_unauthorized(result, "signing method none is invalid")


async def test_an_hmac_token_keyed_with_the_public_key_is_refused(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    # The classic algorithm-confusion attack: only RSA algorithms are accepted.
    secret = json.dumps(issuer.jwks()["keys"][0]).encode()
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "key-1"}).encode())
    body = b64url(json.dumps(claims(issuer, clock)).encode())
    signature = b64url(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
    token = f"{head}.{body}.{signature}"
    assert_unauthorized(await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token))), "")


async def test_a_bad_signature_is_refused(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    impostor = Issuer()  # same kid, another key
    token = impostor.token(claims(issuer, clock))
    result = await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token)))
    assert_unauthorized(result, "the token signature is invalid")


async def test_a_tampered_payload_is_refused(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    head, _, signature = issuer.token(claims(issuer, clock)).split(".")
    forged = issuer.token(claims(issuer, clock, sub="admin")).split(".")[1]
    token = f"{head}.{forged}.{signature[::-1]}"
    assert_unauthorized(await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(token))), "")


async def test_garbage_is_refused(issuer: Issuer, authorizers: Any) -> None:
    subject, _ = authorizers
    result = await subject.authorize(match(jwt_route(issuer)), request(headers=bearer("not-a-jwt")))
    assert_unauthorized(result, "")
    assert issuer.requests == []


async def test_a_missing_token_is_refused_without_fetching_keys(issuer: Issuer, authorizers: Any) -> None:
    subject, _ = authorizers
    assert_unauthorized(await subject.authorize(match(jwt_route(issuer)), request()))
    assert_unauthorized(await subject.authorize(match(jwt_route(issuer)), request(headers=(("authorization", ""),))))
    assert issuer.requests == []


async def test_a_token_from_the_query_string(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock))
    the_route = jwt_route(issuer, source="$request.querystring.token")
    assert (await subject.authorize(match(the_route), request(query=f"token={token}"))).allowed


async def test_a_missing_scope_is_forbidden(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock))
    result = await subject.authorize(match(jwt_route(issuer, scopes=("admin",))), request(headers=bearer(token)))
    assert not result.allowed
    assert result.status == 403
    assert json.loads(result.body) == {"message": "Forbidden"}
    challenge = dict(result.headers)["www-authenticate"]
    assert challenge.startswith('Bearer scope="admin" error="insufficient_scope"')


async def test_one_of_the_routes_scopes_is_enough(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    token = issuer.token(claims(issuer, clock, scope=None, scp=["pets.write"]))
    the_route = jwt_route(issuer, scopes=("admin", "pets.write"))
    assert (await subject.authorize(match(the_route), request(headers=bearer(token)))).allowed


async def test_a_rotated_key_is_fetched_on_its_first_token(issuer: Issuer, authorizers: Any) -> None:
    subject, clock = authorizers
    assert (
        await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(issuer.token(claims(issuer, clock)))))
    ).allowed
    issuer.add_key("key-2")
    new_token = issuer.token(claims(issuer, clock), kid="key-2")
    # Within the minimum interval an unknown kid does not refetch: refused.
    assert_unauthorized(await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(new_token))))
    assert len(issuer.requests) == 2
    await clock.advance(subject.jwt.jwks.min_refetch)
    assert (await subject.authorize(match(jwt_route(issuer)), request(headers=bearer(new_token)))).allowed
    assert len(issuer.requests) == 4


async def test_an_unreachable_issuer_refuses_tokens(authorizers: Any) -> None:
    subject, clock = authorizers
    nowhere = Issuer()
    nowhere.url = "http://127.0.0.1:9"  # discard port: nothing listens
    token = nowhere.token(claims(nowhere, clock))
    assert_unauthorized(await subject.authorize(match(jwt_route(nowhere)), request(headers=bearer(token))))


@pytest.mark.parametrize(
    ("value", "flat"),
    [
        ("x", "x"),
        (1700000000, "1700000000"),
        (1.5, "1.5"),
        (True, "true"),
        (["a", "b"], "[a b]"),
        ({"b": 1, "a": "x"}, "map[a:x b:1]"),
    ],
)
def test_flatten_claim(value: Any, flat: str) -> None:
    assert flatten_claim(value) == flat
