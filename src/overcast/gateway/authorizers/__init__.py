"""Authorizers: decide whether a matched request may reach its integration (NONE, JWT, Lambda; never a silent allow).

The data plane calls `Authorizers.authorize(match, request)` after routing and before API keys,
throttling and the integration; an `AuthResult` that is not `allowed` is the response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.clock import Clock
from overcast.gateway.authorizers.jwt import JwtAuthorizers
from overcast.gateway.authorizers.lambda_ import InvokeFunction, LambdaAuthorizers
from overcast.gateway.authorizers.result import ALLOWED, AuthResult, authorizer_error, not_implemented
from overcast.gateway.request import GatewayRequest, RouteMatch

if TYPE_CHECKING:
    import httpx

__all__ = ["AuthResult", "Authorizers", "InvokeFunction"]


class Authorizers:
    def __init__(self, invoke: InvokeFunction, clock: Clock, http: httpx.AsyncClient | None = None) -> None:
        self.lambdas = LambdaAuthorizers(invoke, clock)
        self.jwt = JwtAuthorizers(clock, http)

    async def aclose(self) -> None:
        """Close the HTTP client this made for itself (a client passed in stays open)."""
        await self.jwt.jwks.aclose()

    def flush(self, api_id: str, stage: str) -> None:
        """FlushStageAuthorizersCache: the stage's cached Lambda authorizer answers are gone; the next
        request of each identity invokes its authorizer again. (JWT authorizers cache only public keys.)"""
        self.lambdas.flush(api_id, stage)

    async def authorize(self, match: RouteMatch, request: GatewayRequest) -> AuthResult:
        route = match.route
        kind = match.api.kind
        match route.authorization_type:
            case "NONE" | "":
                return ALLOWED
            case "JWT":
                if route.authorizer is None or route.authorizer.type != "JWT" or not route.authorizer.jwt_issuer:
                    return authorizer_error(kind, f"route {route.id} requires JWT authorization, has no JWT authorizer")
                return await self.jwt.authorize(route.authorizer, match, request)
            case "CUSTOM":
                if route.authorizer is None:
                    return authorizer_error(kind, f"route {route.id} requires CUSTOM authorization, has no authorizer")
                return await self.lambdas.authorize(route.authorizer, match, request)
            case other:  # AWS_IAM, COGNITO_USER_POOLS
                return not_implemented(other)
