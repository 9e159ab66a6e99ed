"""The errors both API Gateway control planes answer with, besides BadRequestException (overcast.errors).

https://docs.aws.amazon.com/apigateway/latest/api/CommonErrors.html and
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html (Errors)
"""

from __future__ import annotations

from overcast.errors import AwsError, BadRequest
from overcast.kit.tags import TagRules


class NotFound(AwsError):
    code, status = "NotFoundException", 404


class Conflict(AwsError):
    code, status = "ConflictException", 409


class TooManyRequests(AwsError):
    code, status = "TooManyRequestsException", 429


# Tags on either plane: 50 a resource, keys of 1-128 and values of up to 256 characters, `aws:` reserved,
# a bad tag refused with BadRequestException ("Tag restrictions and usage conventions",
# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-tagging-supported-resources.html).
TAG_RULES = TagRules(
    too_many=lambda arn: BadRequest(f"Too many tags for resource {arn}: at most 50"),
    invalid=BadRequest,
)
