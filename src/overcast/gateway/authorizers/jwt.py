"""JWT authorizers: tokens verified against the issuer's JWKS (found through OIDC discovery), claims and scopes checked.

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from overcast.apis.deployed import ApiKind, Authorizer
from overcast.clock import Clock
from overcast.gateway.authorizers.identity import source_value
from overcast.gateway.authorizers.result import AuthResult, forbidden_scopes, unauthorized
from overcast.gateway.request import GatewayRequest, RouteMatch

if TYPE_CHECKING:
    # Both are imported when the first JWT is checked: PyJWT's cryptography alone costs ~30 ms and ~9 MB
    # at every start otherwise.
    import httpx
    import jwt as pyjwt

# "Currently, only RSA-based algorithms are supported" (the page above): HS* and "none" are refused.
ALGORITHMS = ("RS256", "RS384", "RS512")


class KeyUnavailable(Exception):
    """The issuer's discovery document or key set could not be fetched or read."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    key: pyjwt.PyJWK
    alg: str | None  # the algorithm the JWKS entry pins, if it names one


@dataclass(slots=True)
class _KeySet:
    keys: dict[str, SigningKey] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Jwks:
    """Each issuer's signing keys, fetched from `<issuer>/.well-known/openid-configuration` -> `jwks_uri`.

    Keys are kept for `max_age` seconds; a token naming an unknown `kid` refetches the set (key
    rotation), at most once every `min_refetch` seconds so a flood of bad tokens cannot hammer the issuer.
    """

    def __init__(
        self, clock: Clock, http: httpx.AsyncClient | None = None, *, min_refetch: float = 30.0, max_age: float = 3600.0
    ) -> None:
        self._clock = clock
        self._http = http
        self._own_http: httpx.AsyncClient | None = None
        self._sets: dict[str, _KeySet] = {}
        self.min_refetch = min_refetch
        self.max_age = max_age
        self.fetches = 0

    def _client(self) -> httpx.AsyncClient:
        if self._http is not None:
            return self._http
        if self._own_http is None:
            import httpx

            self._own_http = httpx.AsyncClient(timeout=5.0)
        return self._own_http

    async def aclose(self) -> None:
        if self._own_http is not None:
            await self._own_http.aclose()
            self._own_http = None

    async def _fetch(self, issuer: str) -> dict[str, SigningKey]:
        import httpx
        import jwt as pyjwt

        self.fetches += 1
        client = self._client()
        try:
            discovery = await client.get(issuer.rstrip("/") + "/.well-known/openid-configuration")
            discovery.raise_for_status()
            jwks_uri = discovery.json()["jwks_uri"]
            response = await client.get(jwks_uri)
            response.raise_for_status()
            entries = response.json()["keys"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as e:
            raise KeyUnavailable(f"could not fetch the JWKS of {issuer}: {e}") from None
        keys: dict[str, SigningKey] = {}
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or not entry.get("kid"):
                continue
            if entry.get("use", "sig") != "sig":
                continue
            try:
                alg = entry.get("alg")
                keys[str(entry["kid"])] = SigningKey(pyjwt.PyJWK(entry), alg if isinstance(alg, str) else None)
            except pyjwt.PyJWTError:
                continue
        return keys

    async def key(self, issuer: str, kid: str) -> SigningKey | None:
        """The issuer's key with this id, or None if the issuer does not publish it."""
        keyset = self._sets.setdefault(issuer, _KeySet())
        now = self._clock.monotonic()
        if kid in keyset.keys and now - keyset.fetched_at < self.max_age:
            return keyset.keys[kid]
        async with keyset.lock:
            now = self._clock.monotonic()
            stale = now - keyset.fetched_at >= self.max_age
            if (kid not in keyset.keys and now - keyset.fetched_at >= self.min_refetch) or stale:
                keyset.keys = await self._fetch(issuer)
                keyset.fetched_at = self._clock.monotonic()
            return keyset.keys.get(kid)


def flatten_claim(value: Any) -> str:
    """A claim as HTTP APIs hand it to integrations: every value a string, arrays as "[a b]", objects as "map[k:v]"."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + " ".join(flatten_claim(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{flatten_claim(v)}" for k, v in sorted(value.items())) + "]"
    if value is None:
        return ""
    return str(value)


def token_scopes(claims: dict[str, Any]) -> list[str] | None:
    """The token's scopes, from `scope` (space-separated) or `scp` (a list or a string)."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list):
            return [str(v) for v in value]
    return None


def _challenge(route_scopes: tuple[str, ...], error: str, description: str) -> tuple[tuple[str, str], ...]:
    # HTTP APIs answer a refused token with an RFC 6750 challenge in this form, e.g.
    # `Bearer scope="" error="invalid_token" error_description="the token has expired"` (as reported in
    # https://github.com/aws/serverless-application-model/issues/1300). The wording of descriptions other
    # than expiry is Overcast's.
    scope = " ".join(route_scopes)
    return (("www-authenticate", f'Bearer scope="{scope}" error="{error}" error_description="{description}"'),)


class InvalidToken(Exception):
    """A refused token: `description` goes to the client's challenge, `detail` only to logs."""

    def __init__(self, description: str, detail: str = "") -> None:
        super().__init__(description)
        self.description = description
        self.detail = detail or description


class JwtAuthorizers:
    def __init__(self, clock: Clock, http: httpx.AsyncClient | None = None) -> None:
        self._clock = clock
        self.jwks = Jwks(clock, http)

    @staticmethod
    def _token(authorizer: Authorizer, match: RouteMatch, request: GatewayRequest) -> str | None:
        source = authorizer.identity_sources[0] if authorizer.identity_sources else "$request.header.Authorization"
        value = source_value(source, match, request)
        if not value:
            return None
        # "The identitySource can include only the token, or the token prefixed with Bearer."
        if value[:7].lower() == "bearer ":
            value = value[7:].strip()
        return value or None

    async def _claims(self, authorizer: Authorizer, token: str) -> dict[str, Any]:
        import jwt as pyjwt

        try:
            header = pyjwt.get_unverified_header(token)
        except pyjwt.PyJWTError:
            raise InvalidToken("the token is not a valid JWT") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise InvalidToken(f"signing method {str(alg)[:16]} is invalid")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token has no kid header")
        try:
            key = await self.jwks.key(authorizer.jwt_issuer, kid)
        except KeyUnavailable as e:
            raise InvalidToken("the issuer's signing keys are unavailable", str(e)) from None
        if key is None:
            raise InvalidToken("the token's kid is not among the issuer's keys", f"no key in the JWKS has kid {kid!r}")
        if key.alg is not None and key.alg != alg:
            raise InvalidToken(f"signing method {alg} does not match the key's {key.alg}")
        try:
            claims: dict[str, Any] = pyjwt.decode(
                token,
                key.key.key,
                algorithms=[alg],
                # Time claims are checked against the injected clock below, audience and issuer by hand.
                options={
                    "verify_signature": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        except pyjwt.InvalidSignatureError:
            raise InvalidToken("the token signature is invalid") from None
        except pyjwt.PyJWTError as e:
            raise InvalidToken("the token could not be decoded", f"the token could not be decoded: {e}") from None
        return claims

    def _check(self, authorizer: Authorizer, claims: dict[str, Any]) -> None:
        if claims.get("iss") != authorizer.jwt_issuer:
            raise InvalidToken("the token has an invalid issuer")
        audiences = set(authorizer.jwt_audiences)
        aud = claims.get("aud")
        if aud is not None:
            token_audiences = {aud} if isinstance(aud, str) else set(aud) if isinstance(aud, list) else set()
        else:  # access tokens (Cognito's) name their audience in client_id
            client = claims.get("client_id")
            token_audiences = {client} if isinstance(client, str) else set()
        if not token_audiences & audiences:
            raise InvalidToken("the token does not have a valid audience")
        now = self._clock.now()
        for name in ("exp", "nbf", "iat"):
            if name in claims and not isinstance(claims[name], int | float):
                raise InvalidToken(f"the token's {name} claim is not a number")
        if "exp" in claims and now >= claims["exp"]:
            raise InvalidToken("the token has expired")
        if "nbf" in claims and now < claims["nbf"]:
            raise InvalidToken("the token is not valid yet")
        if "iat" in claims and now < claims["iat"]:
            raise InvalidToken("the token was issued in the future")

    async def authorize(self, authorizer: Authorizer, match: RouteMatch, request: GatewayRequest) -> AuthResult:
        route_scopes = match.route.authorization_scopes
        token = self._token(authorizer, match, request)
        if token is None:
            return unauthorized(ApiKind.HTTP, "the identity source holds no token")
        try:
            claims = await self._claims(authorizer, token)
            self._check(authorizer, claims)
        except InvalidToken as e:
            return unauthorized(ApiKind.HTTP, e.detail, _challenge(route_scopes, "invalid_token", e.description))
        scopes = token_scopes(claims)
        if route_scopes and not set(route_scopes) & set(scopes or ()):
            # "If you configure scopes for a route, the token must include at least one of the route's scopes."
            description = "the token does not have the required scopes"
            return forbidden_scopes(_challenge(route_scopes, "insufficient_scope", description), description)
        flat = {name: flatten_claim(value) for name, value in claims.items()}
        shape: dict[str, Any] = {"claims": flat, "scopes": scopes}
        if match.api.kind is ApiKind.REST or match.route.integration.payload_format_version != "2.0":
            context = shape  # payload 1.0: requestContext.authorizer.claims / .scopes
        else:
            context = {"jwt": shape}  # payload 2.0: requestContext.authorizer.jwt
        sub = claims.get("sub")
        return AuthResult(
            allowed=True,
            principal_id=sub if isinstance(sub, str) else None,
            request_context_authorizer=context,
        )
