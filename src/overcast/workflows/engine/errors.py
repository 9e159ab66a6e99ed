"""The Step Functions API's errors, each with AWS's code (all are client errors, HTTP 400).

https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html and each
operation's Errors section.
"""

from __future__ import annotations

from overcast.errors import AwsError


class SfnError(AwsError):
    status = 400


class ActivityAlreadyExists(SfnError):
    code = "ActivityAlreadyExists"


class ActivityDoesNotExist(SfnError):
    code = "ActivityDoesNotExist"


class ConflictException(SfnError):
    code = "ConflictException"


class ExecutionAlreadyExists(SfnError):
    code = "ExecutionAlreadyExists"


class ExecutionDoesNotExist(SfnError):
    code = "ExecutionDoesNotExist"


class ExecutionNotRedrivable(SfnError):
    code = "ExecutionNotRedrivable"


class InvalidArn(SfnError):
    code = "InvalidArn"


class InvalidDefinition(SfnError):
    code = "InvalidDefinition"


class InvalidEncryptionConfiguration(SfnError):
    code = "InvalidEncryptionConfiguration"


class InvalidExecutionInput(SfnError):
    code = "InvalidExecutionInput"


class InvalidLoggingConfiguration(SfnError):
    code = "InvalidLoggingConfiguration"


class InvalidName(SfnError):
    code = "InvalidName"


class InvalidOutput(SfnError):
    code = "InvalidOutput"


class InvalidToken(SfnError):
    code = "InvalidToken"


class ResourceNotFound(SfnError):
    code = "ResourceNotFound"


class StateMachineAlreadyExists(SfnError):
    code = "StateMachineAlreadyExists"


class StateMachineDoesNotExist(SfnError):
    code = "StateMachineDoesNotExist"


class StateMachineTypeNotSupported(SfnError):
    code = "StateMachineTypeNotSupported"


class TaskDoesNotExist(SfnError):
    code = "TaskDoesNotExist"


class TaskTimedOut(SfnError):
    code = "TaskTimedOut"


class TooManyTags(SfnError):
    code = "TooManyTags"


class ValidationException(SfnError):
    code = "ValidationException"


class AccessDenied(SfnError):
    """Another account's resource: without IAM's cross-account policies, the caller may not reach it."""

    code = "AccessDeniedException"
