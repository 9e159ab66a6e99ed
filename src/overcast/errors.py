"""AwsError, the one error type domain code raises, and the errors every service shares.

An AwsError carries the AWS triple (code, message, HTTP status) plus whether the sender is at
fault (the query protocols say `Sender` / `Receiver`) and any extra members of the error shape
(for example Lambda's `Reason` on TooManyRequestsException). The wire layer turns it into each
protocol's error body; nothing below `api/` knows what that body looks like.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AwsError(Exception):
    """An error as AWS reports it. Subclasses set `code` and `status`; instances may override."""

    code: ClassVar[str] = "InternalFailure"
    status: ClassVar[int] = 500
    sender_fault: ClassVar[bool] = True

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        if status is not None:
            self.status = status  # type: ignore[misc]
        # Extra members of the modeled error shape, by their wire (botocore) member names.
        self.fields: dict[str, Any] = dict(fields or {})
        # Extra HTTP headers (for example Retry-After).
        self.headers: dict[str, str] = dict(headers or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, status={self.status})"


class ValidationException(AwsError):
    code, status = "ValidationException", 400


class SerializationException(AwsError):
    code, status = "SerializationException", 400


class UnknownOperationException(AwsError):
    code, status = "UnknownOperationException", 400


class BadRequest(AwsError):
    """API Gateway's (v1, v2) and other services' name for a request they refuse as malformed."""

    code, status = "BadRequestException", 400


class InvalidAction(AwsError):
    """Query protocols' answer to an Action the service does not have."""

    code, status = "InvalidAction", 400


class MissingAuthenticationToken(AwsError):
    code, status = "MissingAuthenticationTokenException", 403


class NotImplementedOperation(AwsError):
    """An operation that exists in AWS's model but that Overcast has no handler for."""

    code, status = "NotImplemented", 501
    sender_fault = False


class ResourceNotFound(AwsError):
    code, status = "ResourceNotFoundException", 404


class ResourceConflict(AwsError):
    code, status = "ResourceConflictException", 409


class InvalidParameterValue(AwsError):
    code, status = "InvalidParameterValueException", 400


class RequestTooLarge(AwsError):
    code, status = "RequestEntityTooLargeException", 413


class Throttling(AwsError):
    code, status = "ThrottlingException", 400


class InternalFailure(AwsError):
    code, status = "InternalFailure", 500
    sender_fault = False


class ServiceUnavailable(AwsError):
    code, status = "ServiceUnavailableException", 503
    sender_fault = False
