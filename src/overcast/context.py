"""RequestContext: who is calling, in which account and region, under which request id."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class RequestContext:
    account_id: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    request_id: str = ""
    access_key_id: str = ""
    service: str = ""
    operation: str = ""


def account_for_access_key(access_key_id: str, default: str = DEFAULT_ACCOUNT) -> str:
    """A 12-digit access key id selects that account, so several accounts can coexist locally."""
    if len(access_key_id) == 12 and access_key_id.isdigit():
        return access_key_id
    return default
