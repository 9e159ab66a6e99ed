"""API Gateway's account settings (GetAccount / UpdateAccount): the CloudWatch role, the account's
throttle and features, per account and region, as AWS returns them.

Only cloudwatchRoleArn changes (and the UsagePlans feature, which every account has); the throttle is
the default account quota, 10,000 requests a second with bursts of 5,000
(https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). Overcast writes access
logs without the role, so setting it changes nothing yet.
https://docs.aws.amazon.com/apigateway/latest/api/API_Account.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from overcast.errors import BadRequest

_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


@dataclass(frozen=True, slots=True)
class AccountSettings:
    cloudwatch_role_arn: str | None = None
    burst_limit: int = 5000
    rate_limit: float = 10000.0
    features: tuple[str, ...] = ("UsagePlans",)
    api_key_version: str = "4"


def check_role(arn: str | None) -> str | None:
    """A CloudWatch role ARN, as UpdateAccount accepts one (an IAM role of an account), or None to clear."""
    if not arn:
        return None
    if not _ROLE.match(arn):
        raise BadRequest("The role ARN is not well formed")
    return arn
