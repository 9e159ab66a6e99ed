"""The errors both API Gateway control planes answer with, besides BadRequestException (overcast.errors).

https://docs.aws.amazon.com/apigateway/latest/api/CommonErrors.html and
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html (Errors)
"""

from __future__ import annotations

from overcast.errors import AwsError


class NotFound(AwsError):
    code, status = "NotFoundException", 404


class Conflict(AwsError):
    code, status = "ConflictException", 409


class TooManyRequests(AwsError):
    code, status = "TooManyRequestsException", 429
