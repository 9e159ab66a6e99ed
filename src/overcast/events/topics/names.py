"""Topic names and ARNs: what SNS accepts, and which topic an ARN names for a caller."""

from __future__ import annotations

import re

from overcast.arn import format_arn, parse_arn, partition_of
from overcast.context import RequestContext
from overcast.events.topics.errors import InvalidParameter, invalid, not_authorized, topic_not_found

_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}\.fifo")


def check_name(name: str, fifo: bool) -> None:
    """https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html: up to 256 alphanumerics, hyphens and
    underscores; a FIFO topic's name ends in ".fifo"."""
    if fifo and not _FIFO_NAME.fullmatch(name):
        raise InvalidParameter(
            "Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and "
            "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
        )
    if not fifo and not _NAME.fullmatch(name):
        raise invalid("Topic Name")


def topic_arn(ctx: RequestContext, name: str) -> str:
    return format_arn("sns", ctx.region, ctx.account_id, name, partition_of(ctx.region))


def owned(ctx: RequestContext, arn: str, action: str, what: str = "TopicArn") -> str:
    """`arn` if it names a resource of the caller's account and region; another account's is refused as SNS
    refuses a caller its policy does not allow (AddPermission grants are not evaluated yet)."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "sns" or not parsed.resource:
        raise invalid(what)
    if parsed.account != ctx.account_id:
        raise not_authorized(ctx.account_id, action, arn)
    if parsed.region != ctx.region:
        raise topic_not_found()
    return arn
