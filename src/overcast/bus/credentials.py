"""Credentials: the user and password the embedded nats-server admits, made at each start; `shown` hides them."""

from __future__ import annotations

import secrets
import urllib.parse
from dataclasses import dataclass, field

USER = "overcast"


@dataclass(frozen=True, slots=True)
class Credentials:
    """Who may use the bus. The password never appears in a repr, a log line or a URL Overcast shows."""

    user: str
    password: str = field(repr=False)

    @classmethod
    def generate(cls) -> Credentials:
        """Fresh credentials: 256 random bits, URL- and config-safe ([A-Za-z0-9_-])."""
        return cls(USER, secrets.token_urlsafe(32))


def shown(url: str) -> str:
    """`url` as Overcast may print it: any user, password or token it carries becomes `***`.

    NATS URLs carry credentials as `nats://user:password@host` or `nats://token@host`; several
    servers may be separated by commas.
    """
    return ",".join(_without_secret(part) for part in url.split(","))


def _without_secret(url: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"***@{host}"))
