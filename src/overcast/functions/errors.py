"""Lambda's errors: the AwsError subclasses the functions domain raises, with AWS's codes and statuses.

Codes and statuses come from the Lambda API Reference's Errors sections (and botocore's model),
for example https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#API_CreateFunction_Errors
"""

from __future__ import annotations

from overcast.errors import (
    AwsError,
    InvalidParameterValue,
    RequestTooLarge,
    ResourceConflict,
    ResourceNotFound,
    ValidationException,
)

__all__ = [
    "CodeStorageExceeded",
    "InvalidParameterValue",
    "PreconditionFailed",
    "RequestTooLarge",
    "ResourceConflict",
    "ResourceNotFound",
    "ValidationException",
]


class PreconditionFailed(AwsError):
    """A RevisionId or CodeSha256 precondition that does not hold."""

    code, status = "PreconditionFailedException", 412


class CodeStorageExceeded(AwsError):
    """The account's total code storage (75 GB) would be exceeded."""

    code, status = "CodeStorageExceededException", 400


def revision_mismatch() -> PreconditionFailed:
    # Lambda answers a stale RevisionId (functions and aliases alike) with this one text.
    return PreconditionFailed(
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
        "retrieve the latest Revision Id"
    )
