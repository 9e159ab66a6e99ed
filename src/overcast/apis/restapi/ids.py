"""Identifiers as API Gateway makes them: short lowercase alphanumerics, and API key values."""

from __future__ import annotations

import secrets
import string

_LOWER = string.ascii_lowercase + string.digits
_KEY = string.ascii_letters + string.digits


def new_id(length: int = 10) -> str:
    """REST API, resource and API key ids have 10 characters; deployments, authorizers, plans 6."""
    return "".join(secrets.choice(_LOWER) for _ in range(length))


def new_key_value() -> str:
    """A generated API key value: 40 alphanumerics, as AWS generates them."""
    return "".join(secrets.choice(_KEY) for _ in range(40))
