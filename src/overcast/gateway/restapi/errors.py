"""The errors the API Gateway (v1) control plane raises, with AWS's codes and HTTP statuses.

https://docs.aws.amazon.com/apigateway/latest/api/CommonErrors.html
"""

from __future__ import annotations

from overcast.errors import AwsError


class NotFound(AwsError):
    code, status = "NotFoundException", 404


class Conflict(AwsError):
    code, status = "ConflictException", 409


class BadRequest(AwsError):
    code, status = "BadRequestException", 400


class NotImplementedFeature(AwsError):
    """A feature AWS has that Overcast does not serve yet (said plainly, never skipped silently)."""

    code, status = "NotImplemented", 501
    sender_fault = False
