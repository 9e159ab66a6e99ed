"""Issue 5, "Done when" 2: authorizers through the real server.

An HTTP API JWT authorizer checks tokens against a test issuer (discovery document and JWKS served on
127.0.0.1:0 by this test): a good token passes with its claims in the event; expired, wrong-audience,
unsigned and foreign-key tokens get 401. A REST TOKEN Lambda authorizer: Allow passes its context
through to requestContext.authorizer, Deny gives 403, a throwing authorizer gives 500.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function
from tests.gateway.authorizers.conftest import Issuer

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""
# A TOKEN authorizer: the token names the answer.
AUTHORIZER = """
def handler(event, context):
    token = event["authorizationToken"]
    if token == "throw":
        raise RuntimeError("authorizer bug")
    if token == "unauthorized":
        raise Exception("Unauthorized")
    effect = "Allow" if token == "allow" else "Deny"
    return {
        "principalId": "user-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
        "context": {"tenant": "t1", "level": 7, "admin": True},
    }
"""
AUDIENCE = "overcast-tests"


def make_function(aws: ClientFactory, code: str, prefix: str) -> str:
    return python_function(aws("lambda"), prefix, code)


@pytest.fixture(scope="module")
def echo_arn(aws: ClientFactory) -> str:
    return make_function(aws, ECHO, "dw-auth-echo")


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    the_issuer = Issuer()
    server = await asyncio.start_server(the_issuer.handle, "127.0.0.1", 0)
    the_issuer.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server:
        yield the_issuer


def host(server: RunningServer, api_id: str) -> dict[str, str]:
    return {"host": f"{api_id}.execute-api.localhost:{urlsplit(server.url).port}"}


async def test_jwt_authorizer_accepts_a_good_token_and_rejects_bad_ones(
    aws: ClientFactory, server: RunningServer, echo_arn: str, issuer: Issuer
) -> None:
    v2 = aws("apigatewayv2")
    api_id = v2.create_api(Name="dw-jwt", ProtocolType="HTTP")["ApiId"]
    authorizer = v2.create_authorizer(
        ApiId=api_id, AuthorizerType="JWT", Name="jwt", IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": [AUDIENCE], "Issuer": issuer.url},
    )["AuthorizerId"]  # fmt: skip
    integration = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo_arn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    v2.create_route(
        ApiId=api_id, RouteKey="GET /me", Target=f"integrations/{integration}",
        AuthorizationType="JWT", AuthorizerId=authorizer,
    )  # fmt: skip
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)

    now = int(time.time())
    claims: dict[str, Any] = {"iss": issuer.url, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 300}
    claims["scope"] = "pets.read"
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tokens = {
        "good": issuer.token(claims),
        "expired": issuer.token({**claims, "iat": now - 600, "exp": now - 300}),
        "wrong audience": issuer.token({**claims, "aud": "someone-else"}),
        "unsigned": jwt.encode(claims, None, algorithm="none", headers={"kid": "key-1"}),
        "foreign key": issuer.token(claims, key=stranger),
    }
    async with httpx.AsyncClient(base_url=server.url, headers=host(server, api_id), timeout=30) as client:
        good = await client.get("/me", headers={"authorization": f"Bearer {tokens.pop('good')}"})
        assert good.status_code == 200, good.text
        jwt_context = good.json()["requestContext"]["authorizer"]["jwt"]
        assert jwt_context["claims"]["sub"] == "alice" and jwt_context["claims"]["aud"] == AUDIENCE
        for why, token in tokens.items():
            refused = await client.get("/me", headers={"authorization": f"Bearer {token}"})
            assert (refused.status_code, refused.json()) == (401, {"message": "Unauthorized"}), why
            assert refused.headers["www-authenticate"].startswith("Bearer"), why
        missing = await client.get("/me")
        assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    assert "/.well-known/openid-configuration" in issuer.requests


@pytest.fixture(scope="module")
def rest_api(aws: ClientFactory, echo_arn: str) -> str:
    authorizer_arn = make_function(aws, AUTHORIZER, "dw-token-auth")
    apigw = aws("apigateway")
    api_id = str(apigw.create_rest_api(name="dw-token")["id"])
    authorizer = apigw.create_authorizer(
        restApiId=api_id, name="token", type="TOKEN", identitySource="method.request.header.Authorization",
        authorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{authorizer_arn}/invocations",
        authorizerResultTtlInSeconds=0,
    )["id"]  # fmt: skip
    root = next(r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    me = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="me")["id"]
    apigw.put_method(
        restApiId=api_id, resourceId=me, httpMethod="GET", authorizationType="CUSTOM", authorizerId=authorizer
    )
    apigw.put_integration(
        restApiId=api_id, resourceId=me, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{echo_arn}/invocations",
    )  # fmt: skip
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def rest_call(server: RunningServer, api_id: str, token: str | None) -> httpx.Response:
    headers = host(server, api_id)
    if token is not None:
        headers["authorization"] = token
    return httpx.get(f"{server.url}/prod/me", headers=headers, timeout=30)


def test_token_authorizer_allow_passes_the_context_through(server: RunningServer, rest_api: str) -> None:
    response = rest_call(server, rest_api, "allow")
    assert response.status_code == 200, response.text
    authorizer = response.json()["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "user-1"
    # REST hands the context on stringified ("The returned values are all stringified."):
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
    assert (authorizer["tenant"], authorizer["level"], authorizer["admin"]) == ("t1", "7", "true")
    assert isinstance(authorizer["integrationLatency"], int)


def test_token_authorizer_deny_is_403(server: RunningServer, rest_api: str) -> None:
    response = rest_call(server, rest_api, "deny")
    assert response.status_code == 403
    assert response.json() == {"Message": "User is not authorized to access this resource with an explicit deny"}
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"


def test_throwing_authorizer_is_500(server: RunningServer, rest_api: str) -> None:
    response = rest_call(server, rest_api, "throw")
    assert (response.status_code, response.json()) == (500, {"message": None})
    assert response.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


def test_unauthorized_and_missing_tokens_are_401(server: RunningServer, rest_api: str) -> None:
    for token in ("unauthorized", None):
        response = rest_call(server, rest_api, token)
        assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"}), token
    assert json.loads(rest_call(server, rest_api, "allow").text)["resource"] == "/me"
