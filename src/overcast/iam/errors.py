"""IAM's errors, with the codes and HTTP statuses of its API reference's Errors sections.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html#API_CreateRole_Errors and the
other operations' pages.
"""

from __future__ import annotations

from overcast.errors import AwsError


class NoSuchEntity(AwsError):
    code, status = "NoSuchEntity", 404


class EntityAlreadyExists(AwsError):
    code, status = "EntityAlreadyExists", 409


class MalformedPolicyDocument(AwsError):
    code, status = "MalformedPolicyDocument", 400


class InvalidInput(AwsError):
    code, status = "InvalidInput", 400


class IamValidationError(AwsError):
    """A value that breaks a constraint of the API (a name's pattern, a path's form)."""

    code, status = "ValidationError", 400


class LimitExceeded(AwsError):
    code, status = "LimitExceeded", 409


class DeleteConflict(AwsError):
    code, status = "DeleteConflict", 409


def role_not_found(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The role with name {name} cannot be found.")


def policy_not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} was not found.")


def profile_not_found(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"Instance Profile {name} cannot be found.")


class AccessDenied(AwsError):
    """An ARN of another account: IAM acts only on the caller's own account, and a caller of one account has
    no permission on another's IAM resources (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html)."""

    code, status = "AccessDenied", 403


def not_authorized(account: str, partition: str, action: str, resource: str) -> AccessDenied:
    return AccessDenied(
        f"User: arn:{partition}:iam::{account}:root is not authorized to perform: iam:{action} on resource: {resource}"
    )
