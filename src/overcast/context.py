"""RequestContext: who is calling, in which account and region, under which request id; Caller: as which principal."""

from __future__ import annotations

from dataclasses import dataclass

from overcast.arn import format_arn, partition_of

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


@dataclass(frozen=True, slots=True)
class Caller:
    """Who calls: an IAM principal of an account, or an AWS service (`apigateway.amazonaws.com`) acting for
    a resource of an account."""

    account: str  # the caller's account; for a service, the account of the resource it acts for
    principal: str  # an IAM ARN (arn:aws:iam::<account>:root, a role, an assumed-role session) or a service
    source_arn: str | None = None  # the resource a service acts for: the aws:SourceArn condition key

    @property
    def is_service(self) -> bool:
        return not self.principal.startswith("arn:")

    def condition_keys(self) -> dict[str, str]:
        """The global condition keys this request carries, lowercased (IAM's key names are case-insensitive).
        aws:SourceAccount and aws:SourceArn exist only when a service calls for a resource
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn)."""
        if not self.is_service:
            return {}
        keys = {"aws:sourceaccount": self.account}
        if self.source_arn is not None:
            keys["aws:sourcearn"] = self.source_arn
        return keys


def account_root(account: str, region: str) -> Caller:
    """An account's own caller, as Overcast's callers are (no IAM users or roles until IAM lands)."""
    return Caller(account, format_arn("iam", "", account, "root", partition_of(region)))


def service(name: str, account: str, source_arn: str) -> Caller:
    """An AWS service calling for one of `account`'s resources (`source_arn`)."""
    return Caller(account, name, source_arn)
