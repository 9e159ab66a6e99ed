"""A real OIDC issuer for JWT authorizer tests: discovery document and JWKS served over HTTP on 127.0.0.1:0."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa


class Issuer:
    """Signs tokens with its RSA keys and publishes them at `<url>/.well-known/openid-configuration` -> jwks_uri."""

    def __init__(self) -> None:
        self.url = ""
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.requests: list[str] = []
        self.add_key("key-1")

    def add_key(self, kid: str) -> rsa.RSAPrivateKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.keys[kid] = key
        return key

    def jwks(self) -> dict[str, Any]:
        entries = []
        for kid, key in self.keys.items():
            entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            entry.update(kid=kid, use="sig", alg="RS256")
            entries.append(entry)
        return {"keys": entries}

    def token(self, claims: dict[str, Any], *, kid: str = "key-1", key: Any = None, alg: str = "RS256") -> str:
        return jwt.encode(claims, key if key is not None else self.keys[kid], algorithm=alg, headers={"kid": kid})

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode()
        self.requests.append(path)
        if path == "/.well-known/openid-configuration":
            status, body = "200 OK", {"issuer": self.url, "jwks_uri": self.url + "/keys"}
        elif path == "/keys":
            status, body = "200 OK", self.jwks()
        else:
            status, body = "404 Not Found", {}
        data = json.dumps(body).encode()
        writer.write(
            f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(data)}\r\n"
            f"connection: close\r\n\r\n".encode()
            + data
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    the_issuer = Issuer()
    server = await asyncio.start_server(the_issuer.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    the_issuer.url = f"http://127.0.0.1:{port}"
    async with server:
        yield the_issuer
