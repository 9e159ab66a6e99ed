"""The errors CloudWatch Logs answers with (all HTTP 400, as the JSON 1.1 Logs API sends them).

https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html
"""

from __future__ import annotations

from overcast.errors import AwsError


class LogsResourceNotFound(AwsError):
    code, status = "ResourceNotFoundException", 400


class LogsResourceAlreadyExists(AwsError):
    code, status = "ResourceAlreadyExistsException", 400


class LogsInvalidParameter(AwsError):
    code, status = "InvalidParameterException", 400


class LogsTooManyTags(AwsError):
    code, status = "TooManyTagsException", 400


def group_not_found() -> LogsResourceNotFound:
    return LogsResourceNotFound("The specified log group does not exist.")


def stream_not_found() -> LogsResourceNotFound:
    return LogsResourceNotFound("The specified log stream does not exist.")


def invalid_token(token: str) -> LogsInvalidParameter:
    return LogsInvalidParameter("The specified nextToken is invalid.")
