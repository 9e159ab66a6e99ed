"""Identifiers: API ids (10 lowercase alphanumerics, as AWS's) and the 7-character ids of an API's parts.

API ids share one namespace with REST APIs on AWS (both are `<id>.execute-api...` hosts). Ids are
drawn from a CSPRNG over 36^10 (~3.7e15) values, so a collision between any two of even a million
APIs has a probability near 1e-4 over the lifetime of a data dir; the store's primary key on
`api_id` still refuses a duplicate HTTP API, and a REST API collision is that unlikely.
"""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits


def new_api_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(10))


def new_part_id() -> str:
    """Route, integration, authorizer and deployment ids (AWS's are 7 lowercase alphanumerics)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(7))
