"""SNS's errors, with the codes and HTTP statuses of its API reference's Errors sections.

https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html#API_CreateTopic_Errors and the other
operations' pages. SNS words most refusals "Invalid parameter: <what>[ Reason: <why>]".
"""

from __future__ import annotations

from overcast.errors import AwsError


class NotFound(AwsError):
    code, status = "NotFound", 404


class InvalidParameter(AwsError):
    code, status = "InvalidParameter", 400


class InvalidParameterValue(AwsError):
    """Publish's refusals of a message or its attributes."""

    code, status = "ParameterValueInvalid", 400


class AuthorizationError(AwsError):
    code, status = "AuthorizationError", 403


class ResourceNotFound(AwsError):
    """Tagging's and the data protection policy's error for an ARN that names no topic."""

    code, status = "ResourceNotFound", 404


class TagLimitExceeded(AwsError):
    code, status = "TagLimitExceeded", 400


class TagPolicy(AwsError):
    code, status = "TagPolicy", 400


class InvalidSecurity(AwsError):
    code, status = "InvalidSecurity", 403


def invalid(what: str, reason: str = "") -> InvalidParameter:
    """SNS's "Invalid parameter: <what>" or "Invalid parameter: <what> Reason: <reason>"."""
    return InvalidParameter(f"Invalid parameter: {what}" + (f" Reason: {reason}" if reason else ""))


def topic_not_found() -> NotFound:
    return NotFound("Topic does not exist")


def subscription_not_found() -> NotFound:
    return NotFound("Subscription does not exist")


def not_authorized(ctx_account: str, action: str, arn: str) -> AuthorizationError:
    return AuthorizationError(
        f"User: arn:aws:iam::{ctx_account}:root is not authorized to perform: SNS:{action} on resource: {arn}"
    )
