"""Encryption settings of state machines and activities: the EncryptionConfiguration shapes AWS accepts.

Step Functions encrypts at rest with an AWS owned key unless told otherwise, and Describe* reports
`{"type": "AWS_OWNED_KEY"}` then. A customer managed key needs a `kmsKeyId` (a key id, key ARN,
alias name or alias ARN); `kmsDataKeyReusePeriodSeconds` (60..900) applies to it alone. Anything
else is InvalidEncryptionConfiguration (https://docs.aws.amazon.com/step-functions/latest/apireference/API_EncryptionConfiguration.html,
https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html). KMS does not exist in
Overcast yet, so the key is checked for its form only, stored and returned; nothing is encrypted with it.
"""

from __future__ import annotations

import re
from typing import Any

from overcast.arn import parse_arn
from overcast.workflows.engine.errors import InvalidEncryptionConfiguration

AWS_OWNED, CUSTOMER_MANAGED = "AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY"
DEFAULT: dict[str, Any] = {"type": AWS_OWNED}

# KMS's key id forms (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id):
# a key id (a UUID, or mrk-<32 hex> for a multi-Region key) and `alias/<name>`.
_KEY_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$")
_ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,256}$")


def _key_form(key: str) -> bool:
    arn = parse_arn(key)
    if arn is None:
        return bool(_KEY_ID.match(key) or _ALIAS.match(key)) and not key.startswith("alias/aws/")
    if arn.service != "kms" or not arn.region or not re.fullmatch(r"\d{12}", arn.account):
        return False
    kind, _, rest = arn.resource.partition("/")
    return (kind == "key" and bool(_KEY_ID.match(rest))) or (kind == "alias" and bool(_ALIAS.match(arn.resource)))


def checked(config: dict[str, Any] | None) -> dict[str, Any]:
    """The configuration to store and report: AWS's default when none is given, else `config` checked."""
    if not config:
        return dict(DEFAULT)
    kind = config.get("type")
    key, reuse = config.get("kmsKeyId"), config.get("kmsDataKeyReusePeriodSeconds")
    if kind == AWS_OWNED:
        if key is not None or reuse is not None:
            raise InvalidEncryptionConfiguration(
                "Invalid Encryption Configuration: 'kmsKeyId' and 'kmsDataKeyReusePeriodSeconds' "
                "are only allowed when 'type' is 'CUSTOMER_MANAGED_KMS_KEY'"
            )
        return dict(DEFAULT)
    if not key:
        raise InvalidEncryptionConfiguration(
            "Invalid Encryption Configuration: 'kmsKeyId' is required when 'type' is 'CUSTOMER_MANAGED_KMS_KEY'"
        )
    if not _key_form(key):
        raise InvalidEncryptionConfiguration(f"Invalid Encryption Configuration: invalid 'kmsKeyId': '{key}'")
    out: dict[str, Any] = {"type": CUSTOMER_MANAGED, "kmsKeyId": key}
    if reuse is not None:
        if not 60 <= int(reuse) <= 900:
            raise InvalidEncryptionConfiguration(
                "Invalid Encryption Configuration: 'kmsDataKeyReusePeriodSeconds' must be between 60 and 900"
            )
        out["kmsDataKeyReusePeriodSeconds"] = int(reuse)
    return out
